package dev.scalekernel.harness.cli;

import dev.scalekernel.harness.report.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Re-fit and re-plot a run directory from its stored results only (runs nothing).")
final class ReportCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "a run directory")
    Path directory;

    @Override
    public void run() {
        spec.commandLine().getOut().println("report: " + RunReport.write(directory));
    }
}
