package dev.scalekernel.harness.report;

import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.experiment.Experiments;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.store.ResultsStore;
import dev.scalekernel.harness.sweep.SweepRunner;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.knowm.xchart.style.lines.SeriesLines;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads a run directory's results (never runs a point) and writes {@code report.md} with the spec,
 * provenance, a table of final losses (mean ± standard error over seeds), power-law fits along each
 * swept numeric axis, and plots in {@code plots/} (PNG and SVG): loss against each numeric axis on
 * log-log axes with error bars and fitted lines, and loss against training step for GD runs.
 */
public final class RunReport {

    public static final String FILE = "report.md";
    private static final String[] LOSSES = {"test_loss", "population_loss", "train_loss", "theory_loss"};
    private static final int MAX_SERIES = 16;

    /** A group of seeds at one grid point: its varying parameter values and loss statistics. */
    record Cell(Map<String, Object> key, Map<String, double[]> meanAndError, int seeds) {
    }

    private RunReport() {
    }

    public static Path write(Path directory) {
        return write(directory, Map.of());
    }

    /**
     * @param windows fit windows by axis name ("N", "P", "step", ...): {low, high}, inclusive; fits
     *                along an axis use only the points inside its window (plots still show all points)
     */
    public static Path write(Path directory, Map<String, double[]> windows) {
        System.setProperty("java.awt.headless", "true");
        try (Connection c = ResultsStore.openReadOnly(directory); Statement s = c.createStatement()) {
            StringBuilder md = new StringBuilder();
            String specText = Files.isRegularFile(directory.resolve(SweepRunner.SPEC_FILE))
                    ? Files.readString(directory.resolve(SweepRunner.SPEC_FILE)) : "(spec.yaml missing)";
            Experiment experiment = experiment(s);
            md.append("# Run `").append(directory.getFileName()).append("`\n\n");
            if (experiment == null) {
                md.append("No finished points yet.\n\n```yaml\n").append(specText).append("```\n");
                return save(directory, md);
            }
            md.append(experiment.description()).append(".\n\n");
            provenance(s, md);
            md.append("## Spec\n\n```yaml\n").append(specText).append("```\n\n");

            java.util.Set<String> columns = columns(s);
            List<Param> varying = new ArrayList<>();
            for (Param p : experiment.params()) {
                // Runs written by an older version may lack parameters added since.
                if (columns.contains(p.name()) && count(s, "SELECT count(DISTINCT " + q(p.name()) + ") FROM results") > 1) {
                    varying.add(p);
                }
            }
            List<Cell> cells = finalCells(s, varying);
            table(md, varying, cells);
            Files.createDirectories(directory.resolve("plots"));
            md.append("## Fits and plots\n\n");
            md.append("Exponents are least-squares slopes of log(loss) against log(axis) over all points of a series, ")
                    .append("with the regression's 95% interval and a percentile bootstrap over seeds (1000 resamples); ")
                    .append("Huber down-weights outlying points; the broken power law fits two exponents on either side of ")
                    .append("the best break (under- and over-parameterised branches); error bars are standard errors over seeds; ")
                    .append("dotted lines are theory where the model has one.\n\n");
            for (Param axis : varying) {
                if (axis.kind() != Param.Kind.CHOICE) {
                    axisPlot(directory, md, s, axis, varying, cells, windows.get(axis.name()));
                }
            }
            AxisSensitivity.section(md, s, varying);
            trajectoryPlot(directory, md, s, varying, windows.getOrDefault("step", new double[] {10, Double.POSITIVE_INFINITY}));
            if (columns.containsAll(List.of("trainer", "eta", "eta_used", "diverged", "lambda_max"))) {
                Instability.section(directory, md, s, varying);
            }
            if (columns.containsAll(List.of("N", "P", "diverged"))) {
                Frontier.section(directory, md, s, varying);
            }
            if (columns.contains("data_seed")) {
                FeatureVariance.section(directory, md, s, varying);
            }
            if (columns.contains("entropy_rate")) {
                GraphWalks.section(directory, md, s, varying);
            }
            ComputeOptimalReport.section(directory, md, s, varying);
            if (columns.containsAll(List.of("regime", "excess_loss"))) {
                ScalingRegimes.section(directory, md, s);
            }
            return save(directory, md);
        } catch (SQLException e) {
            throw new IllegalStateException("reading the results of " + directory + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the report of " + directory + ": " + e.getMessage(), e);
        }
    }

    private static Experiment experiment(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT experiment FROM results LIMIT 1")) {
            return rs.next() ? Experiments.get(rs.getString(1)) : null;
        }
    }

