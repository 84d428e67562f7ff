package dev.scalekernel.harness.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The joint scaling law L(N, D) = E + A·N^-α + B·D^-β fitted as in Hoffmann et al. 2022 (Chinchilla,
 * approach 3) and Epoch AI's replication: with E = e^e, A = e^a, B = e^b the model's log is
 * log L̂ = LSE(a − α log N, b − β log D, e), and the fit minimises Σ Huber_δ(log L̂ − log L) with
 * δ = 10⁻³ by L-BFGS from a grid of starting points (α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1},
 * a, b ∈ {0, 5, …, 25}: 4500 points). Every grid point is scored and L-BFGS runs from the best
 * {@code refine} of them; the best end point wins. Internally log N and log D are centred on their means
 * (an exact reparameterisation that removes most of the a–α and b–β correlation, so L-BFGS converges
 * to the precision the recovery test asks for). N and D are any positive width and data/time axes.
 * E may be held fixed (also at 0), for the sensitivity of the exponents to the irreducible term.
 */
public record JointFit(double e, double a, double b, double alpha, double beta, double objective, boolean fixedE) {

    public static final double DELTA = 1e-3;
    /** L-BFGS runs from this many of the best-scoring grid points by default. */
    public static final int REFINE = 64;
    private static final double[] EXPONENT_GRID = {0, 0.5, 1, 1.5, 2};
    private static final double[] E_GRID = {-1, -0.5, 0, 0.5, 1};
    private static final double[] AB_GRID = {0, 5, 10, 15, 20, 25};

    public double bigE() {
        return Math.exp(e);
    }

    public double bigA() {
        return Math.exp(a);
    }

    public double bigB() {
        return Math.exp(b);
    }

    public double predict(double n, double d) {
        return Math.exp(e) + Math.exp(a - alpha * Math.log(n)) + Math.exp(b - beta * Math.log(d));
    }

    /**
     * Exponent ξ of the compute-optimal width N* ∝ C^ξ when compute is C ∝ N·D: minimising
     * A N^-α + B (C/N)^-β gives ξ = β/(α + β) (and D* ∝ C^{α/(α+β)}).
     */
    public double optimalWidthExponent() {
        return beta / (alpha + beta);
    }

    @Override
    public String toString() {
        return String.format("E=%.4g A=%.4g B=%.4g alpha=%.4f beta=%.4f", bigE(), bigA(), bigB(), alpha, beta);
    }

    /** Fit with a free E from the full grid (best {@link #REFINE} starts refined). */
    public static JointFit fit(double[] n, double[] d, double[] loss) {
        return fit(n, d, loss, Double.NaN, REFINE, null);
    }

