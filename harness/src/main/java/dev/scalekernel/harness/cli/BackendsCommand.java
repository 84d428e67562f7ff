package dev.scalekernel.harness.cli;

import dev.scalekernel.api.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;

@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "List the backends on the class path with what their probes found.")
final class BackendsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-10s %8s %-11s %s%n", "backend", "priority", "status", "detail");
        for (Backends.Status s : Backends.list()) {
            out.printf("%-10s %8d %-11s %s%n", s.id(), s.priority(), s.probe().available() ? "available" : "unavailable",
                    s.probe().detail());
        }
        out.println("auto: " + autoChoice());
    }

    private static String autoChoice() {
        try {
            return Backends.choose("auto").reason();
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }
}
