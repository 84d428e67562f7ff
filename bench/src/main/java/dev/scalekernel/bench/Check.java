package dev.scalekernel.bench;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Csr;
import dev.scalekernel.api.DType;
import dev.scalekernel.bench.HostData.Entries;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Agreement with a double-precision reference, checked in each benchmark's trial setup before
 * anything is timed. Sampled output entries are recomputed as dot products in double and must
 * lie within twice the standard componentwise bound of a length-k dot product in the dtype,
 * γ_k·Σ|a_l||b_l| with γ_k = k·u/(1 − k·u) and u = 2^-24 (f32) or 2^-53 (f64); the factor 2
 * leaves room for the reference's own rounding and an extra scaling or conversion. Any
 * disagreement throws {@link IllegalStateException}, which fails the JMH run.
 */
public final class Check {

    /** How many output entries each check recomputes (four corners included). */
    public static final int SAMPLES = 64;

    private Check() {
    }

    /** γ_k = k·u/(1 − k·u) for the dtype's unit roundoff u (∞ when k·u ≥ 1). */
    public static double gamma(long k, DType dtype) {
        double ku = k * dtype.unitRoundoff();
        return ku >= 1 ? Double.POSITIVE_INFINITY : ku / (1 - ku);
    }

    /**
     * out(i, j) = σ(s·Σ_l a(i, l)·b(l, j)) for i < m, j < n, l < k (a and b give op(A) and op(B)),
     * checked on {@link #SAMPLES} entries: the corners, then random ones. With {@code upperOnly}
     * only entries with i ≤ j are sampled (a SYRK that writes one triangle).
     */
    public static void product(String what, DType dtype, int m, int n, int k, Entries a, Entries b, double scale,
                               Activation activation, Entries out, boolean upperOnly) {
        double gamma = gamma(k + 2L, dtype);
        for (int[] ij : samples(m, n, upperOnly, 0x5EED_0000L + m * 31L + n)) {
            int i = ij[0];
            int j = ij[1];
            double sum = 0;
            double abs = 0;
            for (int l = 0; l < k; l++) {
                double p = a.at(i, l) * b.at(l, j);
                sum += p;
                abs += Math.abs(p);
            }
            double expected = activation.apply(scale * sum);
            double bound = 2 * gamma * Math.abs(scale) * abs;
            double got = out.at(i, j);
            if (!(Math.abs(got - expected) <= bound)) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "%s disagrees with the double-precision reference at (%d, %d): got %.9g, expected %.9g, "
                                + "|difference| %.3g > bound %.3g (2·γ_%d·|s|·Σ|a||b|, u = 2^%d)",
                        what, i, j, got, expected, Math.abs(got - expected), bound, k + 2,
                        dtype == DType.F32 ? -24 : -53));
            }
        }
    }

    /**
     * One full-batch gradient step from w0: w1 = w0 − (η_j/P)·Φᵀ(Φ w0 − y), Φ P×N, w0 N×k,
     * y P×k or P×1, checked in the given columns at {@code perColumn} sampled rows (first and last
     * included). The residual, the gradient and the update are two chained dot products, so the
     * bound is 2·γ_{N+P+5}·((η_j/P)·Σ_i|Φ_il|(Σ_m|Φ_im||w0_mj| + |y_ij|) + |w0_lj|).
     */
    public static void gradientStep(String what, HostData phi, HostData y, HostData w0, double[] eta, Entries w1,
                                    int[] columns, int perColumn) {
        int p = phi.rows();
        int n = phi.cols();
        DType dtype = phi.dtype();
        double gamma = gamma((long) n + p + 5, dtype);
        SplittableRandom rnd = new SplittableRandom(0x6D5EEDL + n);
        for (int j : columns) {
            int yj = y.cols() == 1 ? 0 : j;
            double[] r = new double[p];
            double[] rAbs = new double[p];
            for (int i = 0; i < p; i++) {
                double s = 0;
                double a = 0;
                for (int m = 0; m < n; m++) {
                    double t = phi.get(i, m) * w0.get(m, j);
                    s += t;
                    a += Math.abs(t);
                }
                r[i] = s - y.get(i, yj);
                rAbs[i] = a + Math.abs(y.get(i, yj));
            }
            double c = eta[j] / p;
            for (int q = 0; q < perColumn; q++) {
                int l = q == 0 ? 0 : q == 1 ? n - 1 : rnd.nextInt(n);
                double g = 0;
                double gAbs = 0;
                for (int i = 0; i < p; i++) {
                    double f = phi.get(i, l);
                    g += f * r[i];
                    gAbs += Math.abs(f) * rAbs[i];
                }
                double expected = w0.get(l, j) - c * g;
                double bound = 2 * gamma * (c * gAbs + Math.abs(w0.get(l, j)));
                double got = w1.at(l, j);
                if (!(Math.abs(got - expected) <= bound)) {
                    throw new IllegalStateException(String.format(Locale.ROOT,
                            "%s: one gradient step disagrees with the double-precision reference at w[%d][%d]: got "
                                    + "%.9g, expected %.9g, |difference| %.3g > bound %.3g", what, l, j, got, expected,
                            Math.abs(got - expected), bound));
                }
            }
        }
    }

    /**
     * out(i, j) = σ(s·Σ_k x_ik·F[j, k]) over the non-zeros of row i of the CSR matrix x (values
     * already rounded to the dtype), F N×M; the bound uses the row's non-zero count as k.
     */
    public static void csrProduct(String what, DType dtype, Csr x, HostData f, double scale, Activation activation,
                                  Entries out) {
        int n = f.rows();
        for (int[] ij : samples(x.rows(), n, false, 0xC5A0L + x.rows() * 31L + n)) {
            int i = ij[0];
            int j = ij[1];
            double sum = 0;
            double abs = 0;
            int from = x.rowStart()[i];
            int to = x.rowStart()[i + 1];
            for (int q = from; q < to; q++) {
                double t = x.values()[q] * f.get(j, x.columns()[q]);
                sum += t;
                abs += Math.abs(t);
            }
            double expected = activation.apply(scale * sum);
            double bound = 2 * gamma(to - from + 2L, dtype) * Math.abs(scale) * abs;
            double got = out.at(i, j);
            if (!(Math.abs(got - expected) <= bound)) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "%s disagrees with the double-precision reference at (%d, %d): got %.9g, expected %.9g, "
                                + "|difference| %.3g > bound %.3g", what, i, j, got, expected,
                        Math.abs(got - expected), bound));
            }
        }
    }

    /** Exact equality (bit-identical streams), e.g. Philox normals against their reference definition. */
    public static void exact(String what, long count, java.util.function.LongToDoubleFunction got,
                             java.util.function.LongToDoubleFunction expected) {
        SplittableRandom rnd = new SplittableRandom(0xF111L + count);
        for (int q = 0; q < SAMPLES; q++) {
            long i = q == 0 ? 0 : q == 1 ? count - 1 : rnd.nextLong(count);
            double g = got.applyAsDouble(i);
            double e = expected.applyAsDouble(i);
            if (Double.doubleToLongBits(g) != Double.doubleToLongBits(e)) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "%s: element %d is %.9g but the reference definition gives %.9g (they must be bit-identical)",
                        what, i, g, e));
            }
        }
    }

    /** The four corners, then random (i, j) up to {@link #SAMPLES}; i ≤ j only when upperOnly. */
    static List<int[]> samples(int m, int n, boolean upperOnly, long seed) {
        List<int[]> out = new ArrayList<>();
        int[][] corners = {{0, 0}, {0, n - 1}, {m - 1, n - 1}, {m - 1, 0}};
        for (int[] c : corners) {
            if (!upperOnly || c[0] <= c[1]) {
                out.add(c);
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        while (out.size() < SAMPLES) {
            int i = rnd.nextInt(m);
            int j = rnd.nextInt(n);
            if (upperOnly && i > j) {
                int t = i;
                i = j;
                j = t;
            }
            out.add(new int[] {i, j});
        }
        return out;
    }
}