    private static void provenance(Statement s, StringBuilder md) throws SQLException {
        md.append("## Provenance\n\n| | |\n|---|---|\n");
        try (ResultSet rs = s.executeQuery("SELECT string_agg(DISTINCT backend, ', '), string_agg(DISTINCT dtype, ', '), "
                + "string_agg(DISTINCT threads::VARCHAR, ', '), string_agg(DISTINCT host, ', '), string_agg(DISTINCT version, ', '), "
                + "min(finished_at), max(finished_at) FROM results")) {
            rs.next();
            md.append("| backend | ").append(rs.getString(1)).append(" |\n")
                    .append("| dtype | ").append(rs.getString(2)).append(" |\n")
                    .append("| threads | ").append(rs.getString(3)).append(" |\n")
                    .append("| host | ").append(rs.getString(4)).append(" |\n")
                    .append("| versions | ").append(rs.getString(5)).append(" |\n")
                    .append("| first / last point finished | ").append(rs.getString(6)).append(" / ").append(rs.getString(7)).append(" |\n");
        }
        try (ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status <> 'done'), "
                + "sum(wall_s) FROM points")) {
            rs.next();
            md.append("| points done / failed | ").append(rs.getLong(1)).append(" / ").append(rs.getLong(2)).append(" |\n")
                    .append(String.format("| compute time (sum over points) | %.2f s |%n", rs.getDouble(3)));
        }
        try (ResultSet rs = s.executeQuery("SELECT sum(f) FROM (SELECT any_value(flops) AS f FROM results GROUP BY point_id)")) {
            rs.next();
            md.append(String.format("| floating-point operations (estimate) | %.3g |%n%n", rs.getDouble(1)));
        }
    }

    /** Last recorded row of every point, averaged over seeds per grid point. */
    private static List<Cell> finalCells(Statement s, List<Param> varying) throws SQLException {
        java.util.Set<String> columns = columns(s);
        String keys = varying.stream().map(p -> q(p.name())).collect(Collectors.joining(", "));
        StringBuilder sql = new StringBuilder("WITH last AS (SELECT * FROM results r WHERE step IS NULL OR step = "
                + "(SELECT max(step) FROM results r2 WHERE r2.point_id = r.point_id)) SELECT ");
        if (!keys.isEmpty()) {
            sql.append(keys).append(", ");
        }
        for (String l : LOSSES) {
            String c = columns.contains(l) ? l : "NULL::DOUBLE";
            sql.append("avg(").append(c).append("), stddev_samp(").append(c).append(") / sqrt(count(").append(c).append(")), ");
        }
        sql.append("count(*) FROM last");
        if (!keys.isEmpty()) {
            sql.append(" GROUP BY ").append(keys).append(" ORDER BY ").append(keys);
        }
        List<Cell> cells = new ArrayList<>();
        try (ResultSet rs = s.executeQuery(sql.toString())) {
            while (rs.next()) {
                Map<String, Object> key = new LinkedHashMap<>();
                for (int i = 0; i < varying.size(); i++) {
                    key.put(varying.get(i).name(), rs.getObject(i + 1));
                }
                Map<String, double[]> stats = new LinkedHashMap<>();
                int col = varying.size() + 1;
                for (String l : LOSSES) {
                    double mean = rs.getDouble(col);
                    boolean missing = rs.wasNull();
                    double err = rs.getDouble(col + 1);
                    stats.put(l, missing ? null : new double[] {mean, rs.wasNull() ? 0 : err});
                    col += 2;
                }
                cells.add(new Cell(key, stats, rs.getInt(col)));
            }
        }
        return cells;
    }

    private static void table(StringBuilder md, List<Param> varying, List<Cell> cells) {
        md.append("## Final losses (mean ± standard error over seeds)\n\n|");
        varying.forEach(p -> md.append(' ').append(p.name()).append(" |"));
        for (String l : LOSSES) {
            md.append(' ').append(l).append(" |");
        }
        md.append(" seeds |\n|").append("---|".repeat(varying.size() + LOSSES.length + 1)).append('\n');
        for (Cell c : cells) {
            md.append('|');
            c.key().values().forEach(v -> md.append(' ').append(v).append(" |"));
            for (String l : LOSSES) {
                double[] st = c.meanAndError().get(l);
                md.append(' ').append(st == null ? "" : String.format("%.4g ± %.2g", st[0], st[1])).append(" |");
            }
            md.append(' ').append(c.seeds()).append(" |\n");
        }
        md.append('\n');
    }

    /** Final value of a loss per grid point and seed: key (the varying values joined) → seed → value. */
    private static Map<String, Map<Long, Double>> perSeed(Statement s, List<Param> varying, String loss) throws SQLException {
        String keys = varying.stream().map(p -> q(p.name())).collect(Collectors.joining(", "));
        Map<String, Map<Long, Double>> out = new LinkedHashMap<>();
        try (ResultSet rs = s.executeQuery("WITH last AS (SELECT * FROM results r WHERE step IS NULL OR step = "
                + "(SELECT max(step) FROM results r2 WHERE r2.point_id = r.point_id)) SELECT "
                + (keys.isEmpty() ? "" : keys + ", ") + "seed, " + q(loss) + " FROM last")) {
            while (rs.next()) {
                StringBuilder key = new StringBuilder();
                for (int i = 0; i < varying.size(); i++) {
                    key.append(rs.getObject(i + 1)).append('|');
                }
                out.computeIfAbsent(key.toString(), k -> new java.util.TreeMap<>()).put(rs.getLong(varying.size() + 1),
                        rs.getDouble(varying.size() + 2));
            }
        }
        return out;
    }

    private static String key(Cell c) {
        StringBuilder key = new StringBuilder();
        c.key().values().forEach(v -> key.append(v).append('|'));
        return key.toString();
    }

    /** The points with x inside the window (all of them when there is none). */
    static double[][] inside(double[] window, double[] x, double[] y) {
        if (window == null) {
            return new double[][] {x, y};
        }
        int[] keep = java.util.stream.IntStream.range(0, x.length).filter(i -> x[i] >= window[0] && x[i] <= window[1]).toArray();
        return new double[][] {java.util.Arrays.stream(keep).mapToDouble(i -> x[i]).toArray(),
            java.util.Arrays.stream(keep).mapToDouble(i -> y[i]).toArray()};
    }

    private static void axisPlot(Path dir, StringBuilder md, Statement st, Param axis, List<Param> varying, List<Cell> cells,
                                 double[] window) throws IOException, SQLException {
        String loss = cells.stream().allMatch(c -> c.meanAndError().get("population_loss") != null) ? "population_loss" : "test_loss";
        Map<String, Map<Long, Double>> seeds = perSeed(st, varying, loss);
        List<Long> seedIds = seeds.values().stream().flatMap(m -> m.keySet().stream()).distinct().sorted().toList();
        Map<String, List<Cell>> series = new LinkedHashMap<>();
        for (Cell c : cells) {
            String label = c.key().entrySet().stream().filter(e -> !e.getKey().equals(axis.name()))
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
            series.computeIfAbsent(label.isEmpty() ? loss : label, k -> new ArrayList<>()).add(c);
        }
        XYChart chart = chart(loss + " vs " + axis.name(), axis.name(), loss);
        md.append("### ").append(loss).append(" vs ").append(axis.name())
                .append(window == null ? "" : " (fits on " + axis.name() + " in [" + fmt(window[0]) + ", " + fmt(window[1]) + "])")
                .append("\n\n| series | exponent (95% CI) | bootstrap 95% CI over seeds | Huber | broken power law (left, right @ break) ")
                .append("| theory exponent | peak (").append(axis.name())
                .append(", loss) | points |\n|---|---|---|---|---|---|---|---|\n");
        int n = 0;
        for (Map.Entry<String, List<Cell>> e : series.entrySet()) {
            if (n++ >= MAX_SERIES) {
                break;
            }
            double[] x = e.getValue().stream().mapToDouble(c -> c.key().get(axis.name()) instanceof Number v ? v.doubleValue()
                    : Double.NaN).toArray();
            double[] y = e.getValue().stream().mapToDouble(c -> c.meanAndError().get(loss)[0]).toArray();
            double[] err = e.getValue().stream().mapToDouble(c -> c.meanAndError().get(loss)[1]).toArray();
            XYSeries data = addSeries(chart, n - 1, e.getKey(), x, y, err);
            if (data == null) {
                continue;
            }
            double[][] fitted = inside(window, x, y);
            PowerLawFit fit = PowerLawFit.of(fitted[0], fitted[1]);
            double[] theory = e.getValue().stream().mapToDouble(c -> c.meanAndError().get("theory_loss") == null ? Double.NaN
                    : c.meanAndError().get("theory_loss")[0]).toArray();
            boolean hasTheory = java.util.Arrays.stream(theory).allMatch(Double::isFinite);
            double[][] theoryFitted = inside(window, x, theory);
            PowerLawFit theoryFit = hasTheory ? PowerLawFit.of(theoryFitted[0], theoryFitted[1]) : null;
            // The double-descent peak: the highest interior local maximum (the global maximum is often the
            // smallest model, at the edge of the range).
            int peak = -1;
            for (int i = 1; i < y.length - 1; i++) {
                if (y[i] > y[i - 1] && y[i] > y[i + 1] && (peak < 0 || y[i] > y[peak])) {
                    peak = i;
                }
            }
            boolean interior = peak > 0;
            double[][] bySeed = new double[x.length][seedIds.size()];
            for (int i = 0; i < x.length; i++) {
                Map<Long, Double> m = seeds.getOrDefault(key(e.getValue().get(i)), Map.of());
                for (int j = 0; j < seedIds.size(); j++) {
                    bySeed[i][j] = m.getOrDefault(seedIds.get(j), Double.NaN);
                }
            }
            double[] boot = seedIds.size() >= 2 && fit != null ? PowerLawFit.bootstrap(x, bySeed, 1000, 1) : null;
            double huber = PowerLawFit.huberSlope(fitted[0], fitted[1]);
            double[] broken = PowerLawFit.broken(fitted[0], fitted[1]);
            md.append("| ").append(e.getKey()).append(" | ").append(fit == null ? "(fewer than 3 points)" : fit.toString())
                    .append(" | ").append(boot == null ? "" : String.format("[%.3f, %.3f]", boot[0], boot[1]))
                    .append(" | ").append(Double.isNaN(huber) ? "" : String.format("%.3f", huber))
                    .append(" | ").append(broken == null ? "" : String.format("%.3f, %.3f @ %s", broken[0], broken[1], fmt(broken[2])))
                    .append(" | ").append(theoryFit == null ? "" : String.format("%.3f", theoryFit.slope()))
                    .append(" | ").append(interior ? String.format("%s, %.4g", fmt(x[peak]), y[peak]) : "none inside the range")
                    .append(" | ").append(x.length).append(" |\n");
            if (hasTheory) {
                XYSeries t = chart.addSeries("theory " + e.getKey(), x, theory);
                t.setMarker(SeriesMarkers.NONE);
                t.setLineStyle(SeriesLines.DOT_DOT);
                t.setLineColor(data.getLineColor());
            }
            if (fit != null) {
                double[] fy = java.util.Arrays.stream(x).map(fit::at).toArray();
                XYSeries line = chart.addSeries("fit " + e.getKey() + ": " + String.format("%.2f", fit.slope()), x, fy);
                line.setMarker(SeriesMarkers.NONE);
                line.setLineStyle(SeriesLines.DASH_DASH);
                line.setLineColor(data.getLineColor());
            }
        }
        String name = loss + "_vs_" + axis.name();
        save(chart, dir, name);
        md.append("\n![").append(name).append("](plots/").append(name).append(".png)\n\n");
    }

    private static void trajectoryPlot(Path dir, StringBuilder md, Statement s, List<Param> varying, double[] window)
            throws SQLException, IOException {
        if (count(s, "SELECT count(*) FROM results WHERE step > 0") == 0) {
            return;
        }
        List<String> keys = varying.stream().map(Param::name).filter(k -> !k.equals("trainer")).toList();
        String keyList = keys.stream().map(RunReport::q).collect(Collectors.joining(", "));
        String loss = count(s, "SELECT count(*) FROM results WHERE step > 0 AND population_loss IS NULL") == 0
                ? "population_loss" : "test_loss";
        String select = "SELECT " + (keyList.isEmpty() ? "" : keyList + ", ") + "step, avg(test_loss), avg(train_loss), avg(" + loss + ") "
                + "FROM results WHERE step > 0 GROUP BY " + (keyList.isEmpty() ? "" : keyList + ", ") + "step ORDER BY "
                + (keyList.isEmpty() ? "" : keyList + ", ") + "step";
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        try (ResultSet rs = s.executeQuery(select)) {
            while (rs.next()) {
                StringBuilder label = new StringBuilder();
                for (int i = 0; i < keys.size(); i++) {
                    label.append(i > 0 ? ", " : "").append(keys.get(i)).append('=').append(rs.getObject(i + 1));
                }
                series.computeIfAbsent(label.isEmpty() ? "GD" : label.toString(), k -> new ArrayList<>())
                        .add(new double[] {rs.getLong(keys.size() + 1), rs.getDouble(keys.size() + 2), rs.getDouble(keys.size() + 3),
                            rs.getDouble(keys.size() + 4)});
            }
        }
        boolean withTrain = series.size() <= 6;
        XYChart chart = chart("GD loss vs step (mean over seeds)" + (withTrain ? ": test solid, train dashed" : ""),
                "step", "loss");
        int n = 0;
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            if (n++ >= MAX_SERIES) {
                break;
            }
            double[] x = e.getValue().stream().mapToDouble(v -> v[0]).toArray();
            double[] y = e.getValue().stream().mapToDouble(v -> v[1]).toArray();
            XYSeries test = addSeries(chart, n - 1, e.getKey(), x, y, null);
            if (withTrain && test != null) {
                double[] train = e.getValue().stream().mapToDouble(v -> v[2]).toArray();
                XYSeries tr = addSeries(chart, n - 1, "train " + e.getKey(), x, train, null);
                if (tr != null) {
                    tr.setLineStyle(SeriesLines.DASH_DASH);
                    tr.setMarker(SeriesMarkers.NONE);
                }
            }
        }
        save(chart, dir, "loss_vs_step");
        Double a = fixedDouble(s, "a");
        Double b = fixedDouble(s, "b");
        String prediction = a != null && b != null ? String.format("%.3f", -(a - 1) / b) : "";
        md.append("### GD loss vs step\n\n| series | time exponent of ").append(loss).append(" on steps in [").append(fmt(window[0]))
                .append(", ").append(fmt(window[1])).append("] (95% CI) | dynamical model -(a-1)/b |\n|---|---|---|\n");
        int shown = 0;
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            if (shown++ >= MAX_SERIES) {
                break;
            }
            double[][] fitted = inside(window, e.getValue().stream().mapToDouble(v -> v[0]).toArray(),
                    e.getValue().stream().mapToDouble(v -> v[3]).toArray());
            PowerLawFit fit = PowerLawFit.of(fitted[0], fitted[1]);
            md.append("| ").append(e.getKey()).append(" | ").append(fit == null ? "(fewer than 3 points)" : fit.toString())
                    .append(" | ").append(prediction).append(" |\n");
        }
        md.append("\n![loss_vs_step](plots/loss_vs_step.png)\n\n");
    }

    /** The value of a numeric column when it is the same in every row, else null (also when there is no such column). */
    static Double fixedDouble(Statement s, String column) throws SQLException {
        if (!columns(s).contains(column)) {
            return null;
        }
        try (ResultSet rs = s.executeQuery("SELECT count(DISTINCT " + q(column) + "), min(" + q(column) + ") FROM results")) {
            rs.next();
            return rs.getLong(1) == 1 ? rs.getDouble(2) : null;
        }
    }

    static String fmt(double v) {
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        double r = Math.rint(v);
        return Math.abs(v - r) <= 1e-9 * Math.abs(v) && Math.abs(v) < 1e15 ? Long.toString((long) r) : String.format("%.4g", v);
    }

    static XYChart chart(String title, String x, String y) {
        XYChart chart = new XYChartBuilder().width(900).height(600).title(title).xAxisTitle(x).yAxisTitle(y).build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setErrorBarsColorSeriesColor(true);
        return chart;
    }

    /** Adds the positive finite points in the next theme colour; null when none are left. */
    static XYSeries addSeries(XYChart chart, int index, String name, double[] x, double[] y, double[] err) {
        List<double[]> keep = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (x[i] > 0 && y[i] > 0 && Double.isFinite(y[i])) {
                // Error bars must stay above zero on a log axis.
                keep.add(new double[] {x[i], y[i], err == null ? 0 : Math.min(err[i], 0.95 * y[i])});
            }
        }
        if (keep.isEmpty()) {
            return null;
        }
        double[] xs = keep.stream().mapToDouble(v -> v[0]).toArray();
        double[] ys = keep.stream().mapToDouble(v -> v[1]).toArray();
        XYSeries s = err == null ? chart.addSeries(name, xs, ys) : chart.addSeries(name, xs, ys, keep.stream().mapToDouble(v -> v[2]).toArray());
        java.awt.Color[] palette = chart.getStyler().getTheme().getSeriesColors();
        java.awt.Color colour = palette[index % palette.length];
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setLineColor(colour);
        s.setMarkerColor(colour);
        return s;
    }

    static void save(XYChart chart, Path dir, String name) throws IOException {
        Path base = dir.resolve("plots").resolve(name);
        BitmapEncoder.saveBitmapWithDPI(chart, base.toString(), BitmapEncoder.BitmapFormat.PNG, 120);
        VectorGraphicsEncoder.saveVectorGraphic(chart, base.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    }

    private static Path save(Path dir, StringBuilder md) throws IOException {
        Path file = dir.resolve(FILE);
        Files.writeString(file, md.toString());
        return file;
    }

    static java.util.Set<String> columns(Statement s) throws SQLException {
        java.util.Set<String> names = new java.util.HashSet<>();
        try (ResultSet rs = s.executeQuery("SELECT column_name FROM information_schema.columns WHERE table_name = 'results'")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    static long count(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static String q(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
