package dev.scalekernel.harness.report;

import dev.scalekernel.harness.report.ComputeOptimal.Curve;
import dev.scalekernel.harness.report.ComputeOptimal.Estimate;
import dev.scalekernel.harness.spec.Param;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report section of {@link ComputeOptimal}: the compute-optimal width exponent ξ by the envelope,
 * IsoFLOP parabolas and the joint fit side by side, with the spread between them, the prediction where
 * the model has one, bootstrap intervals over seeds, and the sensitivity to the fit window and to the
 * irreducible term. It runs for sweeps whose only axis is a width: {@code plrf} (width d, t = samples,
 * f = d·samples) and {@code random_features}/{@code sparse_features} trained by gd (t = steps,
 * C = N·P·t) or sgd (t = samples, C = N·t).
 */
final class ComputeOptimalReport {

    private static final int METHOD_RESAMPLES = 200;
    private static final int JOINT_RESAMPLES = 40;
    private static final double E_SHIFT = 0.10;

    private ComputeOptimalReport() {
    }

    /** What the sweep's axes are: the SQL for width, t and C, and how to print them. */
    private record Axes(String width, String time, String compute, String widthName, String timeName, String computeName) {
    }

    private static Axes axes(Statement s, List<Param> varying) throws SQLException {
        java.util.Set<String> columns = RunReport.columns(s);
        List<String> axes = varying.stream().map(Param::name).toList();
        if (columns.containsAll(List.of("d", "samples", "compute")) && axes.equals(List.of("d"))) {
            return new Axes("d", "samples", "compute", "d", "samples", "f = d * samples");
        }
        if (columns.containsAll(List.of("N", "P", "trainer", "batch")) && axes.equals(List.of("N"))) {
            String trainer = RunReport.count(s, "SELECT count(*) FROM results WHERE trainer = 'gd'") > 0 ? "gd" : "sgd";
            if (trainer.equals("gd")) {
                return new Axes("N", "step", "CAST(N AS DOUBLE) * P * step", "N", "step", "C = N * P * step");
            }
            return new Axes("N", "step * batch", "CAST(N AS DOUBLE) * step * batch", "N", "samples", "C = N * samples");
        }
        return null;
    }

