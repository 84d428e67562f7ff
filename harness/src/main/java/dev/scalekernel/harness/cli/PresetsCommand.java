package dev.scalekernel.harness.cli;

import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.experiment.Experiments;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.spec.SpecLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;

@Command(name = "presets", mixinStandardHelpOptions = true,
        description = "List the built-in experiments (presets) and the parameters each experiment takes.")
final class PresetsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--show", paramLabel = "PRESET", description = "print a preset's spec file (a starting point for your own)")
    String show;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        if (show != null) {
            SpecLoader.load(show, List.of()); // validates the name
            out.print(SpecLoader.presetText(show));
            return;
        }
        out.println("presets:");
        for (String name : SpecLoader.presets()) {
            ResolvedSpec s = SpecLoader.load(name, List.of());
            out.printf("  %-10s %s%n             default: %d points; axes %s%n", name, s.description(), s.points().size(), s.axes());
        }
        for (Experiment e : Experiments.all()) {
            out.println();
            out.println("experiment " + e.id() + ": " + e.description());
            for (Param p : e.params()) {
                out.printf("  %-20s %-8s default %-10s %s%s%n", p.name(), p.kind().toString().toLowerCase(java.util.Locale.ROOT),
                        p.defaultValue(), p.description(), p.choices().isEmpty() ? "" : " (" + String.join("|", p.choices()) + ")");
            }
        }
    }
}
