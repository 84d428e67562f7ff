package dev.scalekernel.harness.report;

import dev.scalekernel.harness.spec.Param;
import org.hipparchus.stat.regression.SimpleRegression;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compute-optimal frontier of GD runs: with compute C = N·P·t (proportional to the flops of t
 * full-batch steps, and to N·t at fixed P as in Bordelon et al.), the lower envelope of the loss over
 * every (N, P, t), and power-law fits of N*, P*, t* and L* along it. Where the spec fixes a and b
 * (power-law features) the dynamical model's prediction for a − 1 &lt; b is printed beside:
 * N* ~ C^{1/(1+b)}, t* ~ C^{b/(1+b)}.
 */
final class Frontier {

    private Frontier() {
    }

    static void section(Path dir, StringBuilder md, Statement s, List<Param> varying) throws SQLException, IOException {
        boolean widths = varying.stream().anyMatch(p -> p.name().equals("N"));
        if (!widths || RunReport.count(s, "SELECT count(*) FROM results WHERE step > 0 AND NOT diverged") == 0) {
            return;
        }
        String loss = RunReport.count(s, "SELECT count(*) FROM results WHERE step > 0 AND population_loss IS NULL") == 0
                ? "population_loss" : "test_loss";
        List<double[]> runs = new ArrayList<>(); // N, P, t, C, loss
        try (ResultSet rs = s.executeQuery("SELECT N, P, step, avg(" + loss + ") FROM results WHERE step > 0 AND NOT diverged "
                + "GROUP BY N, P, step ORDER BY N, P, step")) {
            while (rs.next()) {
                double n = rs.getDouble(1);
                double p = rs.getDouble(2);
                double t = rs.getDouble(3);
                runs.add(new double[] {n, p, t, n * p * t, rs.getDouble(4)});
            }
        }
        List<double[]> frontier = new ArrayList<>();
        runs.stream().sorted(Comparator.comparingDouble(r -> r[3])).forEach(r -> {
            if (Double.isFinite(r[4]) && (frontier.isEmpty() || r[4] < frontier.getLast()[4])) {
                frontier.add(r);
            }
        });
        md.append("## Compute-optimal frontier\n\nCompute C = N·P·t; the frontier is the lower envelope of ").append(loss)
                .append(" over all runs and steps (").append(frontier.size()).append(" points).\n\n")
                .append("| quantity | exponent vs C (95% CI) | prediction |\n|---|---|---|\n");
        Double b = RunReport.fixedDouble(s, "b");
        Double a = RunReport.fixedDouble(s, "a");
        String[] names = {"N*", "P*", "t*", "L*"};
        int[] column = {0, 1, 2, 4};
        for (int i = 0; i < names.length; i++) {
            SimpleRegression r = new SimpleRegression();
            for (double[] f : frontier) {
                r.addData(Math.log(f[3]), Math.log(f[column[i]]));
            }
            String prediction = "";
            if (b != null && a != null && a - 1 < b) {
                prediction = switch (names[i]) {
                    case "N*" -> String.format("%.3f (1/(1+b), P fixed)", 1 / (1 + b));
                    case "t*" -> String.format("%.3f (b/(1+b), P fixed)", b / (1 + b));
                    case "L*" -> String.format("%.3f (-(a-1)/(1+b))", -(a - 1) / (1 + b));
                    default -> "";
                };
            }
            int col = column[i];
            boolean constant = frontier.stream().mapToDouble(f -> f[col]).distinct().count() == 1;
            String fit = constant ? "fixed at " + RunReport.fmt(frontier.getFirst()[col])
                    : r.getN() >= 3 ? String.format("%.3f ± %.3f", r.getSlope(), r.getSlopeConfidenceInterval(0.05))
                    : "(fewer than 3 frontier points)";
            md.append("| ").append(names[i]).append(" | ").append(fit).append(" | ").append(prediction).append(" |\n");
        }
        XYChart chart = RunReport.chart(loss + " vs compute C = N P t, with the frontier", "C", loss);
        Map<String, List<double[]>> byWidth = new LinkedHashMap<>();
        for (double[] r : runs) {
            byWidth.computeIfAbsent("N=" + RunReport.fmt(r[0]) + ", P=" + RunReport.fmt(r[1]), k -> new ArrayList<>()).add(r);
        }
        int i = 0;
        for (Map.Entry<String, List<double[]>> e : byWidth.entrySet()) {
            XYSeries ser = RunReport.addSeries(chart, i++, e.getKey(), e.getValue().stream().mapToDouble(r -> r[3]).toArray(),
                    e.getValue().stream().mapToDouble(r -> r[4]).toArray(), null);
            if (ser != null) {
                ser.setMarker(SeriesMarkers.NONE);
            }
        }
        XYSeries f = chart.addSeries("frontier", frontier.stream().mapToDouble(r -> r[3]).toArray(),
                frontier.stream().mapToDouble(r -> r[4]).toArray());
        f.setLineStyle(SeriesLines.DASH_DASH);
        f.setLineColor(java.awt.Color.BLACK);
        f.setMarker(SeriesMarkers.DIAMOND);
        f.setMarkerColor(java.awt.Color.BLACK);
        RunReport.save(chart, dir, "compute_frontier");
        md.append("\n![compute_frontier](plots/compute_frontier.png)\n\n");
    }

}