    static void section(Path dir, StringBuilder md, Statement s, List<Param> varying) throws SQLException, IOException {
        Axes axes = axes(s, varying);
        if (axes == null || RunReport.count(s, "SELECT count(DISTINCT " + RunReport.q(axes.width) + ") FROM results") < 3) {
            return;
        }
        String loss = RunReport.count(s, "SELECT count(*) FROM results WHERE step > 0 AND population_loss IS NULL") == 0
                ? "population_loss" : "test_loss";
        Map<Long, List<Curve>> bySeed = new TreeMap<>();
        Map<String, List<double[]>> raw = new LinkedHashMap<>();
        try (ResultSet rs = s.executeQuery("SELECT seed, " + axes.width + ", " + axes.time + ", " + axes.compute + ", " + loss
                + " FROM results WHERE step > 0 ORDER BY seed, " + axes.width + ", step")) {
            while (rs.next()) {
                raw.computeIfAbsent(rs.getLong(1) + "|" + rs.getDouble(2), k -> new ArrayList<>())
                        .add(new double[] {rs.getLong(1), rs.getDouble(2), rs.getDouble(3), rs.getDouble(4), rs.getDouble(5)});
            }
        }
        for (List<double[]> run : raw.values()) {
            double[] first = run.getFirst();
            bySeed.computeIfAbsent((long) first[0], k -> new ArrayList<>()).add(new Curve(first[1], ComputeOptimal.column(run, 2),
                    ComputeOptimal.column(run, 3), ComputeOptimal.column(run, 4)));
        }
        bySeed.replaceAll((k, v) -> ComputeOptimal.clean(v));
        long[] seeds = bySeed.keySet().stream().mapToLong(Long::longValue).toArray();
        List<Curve> curves = ComputeOptimal.median(bySeed, seeds);
        if (curves.size() < 3) {
            return;
        }
        double inf = Double.POSITIVE_INFINITY;
        Estimate envelope = ComputeOptimal.envelopeExponent(curves, 0, inf);
        Estimate isoFlop = ComputeOptimal.isoFlopExponent(curves, 0, inf);
        JointFit joint = ComputeOptimal.jointFit(curves, 0, inf, Double.NaN, null);
        List<double[]> env = ComputeOptimal.envelope(curves, 0, inf);
        Double predicted = prediction(s);

        double[][] methodBoot = ComputeOptimal.bootstrapMethods(bySeed, METHOD_RESAMPLES, 7);
        JointFit.Bootstrap jointBoot = null;
        if (joint != null && seeds.length >= 2) {
            List<double[]> rows = new ArrayList<>();
            for (int k = 0; k < seeds.length; k++) {
                for (Curve c : bySeed.get(seeds[k])) {
                    for (int i = 0; i < c.time().length; i++) {
                        rows.add(new double[] {c.width(), c.time()[i], c.loss()[i], k});
                    }
                }
            }
            jointBoot = JointFit.bootstrap(ComputeOptimal.column(rows, 0), ComputeOptimal.column(rows, 1), ComputeOptimal.column(rows, 2),
                    rows.stream().mapToInt(r -> (int) r[3]).toArray(), joint, JOINT_RESAMPLES, 0, 7, seeds.length + " seeds");
        }

        // Sensitivity: the same three estimates on narrower windows, and the joint fit with E held fixed.
        double smallest = curves.getFirst().width();
        double largest = curves.getLast().width();
        double cLo = curves.stream().mapToDouble(c -> c.compute()[0]).min().orElseThrow();
        double cHi = curves.stream().mapToDouble(c -> c.compute()[c.compute().length - 1]).max().orElseThrow();
        double tLo = curves.stream().mapToDouble(c -> c.time()[0]).min().orElseThrow();
        double tHi = curves.stream().mapToDouble(c -> c.time()[c.time().length - 1]).max().orElseThrow();
        List<Variant> windows = new ArrayList<>();
        windows.add(variant("without the smallest " + axes.widthName + " (" + RunReport.fmt(smallest) + ")",
                curves.subList(1, curves.size()), 0, inf, 0, inf, joint));
        windows.add(variant("without the largest " + axes.widthName + " (" + RunReport.fmt(largest) + ")",
                curves.subList(0, curves.size() - 1), 0, inf, 0, inf, joint));
        windows.add(variant("without the lowest decade of C and of " + axes.timeName, curves, cLo * 10, inf, tLo * 10, inf, joint));
        windows.add(variant("without the highest decade of C and of " + axes.timeName, curves, 0, cHi / 10, 0, tHi / 10, joint));
        List<Variant> eTerms = new ArrayList<>();
        double fittedE = joint == null ? 0 : joint.bigE();
        double minLoss = curves.stream().flatMapToDouble(c -> java.util.Arrays.stream(c.loss())).min().orElseThrow();
        for (double e : new double[] {0, (1 - E_SHIFT) * fittedE, (1 + E_SHIFT) * fittedE}) {
            if (joint != null && e < minLoss && (e == 0 || fittedE > 0)) {
                String name = e == 0 ? "E fixed at 0" : String.format("E fixed at %s%.0f%% of the fitted E (%.4g)",
                        e > fittedE ? "+" : "-", 100 * E_SHIFT, e);
                JointFit f = ComputeOptimal.jointFit(curves, 0, inf, e, joint);
                eTerms.add(new Variant(name, Double.NaN, Double.NaN, f, ComputeOptimal.lossExponent(env, e)));
            }
        }

        md.append("## Compute-optimal allocation, three methods\n\n")
                .append("Width ").append(axes.widthName).append(", data/time ").append(axes.timeName).append(", compute ")
                .append(axes.computeName).append("; ").append(loss).append(": median over ").append(seeds.length)
                .append(" seed(s) at each recorded step (single runs are heavy-tailed in time; the median is the typical run). ξ is the exponent of the compute-optimal width, ").append(axes.widthName)
                .append("* ∝ C^ξ: (1) the lower envelope of all runs (fitted where it passes from one width to the next), (2) IsoFLOP ")
                .append("parabolas in log ").append(axes.widthName).append(" (budgets whose best width is at the edge are censored), ")
                .append("(3) the joint fit L = E + A·").append(axes.widthName).append("^-α + B·").append(axes.timeName)
                .append("^-β (Huber δ = 1e-3 on log residuals, L-BFGS from the best of a 4500-point grid), ξ = β/(α+β). ")
                .append("Bootstrap: 95% percentile intervals over seed resamples (").append(METHOD_RESAMPLES).append(" for (1), (2); ")
                .append(JOINT_RESAMPLES).append(" for (3), each refitted from the full fit). Window and E columns: the range of the estimate over the refits ")
                .append("listed below — a different thing from the bootstrap (choices, not noise).\n\n");
        md.append("| method | ξ | bootstrap 95% | window sensitivity [min, max] | E-term sensitivity [min, max] | points |\n")
                .append("|---|---|---|---|---|---|\n");
        double[] xi = {envelope.xi(), isoFlop.xi(), joint == null ? Double.NaN : joint.optimalWidthExponent()};
        String[] names = {"envelope (approach 1)", "IsoFLOP parabolas (approach 2)", "joint fit (approach 3)"};
        String[] points = {envelope.points() + " crossings", isoFlop.points() + " budgets",
            joint == null ? "" : curves.stream().mapToInt(c -> c.time().length).sum() + " (width, t) points"};
        for (int k = 0; k < 3; k++) {
            int method = k;
            double[] boot = k < 2 ? (methodBoot == null ? null : methodBoot[k]) : (jointBoot == null ? null : jointBoot.interval("xi"));
            md.append("| ").append(names[k]).append(" | ").append(num(xi[k])).append(" | ").append(interval(boot, seeds.length)).append(" | ")
                    .append(range(windows.stream().mapToDouble(v -> v.xi(method)).toArray())).append(" | ")
                    .append(k < 2 ? "— (compares losses at equal C)" : range(eTerms.stream().mapToDouble(v -> v.xi(method)).toArray()))
                    .append(" | ").append(points[k]).append(" |\n");
        }
        double[] finite = java.util.Arrays.stream(xi).filter(Double::isFinite).toArray();
        double spread = finite.length >= 2 ? java.util.Arrays.stream(finite).max().orElseThrow() - java.util.Arrays.stream(finite).min()
                .orElseThrow() : Double.NaN;
        md.append("| prediction | ").append(predicted == null ? "(none for these parameters)" : num(predicted)).append(" | | | | |\n\n");
        md.append(String.format("Spread between the methods: %s (max − min over %d methods)", num(spread), finite.length));
        if (predicted != null) {
            md.append("; each minus the prediction: ");
            for (int k = 0; k < 3; k++) {
                md.append(k > 0 ? ", " : "").append(names[k].replaceAll(" \\(.*", "")).append(" ")
                        .append(Double.isFinite(xi[k]) ? String.format("%+.3f", xi[k] - predicted) : "n/a");
            }
        }
        md.append(".\n\n");

        if (joint != null) {
            md.append("### Joint fit\n\n| parameter | estimate | bootstrap 95% | window sensitivity [min, max] | E-term sensitivity [min, max] |\n")
                    .append("|---|---|---|---|---|\n");
            String[] params = {"E", "A", "B", "alpha", "beta"};
            double[] values = {joint.bigE(), joint.bigA(), joint.bigB(), joint.alpha(), joint.beta()};
            for (int k = 0; k < params.length; k++) {
                int p = k;
                md.append("| ").append(params[k]).append(" | ").append(String.format("%.4g", values[k])).append(" | ")
                        .append(interval(jointBoot == null ? null : jointBoot.interval(params[k]), seeds.length)).append(" | ")
                        .append(range(windows.stream().mapToDouble(v -> v.param(p)).toArray())).append(" | ")
                        .append(k == 0 ? "(held fixed)" : range(eTerms.stream().mapToDouble(v -> v.param(p)).toArray())).append(" |\n");
            }
            double kappa = ComputeOptimal.lossExponent(env, 0);
            md.append(String.format("%nLoss along the envelope, L* ∝ C^-κ (no E term): κ = %s; window [min, max] %s; with L* − E "
                    + "for the E values below: %s.%n%n", num(kappa), range(windows.stream().mapToDouble(Variant::kappa).toArray()),
                    range(eTerms.stream().mapToDouble(Variant::kappa).toArray())));
        }
        md.append("### Sensitivity refits\n\n| refit | ξ envelope | ξ IsoFLOP | ξ joint | α | β | E | κ |\n|---|---|---|---|---|---|---|---|\n");
        List<Variant> all = new ArrayList<>();
        all.add(new Variant("all data", envelope.xi(), isoFlop.xi(), joint, ComputeOptimal.lossExponent(env, 0)));
        all.addAll(windows);
        all.addAll(eTerms);
        for (Variant v : all) {
            md.append("| ").append(v.name).append(" | ").append(num(v.xi(0))).append(" | ").append(num(v.xi(1))).append(" | ")
                    .append(num(v.xi(2))).append(" | ").append(num(v.param(3))).append(" | ").append(num(v.param(4))).append(" | ")
                    .append(v.fit == null ? "" : String.format("%.4g", v.fit.bigE())).append(" | ").append(num(v.kappa)).append(" |\n");
        }
        md.append('\n');
        plots(dir, md, curves, env, envelope, isoFlop, joint, axes, loss);
    }

