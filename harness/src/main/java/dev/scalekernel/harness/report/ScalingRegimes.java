package dev.scalekernel.harness.report;

import dev.scalekernel.harness.experiment.TeacherStudentExperiment;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The four scaling regimes of Bahri et al. ("Explaining Neural Scaling Laws") from a teacher_student run:
 * the variance-limited excess over the limit against P and N (predicted exponent −1), the
 * resolution-limited loss against P and N (predicted −α_K), and the power law of the kernel Gram spectrum
 * λ_i ∝ i^-(1+α_K) that gives α_K, with the table "regime | fitted exponent | CI | predicted" that puts the
 * data and width exponents side by side (their duality).
 */
final class ScalingRegimes {

    /** Parameters that label a series besides the regime (those that vary in the run). */
    private static final List<String> LABELS = List.of("manifold", "d", "activation", "scale", "teacher_width", "teacher_seed", "fixed",
            "ratio", "limit_samples", "test", "ridge");

    /**
     * Eigenvalue ranks of the spectrum fit: from 10 (past the constant and the 2d first harmonics of the
     * torus, which the kernel's analytic part dominates) to P/4 (past it the eigenvalues of K/P no longer
     * follow those of the kernel operator).
     */
    static final int SPECTRUM_FIRST_RANK = 10;

    private ScalingRegimes() {
    }

    /** A curve of one regime: size → seed → value. */
    private record Series(String regime, String label, Map<Integer, Map<Long, Double>> values) {
        double[] sizes() {
            return values.keySet().stream().mapToDouble(Integer::doubleValue).toArray();
        }

        double[] means() {
            return values.values().stream().mapToDouble(m -> m.values().stream().mapToDouble(Double::doubleValue).average()
                    .orElse(Double.NaN)).toArray();
        }

        /** Standard errors of the means over seeds (0 with one seed). */
        double[] errors() {
            return values.values().stream().mapToDouble(m -> {
                double[] v = m.values().stream().mapToDouble(Double::doubleValue).toArray();
                if (v.length < 2) {
                    return 0;
                }
                double mean = Arrays.stream(v).average().orElseThrow();
                return Math.sqrt(Arrays.stream(v).map(a -> (a - mean) * (a - mean)).sum() / (v.length - 1) / v.length);
            }).toArray();
        }

        double[][] perSeed() {
            List<Long> seeds = values.values().stream().flatMap(m -> m.keySet().stream()).distinct().sorted().toList();
            double[][] out = new double[values.size()][seeds.size()];
            int i = 0;
            for (Map<Long, Double> m : values.values()) {
                for (int j = 0; j < seeds.size(); j++) {
                    out[i][j] = m.getOrDefault(seeds.get(j), Double.NaN);
                }
                i++;
            }
            return out;
        }
    }

