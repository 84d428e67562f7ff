package dev.scalekernel.harness.report;

import dev.scalekernel.harness.spec.Param;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * How much each loss exponent along a swept axis depends on choices the data do not fix, beside the
 * bootstrap interval that measures seed noise (Barkeshli et al.: window sensitivity is not bootstrap
 * uncertainty). For every series of the final loss against a numeric axis: the least-squares exponent,
 * its bootstrap over seeds, its range when the window loses the smallest or largest point or the lowest
 * or highest decade, and its range over the irreducible term: E = 0 (the plain fit), E fitted with the
 * exponent in L = E + A·x^-a (Huber δ = 10⁻³ on log residuals, L-BFGS from a grid), and E at ±10% of
 * that fit (slope of log(L − E)).
 */
final class AxisSensitivity {

    private static final int MAX_SERIES = 16;
    private static final double E_SHIFT = 0.10;

    private AxisSensitivity() {
    }

    static void section(StringBuilder md, Statement s, List<Param> varying) throws SQLException {
        List<Param> axes = varying.stream().filter(p -> p.kind() != Param.Kind.CHOICE).toList();
        if (axes.isEmpty()) {
            return;
        }
        java.util.Set<String> columns = RunReport.columns(s);
        String loss = columns.contains("population_loss") && RunReport.count(s, "SELECT count(*) FROM results WHERE "
                + "population_loss IS NULL") == 0 ? "population_loss" : "test_loss";
        if (!columns.contains(loss)) {
            return;
        }
        String keys = varying.stream().map(p -> RunReport.q(p.name())).collect(Collectors.joining(", "));
        List<Object[]> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("WITH last AS (SELECT * FROM results r WHERE step IS NULL OR step = "
                + "(SELECT max(step) FROM results r2 WHERE r2.point_id = r.point_id)) SELECT " + keys + ", seed, "
                + RunReport.q(loss) + " FROM last")) {
            while (rs.next()) {
                Object[] row = new Object[varying.size() + 2];
                for (int i = 0; i < row.length; i++) {
                    row[i] = rs.getObject(i + 1);
                }
                rows.add(row);
            }
        }
        StringBuilder out = new StringBuilder();
        for (Param axis : axes) {
            int a = varying.indexOf(axis);
            // series label -> x -> seed -> loss
            Map<String, TreeMap<Double, Map<Long, Double>>> series = new LinkedHashMap<>();
            for (Object[] row : rows) {
                StringBuilder label = new StringBuilder();
                for (int i = 0; i < varying.size(); i++) {
                    if (i != a) {
                        label.append(label.isEmpty() ? "" : ", ").append(varying.get(i).name()).append('=').append(row[i]);
                    }
                }
                if (row[a] instanceof Number x && row[varying.size() + 1] instanceof Number l) {
                    series.computeIfAbsent(label.isEmpty() ? loss : label.toString(), k -> new TreeMap<>())
                            .computeIfAbsent(x.doubleValue(), k -> new TreeMap<>())
                            .put(((Number) row[varying.size()]).longValue(), l.doubleValue());
                }
            }
            StringBuilder table = new StringBuilder();
            int shown = 0;
            for (Map.Entry<String, TreeMap<Double, Map<Long, Double>>> e : series.entrySet()) {
                if (e.getValue().size() < 4 || shown >= MAX_SERIES) {
                    continue;
                }
                String line = row(e.getKey(), e.getValue());
                if (line != null) {
                    table.append(line);
                    shown++;
                }
            }
            if (!table.isEmpty()) {
                out.append("### Exponent sensitivity: ").append(loss).append(" vs ").append(axis.name()).append("\n\n")
                        .append("| series | exponent (E = 0) | bootstrap 95% over seeds | window [min, max] | fitted E | exponent of L − E ")
                        .append("| E-term [min, max] |\n|---|---|---|---|---|---|---|\n").append(table).append('\n');
            }
        }
        if (!out.isEmpty()) {
            md.append("## Sensitivity of the loss exponents\n\nBeside the bootstrap (seed noise), the range of each exponent over ")
                    .append("fit windows (without the smallest or the largest point, without the lowest or the highest decade) and ")
                    .append("over the irreducible term (E = 0; E fitted with the exponent in L = E + A·x^-a; E at ±10% of that fit). ")
                    .append("Final losses, mean over seeds; series with at least 4 points.\n\n").append(out);
        }
    }

    private static String row(String label, TreeMap<Double, Map<Long, Double>> points) {
        double[] x = points.keySet().stream().mapToDouble(Double::doubleValue).toArray();
        List<Long> seeds = points.values().stream().flatMap(m -> m.keySet().stream()).distinct().sorted().toList();
        double[][] perSeed = new double[x.length][seeds.size()];
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            Map<Long, Double> m = points.get(x[i]);
            for (int j = 0; j < seeds.size(); j++) {
                perSeed[i][j] = m.getOrDefault(seeds.get(j), Double.NaN);
            }
            y[i] = m.values().stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).average().orElse(Double.NaN);
        }
        PowerLawFit base = PowerLawFit.of(x, y);
        if (base == null) {
            return null;
        }
        double[] boot = seeds.size() >= 2 ? PowerLawFit.bootstrap(x, perSeed, 1000, 1) : null;
        List<Double> windows = new ArrayList<>();
        int n = x.length;
        windows.add(slope(Arrays.copyOfRange(x, 1, n), Arrays.copyOfRange(y, 1, n), 0));
        windows.add(slope(Arrays.copyOfRange(x, 0, n - 1), Arrays.copyOfRange(y, 0, n - 1), 0));
        double[][] above = RunReport.inside(new double[] {x[0] * 10, Double.POSITIVE_INFINITY}, x, y);
        double[][] below = RunReport.inside(new double[] {0, x[n - 1] / 10}, x, y);
        windows.add(slope(above[0], above[1], 0));
        windows.add(slope(below[0], below[1], 0));
        double[] floor = floorFit(x, y);
        List<Double> eTerms = new ArrayList<>();
        eTerms.add(base.slope());
        if (floor != null) {
            eTerms.add(floor[1]);
            if (floor[0] > 0) {
                eTerms.add(slope(x, y, (1 - E_SHIFT) * floor[0]));
                eTerms.add(slope(x, y, (1 + E_SHIFT) * floor[0]));
            }
        }
        return String.format("| %s | %.3f | %s | %s | %s | %s | %s |%n", label, base.slope(),
                boot == null ? "(needs 2+ seeds)" : String.format("[%.3f, %.3f]", boot[0], boot[1]), range(windows),
                floor == null ? "n/a" : String.format("%.4g", floor[0]), floor == null ? "n/a" : String.format("%.3f", floor[1]),
                range(eTerms));
    }

    /** Least-squares slope of log(y − e) on log x over the points with y &gt; e; NaN with fewer than 3. */
    static double slope(double[] x, double[] y, double e) {
        double[] shifted = Arrays.stream(y).map(v -> v - e).toArray();
        PowerLawFit f = PowerLawFit.of(x, shifted);
        return f == null ? Double.NaN : f.slope();
    }

    /**
     * L = E + A·x^-a fitted like {@link JointFit} (log L̂ = LSE(e, c − a·log x), Huber δ = 10⁻³ on log
     * residuals, L-BFGS from the best 16 of a grid): {E, −a} (the exponent as a slope), or null with fewer
     * than 4 usable points.
     */
    static double[] floorFit(double[] x, double[] y) {
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (x[i] > 0 && y[i] > 0 && Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                pts.add(new double[] {Math.log(x[i]), Math.log(y[i])});
            }
        }
        if (pts.size() < 4) {
            return null;
        }
        double center = pts.stream().mapToDouble(p -> p[0]).average().orElseThrow();
        double minLog = pts.stream().mapToDouble(p -> p[1]).min().orElseThrow();
        Lbfgs.Objective objective = (p, g) -> {
            Arrays.fill(g, 0);
            double sum = 0;
            for (double[] pt : pts) {
                double t = p[1] - p[2] * (pt[0] - center);
                double max = Math.max(p[0], t);
                double wE = Math.exp(p[0] - max);
                double wA = Math.exp(t - max);
                double r = max + Math.log(wE + wA) - pt[1];
                double dh = Math.abs(r) <= JointFit.DELTA ? r : Math.copySign(JointFit.DELTA, r);
                sum += Math.abs(r) <= JointFit.DELTA ? 0.5 * r * r : JointFit.DELTA * (Math.abs(r) - 0.5 * JointFit.DELTA);
                double z = wE + wA;
                g[0] += dh * wE / z;
                g[1] += dh * wA / z;
                g[2] -= dh * wA / z * (pt[0] - center);
            }
            return sum;
        };
        List<double[]> grid = new ArrayList<>();
        double[] scratch = new double[3];
        for (double e = minLog - 12; e <= minLog + 0.01; e += 1.5) {
            for (double c = minLog - 2; c <= minLog + 8; c += 1) {
                for (double a = 0.125; a <= 4; a *= 1.5) {
                    grid.add(new double[] {e, c, a});
                }
            }
        }
        double[] score = grid.stream().mapToDouble(p -> objective.valueAndGradient(p, scratch)).toArray();
        Integer[] order = java.util.stream.IntStream.range(0, grid.size()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, java.util.Comparator.comparingDouble(i -> score[i]));
        Lbfgs.Result best = null;
        for (int k = 0; k < Math.min(16, order.length); k++) {
            Lbfgs.Result r = Lbfgs.minimize(objective, grid.get(order[k]), 1e-13, 2000);
            if (best == null || r.value() < best.value()) {
                best = r;
            }
        }
        return new double[] {Math.exp(best.x()[0]), -best.x()[2]};
    }

    private static String range(List<Double> values) {
        double[] f = values.stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).toArray();
        if (f.length == 0) {
            return "n/a";
        }
        return String.format("[%.3f, %.3f]", Arrays.stream(f).min().orElseThrow(), Arrays.stream(f).max().orElseThrow());
    }
}