    private record Variant(String name, double envelope, double isoFlop, JointFit fit, double kappa) {
        double xi(int method) {
            return switch (method) {
                case 0 -> envelope;
                case 1 -> isoFlop;
                default -> fit == null ? Double.NaN : fit.optimalWidthExponent();
            };
        }

        double param(int k) {
            if (fit == null) {
                return Double.NaN;
            }
            return switch (k) {
                case 0 -> fit.bigE();
                case 1 -> fit.bigA();
                case 2 -> fit.bigB();
                case 3 -> fit.alpha();
                default -> fit.beta();
            };
        }
    }

    private static Variant variant(String name, List<Curve> curves, double cLo, double cHi, double tLo, double tHi, JointFit warm) {
        List<Curve> windowed = ComputeOptimal.clean(curves.stream().map(c -> c.window(tLo, tHi)).toList());
        JointFit fit = warm == null ? null : ComputeOptimal.jointFit(windowed, 0, Double.POSITIVE_INFINITY, Double.NaN, warm);
        return new Variant(name, ComputeOptimal.envelopeExponent(curves, cLo, cHi).xi(), ComputeOptimal.isoFlopExponent(curves, cLo, cHi).xi(),
                fit, ComputeOptimal.lossExponent(ComputeOptimal.envelope(curves, cLo, cHi), 0));
    }