    static void section(Path dir, StringBuilder md, Statement s) throws SQLException, IOException {
        List<String> varying = new ArrayList<>();
        for (String p : LABELS) {
            if (RunReport.columns(s).contains(p) && RunReport.count(s, "SELECT count(DISTINCT " + RunReport.q(p) + ") FROM results") > 1) {
                varying.add(p);
            }
        }
        String labelSql = varying.isEmpty() ? "''" : "concat_ws(', ', " + varying.stream()
                .map(p -> "'" + p + "=' || " + RunReport.q(p) + "::VARCHAR").collect(Collectors.joining(", ")) + ")";
        Map<String, Series> excess = new LinkedHashMap<>();
        Map<String, Series> loss = new LinkedHashMap<>();
        Map<String, Series> kernel = new LinkedHashMap<>();
        Map<String, Map<Long, double[]>> spectra = new LinkedHashMap<>();
        Map<String, Integer> spectrumSize = new LinkedHashMap<>();
        Map<String, Integer> dimension = new LinkedHashMap<>();
        Map<String, String> activation = new LinkedHashMap<>();
        try (ResultSet rs = s.executeQuery("SELECT regime, " + labelSql + ", size, seed, test_loss, limit_loss, excess_loss, "
                + "coalesce(control_variate, 0), spectrum, d, activation FROM results ORDER BY regime, 2, size, seed")) {
            while (rs.next()) {
                String regime = rs.getString(1);
                String label = rs.getString(2);
                int size = rs.getInt(3);
                long seed = rs.getLong(4);
                String key = regime + "|" + label;
                dimension.put(label, rs.getInt(10));
                activation.put(label, rs.getString(11));
                if (regime.startsWith("variance")) {
                    put(excess, key, regime, label, size, seed, rs.getDouble(7) - rs.getDouble(8));
                } else {
                    put(loss, key, regime, label, size, seed, rs.getDouble(5));
                    double limit = rs.getDouble(6);
                    if (!rs.wasNull()) {
                        put(kernel, key, regime, label, size, seed, limit);
                    }
                }
                String spectrum = rs.getString(9);
                if (spectrum != null && !spectrum.isBlank() && size >= spectrumSize.getOrDefault(label, 0)) {
                    if (size > spectrumSize.getOrDefault(label, 0)) {
                        spectra.put(label, new TreeMap<>());
                        spectrumSize.put(label, size);
                    }
                    spectra.get(label).put(seed, TeacherStudentExperiment.parseSpectrum(spectrum));
                }
            }
        }
        md.append("## Scaling regimes (Bahri, Dyer, Kaplan, Lee, Sharma)\n\n")
                .append("Variance-limited: the loss minus its limit, mean over seeds (variance_data: the excess of the population ")
                .append("loss over the P → ∞ readout of the same features; variance_width: the test loss minus kernel regression ")
                .append("with the N = ∞ kernel on the same data, less the zero-mean first-order term as a control variate). ")
                .append("Resolution-limited: the test loss at N = ratio·P (data) or P = ratio·N (width); \"kernel\" is the ")
                .append("N = ∞ limit at the same P. Exponents are least-squares slopes on log-log axes over all sizes with the ")
                .append("regression's 95% interval and a percentile bootstrap over seeds (1000 resamples); error bars are standard ")
                .append("errors over seeds. The spectrum fit ")
                .append("uses the seed-mean eigenvalues of K(x_i, x_j)/P at the largest P, ranks ").append(SPECTRUM_FIRST_RANK)
                .append(" to P/4.\n\n");

        Map<String, PowerLawFit> spectrumFits = new LinkedHashMap<>();
        if (!spectra.isEmpty()) {
            XYChart chart = RunReport.chart("kernel Gram spectrum: eigenvalues of K/P (mean over seeds)", "rank i", "eigenvalue");
            int c = 0;
            for (Map.Entry<String, Map<Long, double[]>> e : spectra.entrySet()) {
                double[] mean = meanSpectrum(e.getValue());
                double[] rank = java.util.stream.IntStream.rangeClosed(1, mean.length).asDoubleStream().toArray();
                String name = e.getKey().isEmpty() ? "P=" + spectrumSize.get(e.getKey()) : e.getKey() + ", P=" + spectrumSize.get(e.getKey());
                XYSeries data = RunReport.addSeries(chart, c++, name, rank, mean, null);
                int last = Math.min(mean.length, spectrumSize.get(e.getKey()) / 4);
                PowerLawFit fit = last - SPECTRUM_FIRST_RANK + 1 >= 3
                        ? PowerLawFit.of(Arrays.copyOfRange(rank, SPECTRUM_FIRST_RANK - 1, last),
                        Arrays.copyOfRange(mean, SPECTRUM_FIRST_RANK - 1, last)) : null;
                if (fit != null && data != null) {
                    spectrumFits.put(e.getKey(), fit);
                    double[] xs = Arrays.copyOfRange(rank, SPECTRUM_FIRST_RANK - 1, last);
                    line(chart, "fit " + name + String.format(": %.2f", fit.slope()), xs, Arrays.stream(xs).map(fit::at).toArray(), data);
                }
            }
            RunReport.save(chart, dir, "gram_spectrum");
        }

        md.append("| regime | series | fitted exponent (95% CI) | bootstrap 95% CI over seeds | predicted | points |\n")
                .append("|---|---|---|---|---|---|\n");
        for (Map.Entry<String, PowerLawFit> e : spectrumFits.entrySet()) {
            double alphaK = -e.getValue().slope() - 1;
            md.append("| spectrum λ_i ∝ i^-(1+α_K) | ").append(e.getKey()).append(" | ").append(e.getValue())
                    .append(String.format(" (α_K = %.3f)", alphaK)).append(" |  | ")
                    .append(closedForm(activation.get(e.getKey()), dimension.get(e.getKey()), true)).append(" | ")
                    .append(e.getValue().points()).append(" |\n");
        }
        if (!excess.isEmpty()) {
            XYChart chart = RunReport.chart("variance-limited: loss minus its limit", "size (P for data, N for width)", "excess loss");
            int c = 0;
            for (Series sr : excess.values()) {
                row(md, chart, c++, sr, sr.regime(), "−1 (variance-limited)");
            }
            RunReport.save(chart, dir, "variance_limited");
        }
        if (!loss.isEmpty()) {
            XYChart chart = RunReport.chart("resolution-limited: test loss", "size (P for data, N for width)", "test loss");
            int c = 0;
            for (Series sr : loss.values()) {
                PowerLawFit spectrumFit = spectrumFits.get(sr.label());
                String predicted = (spectrumFit == null ? "" : String.format("−α_K = %.3f (spectrum); ", spectrumFit.slope() + 1))
                        + closedForm(activation.get(sr.label()), dimension.get(sr.label()), false);
                XYSeries data = row(md, chart, c, sr, sr.regime(), predicted);
                Series k = kernel.get(sr.regime() + "|" + sr.label());
                if (k != null) {
                    XYSeries kd = row(md, chart, c, k, sr.regime() + ", kernel (N = ∞)", predicted);
                    if (kd != null && data != null) {
                        kd.setMarker(SeriesMarkers.DIAMOND);
                        kd.setLineStyle(SeriesLines.DOT_DOT);
                    }
                }
                c++;
            }
            RunReport.save(chart, dir, "resolution_limited");
            // The duality: the data and width exponents of the same series, side by side.
            for (Series data : loss.values()) {
                Series width = loss.get("resolution_width|" + data.label());
                if (!data.regime().equals("resolution_data") || width == null) {
                    continue;
                }
                PowerLawFit a = PowerLawFit.of(data.sizes(), data.means());
                PowerLawFit b = PowerLawFit.of(width.sizes(), width.means());
                if (a != null && b != null) {
                    md.append("| duality: α_P − α_N (data minus width) | ").append(data.label()).append(String.format(" | %.3f ± %.3f",
                            b.slope() - a.slope(), Math.hypot(a.halfWidth95(), b.halfWidth95())))
                            .append(" |  | 0 | ").append(a.points() + b.points()).append(" |\n");
                }
            }
        }
        md.append('\n');
        if (!excess.isEmpty()) {
            md.append("![variance_limited](plots/variance_limited.png)\n\n");
        }
        if (!loss.isEmpty()) {
            md.append("![resolution_limited](plots/resolution_limited.png)\n\n");
        }
        if (!spectra.isEmpty()) {
            md.append("![gram_spectrum](plots/gram_spectrum.png)\n\n");
        }
    }

