package dev.scalekernel.harness.cli;

import dev.scalekernel.harness.report.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Re-fit and re-plot a run directory from its stored results only (runs nothing).")
final class ReportCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "a run directory")
    Path directory;

    @Option(names = "--window", paramLabel = "AXIS=LO:HI",
            description = "fit only points with LO <= AXIS <= HI, e.g. --window N=64:4096 --window step=10:1000 (default step=10:inf)")
    List<String> windows = new ArrayList<>();

    @Override
    public void run() {
        Map<String, double[]> parsed = new LinkedHashMap<>();
        for (String w : windows) {
            String[] kv = w.split("=", 2);
            String[] range = kv.length == 2 ? kv[1].split(":", 2) : new String[0];
            try {
                if (range.length != 2) {
                    throw new NumberFormatException();
                }
                double lo = range[0].isBlank() ? Double.NEGATIVE_INFINITY : Double.parseDouble(range[0]);
                double hi = range[1].isBlank() || range[1].equals("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(range[1]);
                if (!(lo <= hi)) {
                    throw new NumberFormatException();
                }
                parsed.put(kv[0].trim(), new double[] {lo, hi});
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--window '" + w + "' is invalid; expected AXIS=LO:HI with LO <= HI, e.g. N=64:4096");
            }
        }
        spec.commandLine().getOut().println("report: " + RunReport.write(directory, parsed));
    }
}