    /**
     * @param fixedE     NaN for a free E, else the value E is held at (≥ 0; 0 drops the term)
     * @param refine     L-BFGS runs from this many of the best-scoring grid points (0: from the warm start alone)
     * @param warmStart  an extra starting point (a previous fit), or null
     */
    public static JointFit fit(double[] n, double[] d, double[] loss, double fixedE, int refine, JointFit warmStart) {
        Data data = Data.of(n, d, loss);
        if (!Double.isNaN(fixedE) && !(fixedE >= 0 && fixedE < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("fixed irreducible loss E must be finite and >= 0, got " + fixedE);
        }
        if (!Double.isNaN(fixedE) && Arrays.stream(data.logL).anyMatch(l -> l <= Math.log(fixedE))) {
            throw new IllegalArgumentException("fixed irreducible loss E = " + fixedE + " is not below every loss");
        }
        boolean free = Double.isNaN(fixedE);
        double logE = free ? 0 : Math.log(fixedE); // −∞ when E = 0: the term vanishes
        // Internal parameters: {ã, b̃, α, β[, e]} with ã = a − α·c_N, b̃ = b − β·c_D.
        List<double[]> grid = new ArrayList<>();
        for (double alpha : EXPONENT_GRID) {
            for (double beta : EXPONENT_GRID) {
                for (double a : AB_GRID) {
                    for (double b : AB_GRID) {
                        if (free) {
                            for (double e : E_GRID) {
                                grid.add(new double[] {a - alpha * data.cN, b - beta * data.cD, alpha, beta, e});
                            }
                        } else {
                            grid.add(new double[] {a - alpha * data.cN, b - beta * data.cD, alpha, beta});
                        }
                    }
                }
            }
        }
        if (refine == 0 && warmStart != null) {
            grid.clear(); // only the warm start
        }
        double[] scratch = new double[free ? 5 : 4];
        double[] score = new double[grid.size()];
        for (int i = 0; i < score.length; i++) {
            score[i] = data.objective(grid.get(i), logE, scratch);
        }
        List<double[]> starts = new ArrayList<>(java.util.stream.IntStream.range(0, grid.size()).boxed()
                .sorted(Comparator.comparingDouble(i -> score[i])).limit(refine).map(grid::get).toList());
        if (warmStart != null) {
            double[] w = {warmStart.a - warmStart.alpha * data.cN, warmStart.b - warmStart.beta * data.cD, warmStart.alpha,
                warmStart.beta};
            starts.addFirst(free ? Arrays.copyOf(w, 5) : w);
            if (free) {
                starts.getFirst()[4] = warmStart.fixedE && warmStart.e == Double.NEGATIVE_INFINITY ? -5 : warmStart.e;
            }
        }
        Lbfgs.Result best = null;
        for (double[] start : starts) {
            Lbfgs.Result r = Lbfgs.minimize((p, g) -> data.objective(p, logE, g), start, 1e-13, 2000);
            if (best == null || r.value() < best.value()) {
                best = r;
            }
        }
        double[] p = best.x();
        return new JointFit(free ? p[4] : logE, p[0] + p[2] * data.cN, p[1] + p[3] * data.cD, p[2], p[3], best.value(), !free);
    }

    /** Percentile intervals (95%) of E, A, B, α, β and ξ = β/(α+β), from refits on resampled data. */
    public record Bootstrap(double[][] intervals, int resamples, String over) {
        public static final String[] NAMES = {"E", "A", "B", "alpha", "beta", "xi"};

        public double[] interval(String name) {
            return intervals[Arrays.asList(NAMES).indexOf(name)];
        }
    }

    /**
     * Bootstrap: each resample draws {@code groups} with replacement (runs, or seeds: every row of a
     * drawn group comes along), refits from the full fit and the best {@code refine} grid points, and the 2.5% and
     * 97.5% percentiles of each parameter over the resamples are the interval.
     *
     * @param group the resampling unit of each point (e.g. the seed, or the run)
     */
    public static Bootstrap bootstrap(double[] n, double[] d, double[] loss, int[] group, JointFit full, int resamples, int refine,
                                      long seed, String over) {
        int groups = Arrays.stream(group).max().orElse(-1) + 1;
        if (groups < 2) {
            return null;
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[][] values = new double[6][resamples];
        for (int r = 0; r < resamples; r++) {
            int[] times = new int[groups];
            for (int k = 0; k < groups; k++) {
                times[random.nextInt(groups)]++;
            }
            List<double[]> rows = new ArrayList<>();
            for (int i = 0; i < loss.length; i++) {
                for (int t = 0; t < times[group[i]]; t++) {
                    rows.add(new double[] {n[i], d[i], loss[i]});
                }
            }
            JointFit f = fit(rows.stream().mapToDouble(v -> v[0]).toArray(), rows.stream().mapToDouble(v -> v[1]).toArray(),
                    rows.stream().mapToDouble(v -> v[2]).toArray(), Double.NaN, refine, full);
            double[] v = {f.bigE(), f.bigA(), f.bigB(), f.alpha, f.beta, f.optimalWidthExponent()};
            for (int k = 0; k < 6; k++) {
                values[k][r] = v[k];
            }
        }
        double[][] intervals = new double[6][];
        for (int k = 0; k < 6; k++) {
            double[] s = values[k].clone();
            Arrays.sort(s);
            intervals[k] = new double[] {s[(int) Math.floor(0.025 * (s.length - 1))], s[(int) Math.ceil(0.975 * (s.length - 1))]};
        }
        return new Bootstrap(intervals, resamples, over);
    }

    /** The data in log space, with the centring constants. */
    private record Data(double[] xN, double[] xD, double[] logL, double cN, double cD) {

        static Data of(double[] n, double[] d, double[] loss) {
            if (n.length != d.length || n.length != loss.length) {
                throw new IllegalArgumentException("joint fit needs N, D and L of one length, got " + n.length + ", " + d.length
                        + ", " + loss.length);
            }
            if (n.length < 5) {
                throw new IllegalArgumentException("joint fit of 5 parameters needs at least 5 points, got " + n.length);
            }
            double[] xN = new double[n.length];
            double[] xD = new double[n.length];
            double[] logL = new double[n.length];
            for (int i = 0; i < n.length; i++) {
                if (!(n[i] > 0 && d[i] > 0 && loss[i] > 0) || !Double.isFinite(n[i] + d[i] + loss[i])) {
                    throw new IllegalArgumentException("joint fit needs positive finite N, D and L; point " + i + " is (" + n[i]
                            + ", " + d[i] + ", " + loss[i] + ")");
                }
                xN[i] = Math.log(n[i]);
                xD[i] = Math.log(d[i]);
                logL[i] = Math.log(loss[i]);
            }
            double cN = Arrays.stream(xN).average().orElseThrow();
            double cD = Arrays.stream(xD).average().orElseThrow();
            for (int i = 0; i < n.length; i++) {
                xN[i] -= cN;
                xD[i] -= cD;
            }
            return new Data(xN, xD, logL, cN, cD);
        }

        /** Σ Huber_δ(LSE(ã − α x̃N, b̃ − β x̃D, e) − log L) and its gradient; e = p[4] when free, else logE. */
        double objective(double[] p, double logE, double[] gradient) {
            boolean free = p.length == 5;
            double e = free ? p[4] : logE;
            Arrays.fill(gradient, 0);
            double sum = 0;
            for (int i = 0; i < logL.length; i++) {
                double tA = p[0] - p[2] * xN[i];
                double tB = p[1] - p[3] * xD[i];
                double max = Math.max(Math.max(tA, tB), e);
                double wA = Math.exp(tA - max);
                double wB = Math.exp(tB - max);
                double wE = Math.exp(e - max); // 0 when e = −∞
                double z = wA + wB + wE;
                double r = max + Math.log(z) - logL[i];
                double h;
                double dh;
                if (Math.abs(r) <= DELTA) {
                    h = 0.5 * r * r;
                    dh = r;
                } else {
                    h = DELTA * (Math.abs(r) - 0.5 * DELTA);
                    dh = Math.copySign(DELTA, r);
                }
                sum += h;
                gradient[0] += dh * wA / z;
                gradient[1] += dh * wB / z;
                gradient[2] -= dh * wA / z * xN[i];
                gradient[3] -= dh * wB / z * xD[i];
                if (free) {
                    gradient[4] += dh * wE / z;
                }
            }
            return sum;
        }
    }
}