    /**
     * The predicted ξ: PLRF by phase (Paquette et al.: 1/(2α+1) in Ia, β/(α+β) in II, 1/2 in III; none
     * elsewhere, those phases are not checked here); the dynamical model's 1/(1+b) for GD on power-law
     * Gaussian features with a − 1 &lt; b (Bordelon et al., at fixed P).
     */
    static Double prediction(Statement s) throws SQLException {
        Double alpha = RunReport.fixedDouble(s, "alpha");
        Double beta = RunReport.fixedDouble(s, "beta");
        if (RunReport.columns(s).contains("d") && alpha != null && beta != null) {
            return plrfPrediction(alpha, beta);
        }
        Double a = RunReport.fixedDouble(s, "a");
        Double b = RunReport.fixedDouble(s, "b");
        if (alpha != null && alpha > 0 && beta != null) {
            b = alpha;
            a = 1 + alpha * beta;
        }
        boolean gd = RunReport.columns(s).contains("trainer") && RunReport.count(s, "SELECT count(*) FROM results WHERE trainer <> 'gd'") == 0;
        return gd && a != null && b != null && a - 1 < b ? 1 / (1 + b) : null;
    }

    /** ξ for PLRF in phases Ia, II, III; null elsewhere. */
    static Double plrfPrediction(double alpha, double beta) {
        if (2 * beta < 1 && 2 * alpha > 1) {
            return 1 / (2 * alpha + 1); // Ia
        }
        if (2 * beta > 1 && beta < alpha) {
            return beta / (alpha + beta); // II
        }
        if (2 * beta > 1 && beta > alpha && alpha > 0.5) {
            return 0.5; // III
        }
        return null;
    }

