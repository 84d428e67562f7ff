package dev.scalekernel.harness.report;

import dev.scalekernel.harness.spec.Param;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Random walks on graphs (Barkeshli, Alfarano, Gromov): the graphs the walks ran on, and the fitted
 * exponents of the excess cross-entropy along width N and tokens P for each graph family, size and
 * trainer side by side, so that one table shows how the exponents move with the family and the size.
 * Besides the fit over all points, each axis has a window with a reason: N below the number of nodes
 * (above it the one-hot features span every node and the loss stops depending on N), and P at least
 * 100 times the number of nodes (even the rarest nodes are visited many more times than they have
 * neighbours: the asymptotic regime in which the plug-in estimator, the empirical next-node frequencies,
 * has excess Σ_i (deg_i − 1)/(2P) = (2E − n)/(2P), exponent −1). That value is shown beside the
 * measured loss at the largest P: a model at full width approaches it, one limited by width or steps
 * stays above. A plot shows the windowed exponents against the number of nodes, one line per family
 * (and trainer): how the exponents move with the graph's family and size.
 */
final class GraphWalks {

    private static final String LOSS = "population_loss";

    private GraphWalks() {
    }

    static void section(Path dir, StringBuilder md, Statement s, List<Param> varying) throws SQLException, IOException {
        List<String> keys = varying.stream().map(Param::name).filter(k -> !k.equals("N") && !k.equals("P")).toList();
        md.append("## Random walks on graphs: exponents by graph family and size\n\n");
        graphs(md, s, keys);
        for (String axis : List.of("N", "P")) {
            if (varying.stream().anyMatch(p -> p.name().equals(axis))) {
                exponents(dir, md, s, keys, axis);
            }
        }
    }

    private static void graphs(StringBuilder md, Statement s, List<String> keys) throws SQLException {
        List<String> graphKeys = keys.stream().filter(k -> List.of("family", "nodes", "degree", "m", "kappa", "graph_seed")
                .contains(k)).toList();
        String group = graphKeys.stream().map(RunReport::q).collect(Collectors.joining(", "));
        md.append("Graphs (the largest component of each; means over the points' graphs):\n\n|");
        graphKeys.forEach(k -> md.append(' ').append(k).append(" |"));
        md.append(" nodes walked | edges | mean degree | max degree | entropy rate (nats) |\n|")
                .append("---|".repeat(graphKeys.size() + 5)).append('\n');
        try (ResultSet rs = s.executeQuery("SELECT " + (group.isEmpty() ? "" : group + ", ")
                + "avg(graph_nodes), avg(graph_edges), avg(mean_degree), avg(max_degree), avg(entropy_rate) FROM results"
                + (group.isEmpty() ? "" : " GROUP BY " + group + " ORDER BY " + group))) {
            while (rs.next()) {
                md.append('|');
                for (int i = 1; i <= graphKeys.size(); i++) {
                    md.append(' ').append(rs.getObject(i)).append(" |");
                }
                int c = graphKeys.size();
                md.append(String.format(" %.1f | %.1f | %.2f | %.1f | %.4f |%n", rs.getDouble(c + 1), rs.getDouble(c + 2),
                        rs.getDouble(c + 3), rs.getDouble(c + 4), rs.getDouble(c + 5)));
            }
        }
        md.append('\n');
    }

