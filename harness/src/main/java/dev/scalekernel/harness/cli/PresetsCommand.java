package dev.scalekernel.harness.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "presets", mixinStandardHelpOptions = true, description = "List the built-in experiments.")
final class PresetsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        for (Preset p : Preset.values()) {
            spec.commandLine().getOut().printf("%-8s %s%n         default: %s%n", p.id(), p.description(), p.defaultSize());
        }
    }
}