    private static void plots(Path dir, StringBuilder md, List<Curve> curves, List<double[]> env, Estimate envelope, Estimate isoFlop,
                              JointFit joint, Axes axes, String loss) throws IOException {
        XYChart chart = RunReport.chart(loss + " vs compute, with the envelope and the IsoFLOP minima", axes.computeName, loss);
        int i = 0;
        for (Curve c : curves) {
            XYSeries ser = RunReport.addSeries(chart, i++, axes.widthName + "=" + RunReport.fmt(c.width()), c.compute(), c.loss(), null);
            if (ser != null) {
                ser.setMarker(SeriesMarkers.NONE);
            }
        }
        if (!env.isEmpty()) {
            XYSeries e = chart.addSeries("envelope", ComputeOptimal.column(env, 0), ComputeOptimal.column(env, 2));
            e.setLineStyle(SeriesLines.DASH_DASH);
            e.setLineColor(java.awt.Color.BLACK);
            e.setMarker(SeriesMarkers.NONE);
        }
        if (isoFlop.points() > 0) {
            XYSeries m = chart.addSeries("IsoFLOP minima", isoFlop.compute(), isoFlop.loss());
            m.setLineStyle(SeriesLines.NONE);
            m.setMarker(SeriesMarkers.DIAMOND);
            m.setMarkerColor(java.awt.Color.BLACK);
        }
        RunReport.save(chart, dir, "compute_optimal");
        md.append("![compute_optimal](plots/compute_optimal.png)\n\n");

        XYChart widths = RunReport.chart("compute-optimal " + axes.widthName + "* by method", axes.computeName, axes.widthName + "*");
        int k = 0;
        for (Map.Entry<String, Estimate> e : Map.of("envelope crossings", envelope, "IsoFLOP vertices", isoFlop).entrySet()) {
            if (e.getValue().points() > 0) {
                XYSeries ser = RunReport.addSeries(widths, k++, e.getKey() + " (ξ " + num(e.getValue().xi()) + ")", e.getValue().compute(),
                        e.getValue().width(), null);
                if (ser != null) {
                    ser.setLineStyle(SeriesLines.NONE);
                }
            }
        }
        if (joint != null && !env.isEmpty()) {
            // N* from the joint fit: minimise A N^-α + B (C/(kN))^-β with C = k·N·t; k is read off the runs (C/(N t)).
            Curve c0 = curves.getFirst();
            double k0 = c0.compute()[0] / (c0.width() * c0.time()[0]);
            double[] cs = ComputeOptimal.column(env, 0);
            double[] ns = new double[cs.length];
            for (int j = 0; j < cs.length; j++) {
                double g = Math.pow(joint.alpha() * joint.bigA() / (joint.beta() * joint.bigB()), 1 / (joint.alpha() + joint.beta()));
                ns[j] = g * Math.pow(cs[j] / k0, joint.optimalWidthExponent());
            }
            XYSeries ser = RunReport.addSeries(widths, k, "joint fit (ξ " + num(joint.optimalWidthExponent()) + ")", cs, ns, null);
            if (ser != null) {
                ser.setMarker(SeriesMarkers.NONE);
            }
        }
        RunReport.save(widths, dir, "optimal_width");
        md.append("![optimal_width](plots/optimal_width.png)\n\n");
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format("%.3f", v) : "n/a";
    }

    private static String interval(double[] ci, int seeds) {
        if (ci == null) {
            return seeds < 2 ? "(needs 2+ seeds)" : "(undefined in most resamples)";
        }
        return String.format("[%.3f, %.3f]", ci[0], ci[1]);
    }

    private static String range(double[] values) {
        double[] f = java.util.Arrays.stream(values).filter(Double::isFinite).toArray();
        if (f.length == 0) {
            return "n/a";
        }
        return String.format("[%.3g, %.3g]", java.util.Arrays.stream(f).min().orElseThrow(), java.util.Arrays.stream(f).max().orElseThrow());
    }
}