    /** The closed-form exponent of the kernel on a d-manifold (relu: α_K = 3/d), as the spectrum slope or the loss slope. */
    private static String closedForm(String activation, Integer d, boolean spectrum) {
        if (!"relu".equals(activation) || d == null) {
            return "none in closed form (smooth kernel)";
        }
        return spectrum ? String.format("−(1 + 3/d) = %.3f (relu kernel)", -(1 + 3.0 / d))
                : String.format("−3/d = %.3f (relu kernel)", -3.0 / d);
    }

    private static XYSeries row(StringBuilder md, XYChart chart, int colour, Series sr, String name, String predicted) {
        double[] x = sr.sizes();
        double[] y = sr.means();
        String label = sr.label().isEmpty() ? name : name + ", " + sr.label();
        XYSeries data = RunReport.addSeries(chart, colour, label, x, y, sr.errors());
        PowerLawFit fit = PowerLawFit.of(x, y);
        double[][] perSeed = sr.perSeed();
        double[] boot = fit != null && perSeed.length > 0 && perSeed[0].length >= 2 ? PowerLawFit.bootstrap(x, perSeed, 1000, 1) : null;
        md.append("| ").append(name).append(" | ").append(sr.label()).append(" | ")
                .append(fit == null ? "(fewer than 3 positive points)" : fit.toString()).append(" | ")
                .append(boot == null ? "" : String.format("[%.3f, %.3f]", boot[0], boot[1])).append(" | ")
                .append(predicted).append(" | ").append(x.length).append(" |\n");
        if (fit != null && data != null) {
            line(chart, "fit " + label + String.format(": %.2f", fit.slope()), x, Arrays.stream(x).map(fit::at).toArray(), data);
        }
        return data;
    }

    private static void line(XYChart chart, String name, double[] x, double[] y, XYSeries like) {
        XYSeries l = chart.addSeries(name, x, y);
        l.setMarker(SeriesMarkers.NONE);
        l.setLineStyle(SeriesLines.DASH_DASH);
        l.setLineColor(like.getLineColor());
    }

    private static void put(Map<String, Series> into, String key, String regime, String label, int size, long seed, double value) {
        into.computeIfAbsent(key, k -> new Series(regime, label, new TreeMap<>()))
                .values().computeIfAbsent(size, k -> new TreeMap<>()).put(seed, value);
    }

    /** Rank-wise mean over seeds (up to the shortest spectrum). */
    private static double[] meanSpectrum(Map<Long, double[]> bySeed) {
        int k = bySeed.values().stream().mapToInt(v -> v.length).min().orElse(0);
        double[] mean = new double[k];
        for (double[] v : bySeed.values()) {
            for (int i = 0; i < k; i++) {
                mean[i] += v[i] / bySeed.size();
            }
        }
        return mean;
    }
}
