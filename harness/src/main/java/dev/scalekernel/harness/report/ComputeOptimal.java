package dev.scalekernel.harness.report;

import org.hipparchus.stat.regression.SimpleRegression;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Compute-optimal width by three methods, for any sweep with a width axis (N, d), a data or time
 * axis t along each run (samples, steps) and compute C ∝ width·t:
 * <ol>
 * <li>the lower envelope of all runs (Hoffmann et al.'s approach 1): on a fine log grid of budgets
 * the width with the lowest loss (each run interpolated linearly in log C, log L); d* ∝ C^ξ is fitted
 * where the envelope passes from one width to the next, at the geometric mean of the two widths (a
 * staircase of a few widths carries its information there);</li>
 * <li>IsoFLOP parabolas (approach 2): at each budget, log L against log width near the best width,
 * a parabola through the minimum and up to two neighbours on each side, its vertex d*(C); budgets
 * whose minimum is at the edge of the widths are skipped (censored);</li>
 * <li>the joint fit L = E + A·width^-α + B·t^-β ({@link JointFit}), ξ = β/(α + β).</li>
 * </ol>
 * Each ξ comes with a bootstrap interval over seeds and with its sensitivity to the fit window
 * (dropping the smallest or largest width, the lowest or highest decade of budgets or of t) and, for
 * the joint fit and the loss exponent along the envelope, to the irreducible term E (fixed at 0 and at
 * ±10% of the fitted value). Bootstrap intervals measure the noise of the seeds; window and E
 * sensitivity measure how much the answer depends on choices the data do not fix: they are reported
 * side by side, not combined.
 */
public final class ComputeOptimal {

    /** Budgets per decade for the envelope (fine, so that transitions are located within 1/40 decade). */
    static final int ENVELOPE_PER_DECADE = 40;
    /** Budgets per decade for IsoFLOP parabolas. */
    static final int ISOFLOP_PER_DECADE = 5;

    /** One run's loss curve: ascending t &gt; 0, compute at each t, the loss. */
    public record Curve(double width, double[] time, double[] compute, double[] loss) {
        /** log L at compute c by linear interpolation in (log C, log L); NaN outside the run. */
        double logLossAt(double c) {
            int n = compute.length;
            if (n == 0 || c < compute[0] || c > compute[n - 1]) {
                return Double.NaN;
            }
            int hi = 0;
            while (compute[hi] < c) {
                hi++;
            }
            if (compute[hi] == c || hi == 0) {
                return Math.log(loss[hi]);
            }
            int lo = hi - 1;
            double w = (Math.log(c) - Math.log(compute[lo])) / (Math.log(compute[hi]) - Math.log(compute[lo]));
            return (1 - w) * Math.log(loss[lo]) + w * Math.log(loss[hi]);
        }

        /** The curve with only the points whose t is in [lo, hi]. */
        Curve window(double lo, double hi) {
            int[] keep = java.util.stream.IntStream.range(0, time.length).filter(i -> time[i] >= lo && time[i] <= hi).toArray();
            return new Curve(width, pick(time, keep), pick(compute, keep), pick(loss, keep));
        }

        private static double[] pick(double[] v, int[] keep) {
            return Arrays.stream(keep).mapToDouble(i -> v[i]).toArray();
        }
    }

    /** ξ fitted on (C, d*) points; NaN with fewer than 3 points. */
    public record Estimate(double xi, double[] compute, double[] width, double[] loss) {
        int points() {
            return compute.length;
        }
    }

    private ComputeOptimal() {
    }

    /** Keeps the finite, positive points of each curve, sorted by compute. */
    public static List<Curve> clean(List<Curve> curves) {
        List<Curve> out = new ArrayList<>();
        for (Curve c : curves) {
            List<double[]> keep = new ArrayList<>();
            for (int i = 0; i < c.time.length; i++) {
                if (c.time[i] > 0 && c.compute[i] > 0 && c.loss[i] > 0 && Double.isFinite(c.loss[i])) {
                    keep.add(new double[] {c.time[i], c.compute[i], c.loss[i]});
                }
            }
            keep.sort(Comparator.comparingDouble(v -> v[1]));
            if (keep.size() >= 2) {
                out.add(new Curve(c.width, keep.stream().mapToDouble(v -> v[0]).toArray(), keep.stream().mapToDouble(v -> v[1]).toArray(),
                        keep.stream().mapToDouble(v -> v[2]).toArray()));
            }
        }
        out.sort(Comparator.comparingDouble(Curve::width));
        return out;
    }

    /** Log-spaced budgets over [lo, hi] (inclusive ends), {@code perDecade} per decade. */
    static double[] budgets(double lo, double hi, int perDecade) {
        if (!(lo > 0 && hi >= lo)) {
            return new double[0];
        }
        int n = (int) Math.floor(Math.log10(hi / lo) * perDecade + 1e-9) + 1;
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            b[i] = lo * Math.pow(10, i / (double) perDecade);
        }
        return b;
    }

    private static double minCompute(List<Curve> curves) {
        return curves.stream().mapToDouble(c -> c.compute[0]).min().orElse(Double.NaN);
    }

    private static double maxCompute(List<Curve> curves) {
        return curves.stream().mapToDouble(c -> c.compute[c.compute.length - 1]).max().orElse(Double.NaN);
    }

    /** The lower envelope on budgets in [lo, hi]: {budget, winning width, loss} for each budget at least 2 runs cover. */
    public static List<double[]> envelope(List<Curve> curves, double lo, double hi) {
        List<double[]> out = new ArrayList<>();
        for (double c : budgets(Math.max(lo, minCompute(curves)), Math.min(hi, maxCompute(curves)), ENVELOPE_PER_DECADE)) {
            double best = Double.POSITIVE_INFINITY;
            double width = Double.NaN;
            int covering = 0;
            for (Curve curve : curves) {
                double l = curve.logLossAt(c);
                if (!Double.isNaN(l)) {
                    covering++;
                    if (l < best) {
                        best = l;
                        width = curve.width;
                    }
                }
            }
            if (covering >= 2) {
                out.add(new double[] {c, width, Math.exp(best)});
            }
        }
        return out;
    }

    /**
     * Approach 1: ξ from where the lower envelope passes from one width to the next. For each pair of
     * neighbouring widths d_k &lt; d_k+1 the crossing budget is located by a step fit to the sign of
     * log L_k+1(C) − log L_k(C) on the budgets both runs cover (the C that misclassifies the fewest budgets
     * as "larger width ahead" before it and "behind" after it), so that an isolated jump of one run does not
     * create a spurious switch; the envelope's width there is √(d_k·d_k+1). Pairs that do not cross inside
     * [lo, hi] (the larger width never gets ahead, or is ahead from the start) give no point.
     */
    public static Estimate envelopeExponent(List<Curve> curves, double lo, double hi) {
        List<double[]> crossings = new ArrayList<>();
        double[] grid = budgets(Math.max(lo, minCompute(curves)), Math.min(hi, maxCompute(curves)), ENVELOPE_PER_DECADE);
        for (int k = 0; k + 1 < curves.size(); k++) {
            Curve small = curves.get(k);
            Curve large = curves.get(k + 1);
            List<double[]> diff = new ArrayList<>(); // budget, log L_large − log L_small, log L_small
            for (double c : grid) {
                double a = small.logLossAt(c);
                double b = large.logLossAt(c);
                if (!Double.isNaN(a) && !Double.isNaN(b)) {
                    diff.add(new double[] {c, b - a, a});
                }
            }
            int n = diff.size();
            if (n < 4) {
                continue;
            }
            // errors(i) = #{j < i: larger ahead} + #{j >= i: larger behind}; the switch is before budget i.
            int behindAfter = (int) diff.stream().filter(v -> v[1] > 0).count();
            int aheadBefore = 0;
            int best = Integer.MAX_VALUE;
            int at = -1;
            for (int i = 0; i <= n; i++) {
                int errors = aheadBefore + behindAfter;
                if (errors < best) {
                    best = errors;
                    at = i;
                }
                if (i < n) {
                    aheadBefore += diff.get(i)[1] < 0 ? 1 : 0;
                    behindAfter -= diff.get(i)[1] > 0 ? 1 : 0;
                }
            }
            if (at <= 0 || at >= n) {
                continue; // no crossing inside the window
            }
            double c = Math.sqrt(diff.get(at - 1)[0] * diff.get(at)[0]);
            double loss = Math.exp(0.5 * (diff.get(at - 1)[2] + diff.get(at)[2]));
            crossings.add(new double[] {c, Math.sqrt(small.width * large.width), loss});
        }
        return estimate(crossings);
    }

    /** Approach 2: ξ from the vertices of IsoFLOP parabolas in (log width, log L). */
    public static Estimate isoFlopExponent(List<Curve> curves, double lo, double hi) {
        List<double[]> vertices = new ArrayList<>();
        for (double c : budgets(Math.max(lo, minCompute(curves)), Math.min(hi, maxCompute(curves)), ISOFLOP_PER_DECADE)) {
            List<double[]> pts = new ArrayList<>();
            for (Curve curve : curves) {
                double l = curve.logLossAt(c);
                if (!Double.isNaN(l)) {
                    pts.add(new double[] {Math.log(curve.width), l});
                }
            }
            int m = 0;
            for (int i = 1; i < pts.size(); i++) {
                m = pts.get(i)[1] < pts.get(m)[1] ? i : m;
            }
            if (pts.size() < 3 || m == 0 || m == pts.size() - 1) {
                continue; // the best width is at the edge: d*(C) is censored
            }
            List<double[]> near = pts.subList(Math.max(0, m - 2), Math.min(pts.size(), m + 3));
            double[] q = parabola(near);
            if (q == null || !(q[2] > 0)) {
                continue;
            }
            double x = -q[1] / (2 * q[2]);
            if (x < near.getFirst()[0] || x > near.getLast()[0]) {
                continue;
            }
            vertices.add(new double[] {c, Math.exp(x), Math.exp(q[0] + q[1] * x + q[2] * x * x)});
        }
        return estimate(vertices);
    }

    /** Approach 3: the joint fit on every point with t in [tLo, tHi]; null with fewer than 5 points or 2 widths. */
    public static JointFit jointFit(List<Curve> curves, double tLo, double tHi, double fixedE, JointFit warmStart) {
        List<double[]> rows = new ArrayList<>();
        for (Curve c : curves) {
            for (int i = 0; i < c.time.length; i++) {
                if (c.time[i] >= tLo && c.time[i] <= tHi) {
                    rows.add(new double[] {c.width, c.time[i], c.loss[i]});
                }
            }
        }
        if (rows.size() < 5 || rows.stream().mapToDouble(r -> r[0]).distinct().count() < 2) {
            return null;
        }
        return JointFit.fit(column(rows, 0), column(rows, 1), column(rows, 2), fixedE,
                warmStart == null ? JointFit.REFINE : 4, warmStart);
    }

    /** {c0, c1, c2} of least squares y = c0 + c1 x + c2 x² on {x, y} points; null when singular. */
    static double[] parabola(List<double[]> pts) {
        double[][] a = new double[3][3];
        double[] r = new double[3];
        for (double[] p : pts) {
            double[] f = {1, p[0], p[0] * p[0]};
            for (int i = 0; i < 3; i++) {
                r[i] += f[i] * p[1];
                for (int j = 0; j < 3; j++) {
                    a[i][j] += f[i] * f[j];
                }
            }
        }
        try {
            return new org.hipparchus.linear.LUDecomposition(new org.hipparchus.linear.Array2DRowRealMatrix(a), 1e-14)
                    .getSolver().solve(new org.hipparchus.linear.ArrayRealVector(r)).toArray();
        } catch (org.hipparchus.exception.MathIllegalArgumentException e) {
            return null;
        }
    }

    private static Estimate estimate(List<double[]> points) {
        double[] c = column(points, 0);
        double[] w = column(points, 1);
        double[] l = column(points, 2);
        if (points.size() < 3 || Arrays.stream(w).distinct().count() < 2) {
            return new Estimate(Double.NaN, c, w, l);
        }
        SimpleRegression r = new SimpleRegression();
        for (int i = 0; i < c.length; i++) {
            r.addData(Math.log(c[i]), Math.log(w[i]));
        }
        return new Estimate(r.getSlope(), c, w, l);
    }

    /** Exponent κ of L* − E ∝ C^-κ along the envelope (E = 0: the plain loss); NaN when fewer than 3 points stay above E. */
    static double lossExponent(List<double[]> envelope, double e) {
        SimpleRegression r = new SimpleRegression();
        for (double[] p : envelope) {
            if (p[2] > e) {
                r.addData(Math.log(p[0]), Math.log(p[2] - e));
            }
        }
        return r.getN() >= 3 ? -r.getSlope() : Double.NaN;
    }

    static double[] column(List<double[]> rows, int c) {
        return rows.stream().mapToDouble(r -> r[c]).toArray();
    }

    /**
     * Median over seeds of each width's curve at each recorded t (curves of one width share their t grid).
     * The median, not the mean: the risk of a single batch-1 SGD run is heavy-tailed in time (a sample with
     * γ|ψ|² &gt; 2 overshoots along ψ and the risk jumps by orders of magnitude for a few steps), so a mean over
     * a handful of seeds is dominated by whichever run happened to be recorded during a jump. The median
     * estimates the typical run; with 2 seeds it equals the mean.
     */
    public static List<Curve> median(Map<Long, List<Curve>> bySeed, long[] seeds) {
        Map<Double, List<Curve>> byWidth = new TreeMap<>();
        for (long s : seeds) {
            for (Curve c : bySeed.getOrDefault(s, List.of())) {
                byWidth.computeIfAbsent(c.width, k -> new ArrayList<>()).add(c);
            }
        }
        List<Curve> out = new ArrayList<>();
        for (List<Curve> group : byWidth.values()) {
            Curve first = group.getFirst();
            double[] loss = new double[first.loss.length];
            for (int i = 0; i < loss.length; i++) {
                int at = i;
                double[] v = group.stream().filter(c -> at < c.loss.length && c.time[at] == first.time[at])
                        .mapToDouble(c -> c.loss[at]).sorted().toArray();
                int n = v.length;
                loss[i] = n == 0 ? Double.NaN : n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
            }
            out.add(new Curve(first.width, first.time, first.compute, loss));
        }
        return clean(out);
    }

    /** 95% percentile interval of each of {ξ envelope, ξ IsoFLOP} over seed resamples; null with fewer than 2 seeds. */
    static double[][] bootstrapMethods(Map<Long, List<Curve>> bySeed, int resamples, long seed) {
        long[] seeds = bySeed.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
        if (seeds.length < 2) {
            return null;
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<List<Double>> values = List.of(new ArrayList<>(), new ArrayList<>());
        for (int r = 0; r < resamples; r++) {
            long[] pick = new long[seeds.length];
            for (int i = 0; i < pick.length; i++) {
                pick[i] = seeds[random.nextInt(seeds.length)];
            }
            List<Curve> curves = median(bySeed, pick);
            double[] xi = {envelopeExponent(curves, 0, Double.POSITIVE_INFINITY).xi(),
                isoFlopExponent(curves, 0, Double.POSITIVE_INFINITY).xi()};
            for (int k = 0; k < 2; k++) {
                if (Double.isFinite(xi[k])) {
                    values.get(k).add(xi[k]);
                }
            }
        }
        double[][] out = new double[2][];
        for (int k = 0; k < 2; k++) {
            double[] s = values.get(k).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            out[k] = s.length < resamples / 2 ? null
                    : new double[] {s[(int) Math.floor(0.025 * (s.length - 1))], s[(int) Math.ceil(0.975 * (s.length - 1))]};
        }
        return out;
    }
}
