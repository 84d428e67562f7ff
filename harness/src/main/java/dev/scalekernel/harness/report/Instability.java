package dev.scalekernel.harness.report;

import dev.scalekernel.harness.spec.Param;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Fixed-step GD instability: over the draws (seeds) of each grid cell, the fraction of runs that
 * diverged and the fraction with η·λ_max(ΦᵀΦ/P) > 2 (the criterion), with Wilson 95% intervals, and
 * the power law the divergence probability follows along each numeric axis.
 */
final class Instability {

    private static final double Z = 1.959963984540054;

    private Instability() {
    }

    /** Wilson score interval: {low, high} for k successes in n trials at 95%. */
    static double[] wilson(long k, long n) {
        if (n == 0) {
            return new double[] {0, 1};
        }
        double p = k / (double) n;
        double z2 = Z * Z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
    }

    static void section(Path dir, StringBuilder md, Statement s, List<Param> varying) throws SQLException, IOException {
        if (RunReport.count(s, "SELECT count(*) FROM results WHERE trainer = 'gd' AND eta > 0") == 0) {
            return; // only runs with one fixed learning rate for all draws measure a probability
        }
        List<String> keys = varying.stream().map(Param::name).filter(k -> !k.equals("trainer")).toList();
        String keyList = keys.stream().map(RunReport::q).collect(Collectors.joining(", "));
        String sql = "WITH last AS (SELECT * FROM results r WHERE trainer = 'gd' AND eta > 0 AND step = "
                + "(SELECT max(step) FROM results r2 WHERE r2.point_id = r.point_id)) SELECT "
                + (keyList.isEmpty() ? "" : keyList + ", ")
                + "count(*), count(*) FILTER (WHERE diverged), count(*) FILTER (WHERE eta_used * lambda_max > 2), "
                + "median(lambda_max) FROM last" + (keyList.isEmpty() ? "" : " GROUP BY " + keyList + " ORDER BY " + keyList);
        md.append("## Instability of fixed-step GD\n\n")
                .append("Fraction of draws that diverged, and fraction predicted by the criterion η·λ_max(ΦᵀΦ/P) > 2, ")
                .append("with Wilson 95% intervals.\n\n|");
        keys.forEach(k -> md.append(' ').append(k).append(" |"));
        md.append(" draws | diverged | 95% CI | criterion η·λ_max > 2 | median λ_max |\n|")
                .append("---|".repeat(keys.size() + 5)).append('\n');
        List<Object[]> cells = new ArrayList<>();
        try (ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                Object[] key = new Object[keys.size()];
                for (int i = 0; i < key.length; i++) {
                    key[i] = rs.getObject(i + 1);
                }
                long n = rs.getLong(keys.size() + 1);
                long k = rs.getLong(keys.size() + 2);
                long c = rs.getLong(keys.size() + 3);
                double[] ci = wilson(k, n);
                md.append('|');
                for (Object o : key) {
                    md.append(' ').append(o).append(" |");
                }
                md.append(String.format(" %d | %.3f | [%.3f, %.3f] | %.3f | %.4g |%n", n, k / (double) n, ci[0], ci[1],
                        c / (double) n, rs.getDouble(keys.size() + 4)));
                cells.add(new Object[] {key, (double) k / n, ci});
            }
        }
        md.append('\n');
        for (int a = 0; a < keys.size(); a++) {
            String name = keys.get(a);
            Param axis = varying.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
            if (axis.kind() == Param.Kind.CHOICE) {
                continue;
            }
            plot(dir, md, keys, a, cells);
        }
    }

    private static void plot(Path dir, StringBuilder md, List<String> keys, int axis, List<Object[]> cells) throws IOException {
        String axisName = keys.get(axis);
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (Object[] c : cells) {
            Object[] key = (Object[]) c[0];
            if (!(key[axis] instanceof Number x)) {
                return;
            }
            StringBuilder label = new StringBuilder();
            for (int i = 0; i < key.length; i++) {
                if (i != axis) {
                    label.append(label.isEmpty() ? "" : ", ").append(keys.get(i)).append('=').append(key[i]);
                }
            }
            double[] ci = (double[]) c[2];
            series.computeIfAbsent(label.isEmpty() ? "P(diverge)" : label.toString(), k -> new ArrayList<>())
                    .add(new double[] {x.doubleValue(), (double) c[1], ci[0], ci[1]});
        }
        XYChart chart = RunReport.chart("probability that fixed-step GD diverges vs " + axisName, axisName, "P(diverge)");
        chart.getStyler().setYAxisLogarithmic(false);
        md.append("### Divergence probability vs ").append(axisName)
                .append("\n\n| series | power-law exponent of P(diverge) where 0 < P < 1 |\n|---|---|\n");
        int i = 0;
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            double[] x = e.getValue().stream().mapToDouble(v -> v[0]).toArray();
            double[] y = e.getValue().stream().mapToDouble(v -> v[1]).toArray();
            double[] err = e.getValue().stream().mapToDouble(v -> (v[3] - v[2]) / 2).toArray();
            XYSeries ser = chart.addSeries(e.getKey(), x, y, err);
            ser.setLineColor(chart.getStyler().getTheme().getSeriesColors()[i++ % chart.getStyler().getTheme().getSeriesColors().length]);
            double[] fx = e.getValue().stream().filter(v -> v[1] > 0 && v[1] < 1).mapToDouble(v -> v[0]).toArray();
            double[] fy = e.getValue().stream().filter(v -> v[1] > 0 && v[1] < 1).mapToDouble(v -> v[1]).toArray();
            PowerLawFit fit = PowerLawFit.of(fx, fy);
            md.append("| ").append(e.getKey()).append(" | ").append(fit == null ? "(fewer than 3 points inside (0, 1))" : fit)
                    .append(" |\n");
        }
        String name = "divergence_vs_" + axisName;
        RunReport.save(chart, dir, name);
        md.append("\n![").append(name).append("](plots/").append(name).append(".png)\n\n");
    }
}