    private static void exponents(Path dir, StringBuilder md, Statement s, List<String> keys, String axis)
            throws SQLException, IOException {
        String keyList = keys.stream().map(RunReport::q).collect(Collectors.joining(", "));
        // series → axis value → seed → final loss
        Map<String, TreeMap<Double, Map<Long, Double>>> series = new LinkedHashMap<>();
        Map<String, Double> nodes = new LinkedHashMap<>();
        Map<String, Double> plugIn = new LinkedHashMap<>();
        Map<String, String> family = new LinkedHashMap<>(); // series → its label without the size
        try (ResultSet rs = s.executeQuery("WITH last AS (SELECT * FROM results r WHERE step IS NULL OR step = "
                + "(SELECT max(step) FROM results r2 WHERE r2.point_id = r.point_id)) SELECT "
                + (keyList.isEmpty() ? "" : keyList + ", ") + RunReport.q(axis) + ", seed, " + LOSS
                + ", nodes, (2.0 * graph_edges - graph_nodes) / (2.0 * P) FROM last ORDER BY "
                + (keyList.isEmpty() ? "" : keyList + ", ") + RunReport.q(axis) + ", seed")) {
            while (rs.next()) {
                StringBuilder label = new StringBuilder();
                for (int i = 0; i < keys.size(); i++) {
                    label.append(i > 0 ? ", " : "").append(keys.get(i)).append('=').append(rs.getObject(i + 1));
                }
                String name = label.isEmpty() ? LOSS : label.toString();
                StringBuilder others = new StringBuilder();
                for (int i = 0; i < keys.size(); i++) {
                    if (!keys.get(i).equals("nodes")) {
                        others.append(others.isEmpty() ? "" : ", ").append(keys.get(i)).append('=').append(rs.getObject(i + 1));
                    }
                }
                family.put(name, others.isEmpty() ? LOSS : others.toString());
                int c = keys.size();
                series.computeIfAbsent(name, k -> new TreeMap<>()).computeIfAbsent(rs.getDouble(c + 1), k -> new TreeMap<>())
                        .put(rs.getLong(c + 2), rs.getDouble(c + 3));
                nodes.put(name, rs.getDouble(c + 4));
                plugIn.merge(name, rs.getDouble(c + 5), Math::min); // its value at the largest P
            }
        }
        String window = axis.equals("N") ? "N < nodes" : "P >= 100 nodes";
        md.append("### Exponent of ").append(LOSS).append(" vs ").append(axis).append("\n\n| series | all points (95% CI) ")
                .append("| bootstrap 95% CI over seeds | ").append(window).append(" (95% CI) | points in window ")
                .append("| loss at the largest ").append(axis).append(" | plug-in (2E - n)/(2P) there |\n|---|---|---|---|---|---|---|\n");
        Map<String, List<double[]>> trend = new LinkedHashMap<>(); // family → {nodes, exponent, 95% half-width}
        for (Map.Entry<String, TreeMap<Double, Map<Long, Double>>> e : series.entrySet()) {
            double n = nodes.get(e.getKey());
            List<Long> seeds = e.getValue().values().stream().flatMap(m -> m.keySet().stream()).distinct().sorted().toList();
            double[] x = e.getValue().keySet().stream().mapToDouble(Double::doubleValue).toArray();
            double[] y = e.getValue().values().stream().mapToDouble(m -> m.values().stream().mapToDouble(Double::doubleValue)
                    .filter(Double::isFinite).average().orElse(Double.NaN)).toArray();
            double[][] bySeed = new double[x.length][seeds.size()];
            int i = 0;
            for (Map<Long, Double> m : e.getValue().values()) {
                for (int j = 0; j < seeds.size(); j++) {
                    bySeed[i][j] = m.getOrDefault(seeds.get(j), Double.NaN);
                }
                i++;
            }
            PowerLawFit all = PowerLawFit.of(x, y);
            double[] boot = seeds.size() >= 2 && all != null ? PowerLawFit.bootstrap(x, bySeed, 1000, 1) : null;
            List<double[]> inside = new ArrayList<>();
            for (int k = 0; k < x.length; k++) {
                if (axis.equals("N") ? x[k] < n : x[k] >= 100 * n) {
                    inside.add(new double[] {x[k], y[k]});
                }
            }
            PowerLawFit windowed = PowerLawFit.of(inside.stream().mapToDouble(v -> v[0]).toArray(),
                    inside.stream().mapToDouble(v -> v[1]).toArray());
            md.append("| ").append(e.getKey()).append(" | ").append(all == null ? "(fewer than 3 points)" : all)
                    .append(" | ").append(boot == null ? "" : String.format("[%.3f, %.3f]", boot[0], boot[1]))
                    .append(" | ").append(windowed == null ? "(fewer than 3 points)" : windowed)
                    .append(" | ").append(inside.size())
                    .append(String.format(" | %.4g | %.4g |%n", y[y.length - 1], plugIn.get(e.getKey())));
            if (windowed != null && Double.isFinite(windowed.slope())) {
                trend.computeIfAbsent(family.get(e.getKey()), k -> new ArrayList<>())
                        .add(new double[] {n, windowed.slope(), Double.isFinite(windowed.halfWidth95()) ? windowed.halfWidth95() : 0});
            }
        }
        md.append('\n');
        if (keys.contains("nodes") && trend.values().stream().anyMatch(v -> v.size() >= 2)) {
            XYChart chart = new XYChartBuilder().width(900).height(600)
                    .title("exponent of " + LOSS + " vs " + axis + " (" + window + ", 95% CI) by graph size")
                    .xAxisTitle("nodes").yAxisTitle("exponent").build();
            chart.getStyler().setXAxisLogarithmic(true);
            chart.getStyler().setErrorBarsColorSeriesColor(true);
            int i = 0;
            for (Map.Entry<String, List<double[]>> t : trend.entrySet()) {
                List<double[]> v = t.getValue().stream().sorted(java.util.Comparator.comparingDouble(a -> a[0])).toList();
                java.awt.Color[] palette = chart.getStyler().getTheme().getSeriesColors();
                java.awt.Color colour = palette[i++ % palette.length];
                var line = chart.addSeries(t.getKey(), v.stream().mapToDouble(a -> a[0]).toArray(),
                        v.stream().mapToDouble(a -> a[1]).toArray(), v.stream().mapToDouble(a -> a[2]).toArray());
                line.setLineColor(colour);
                line.setMarkerColor(colour);
            }
            String name = "exponent_vs_nodes_" + axis;
            RunReport.save(chart, dir, name);
            md.append("![").append(name).append("](plots/").append(name).append(".png)\n\n");
        }
    }
}
