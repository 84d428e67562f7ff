package dev.scalekernel.harness.report;

import dev.scalekernel.harness.spec.Param;
import org.knowm.xchart.XYChart;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Convergence to infinite width: when every point shares one data set (data_seed fixed) the spread
 * over seeds is the variance over feature draws. Its power law in N is fitted at each recorded step
 * (Bordelon et al.: ~1/N early in training, N^-c late) and plotted.
 */
final class FeatureVariance {

    private FeatureVariance() {
    }

    static void section(Path dir, StringBuilder md, Statement s, List<Param> varying) throws SQLException, IOException {
        boolean widths = varying.stream().anyMatch(p -> p.name().equals("N"));
        if (!widths || varying.size() != 1 || RunReport.count(s, "SELECT count(*) FROM results WHERE data_seed < 0") > 0
                || RunReport.count(s, "SELECT count(DISTINCT seed) FROM results") < 3) {
            return; // needs fixed data, N the only axis, and at least 3 feature draws
        }
        String loss = RunReport.count(s, "SELECT count(*) FROM results WHERE population_loss IS NULL") == 0
                ? "population_loss" : "test_loss";
        Map<Long, List<double[]>> byStep = new TreeMap<>();
        try (ResultSet rs = s.executeQuery("SELECT coalesce(step, -1), N, var_samp(" + loss + ") FROM results "
                + "GROUP BY step, N ORDER BY step, N")) {
            while (rs.next()) {
                byStep.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>()).add(new double[] {rs.getDouble(2), rs.getDouble(3)});
            }
        }
        md.append("## Variance over feature draws (data fixed)\n\n| step | exponent of Var[").append(loss)
                .append("] vs N (95% CI) |\n|---|---|\n");
        XYChart chart = RunReport.chart("variance of " + loss + " over feature draws vs N", "N", "variance");
        int i = 0;
        for (Map.Entry<Long, List<double[]>> e : byStep.entrySet()) {
            double[] n = e.getValue().stream().mapToDouble(v -> v[0]).toArray();
            double[] var = e.getValue().stream().mapToDouble(v -> v[1]).toArray();
            PowerLawFit fit = PowerLawFit.of(n, var);
            String step = e.getKey() < 0 ? "final (ridge)" : Long.toString(e.getKey());
            md.append("| ").append(step).append(" | ").append(fit == null ? "(fewer than 3 points)" : fit).append(" |\n");
            if (e.getKey() != 0) {
                RunReport.addSeries(chart, i++, "step " + step, n, var, null);
            }
        }
        RunReport.save(chart, dir, "feature_variance_vs_N");
        md.append("\n![feature_variance_vs_N](plots/feature_variance_vs_N.png)\n\n");
    }
}
