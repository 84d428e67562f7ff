package dev.scalekernel.harness.theory;

import dev.scalekernel.api.Activation;

/**
 * The infinite-width kernel of random features φ_j(x) = σ(s·f_j·x), f_j ~ N(0, I):
 * k(x, y) = E_f[σ(s f·x) σ(s f·y)], in closed form for
 * <ul>
 *   <li>relu (arc-cosine kernel of order 1, Cho &amp; Saul 2009):
 *       k = s²|x||y|/(2π) · (sin t + (π − t) cos t), t the angle between x and y;</li>
 *   <li>erf (Williams 1997): k = (2/π) arcsin(2s² x·y / √((1 + 2s²|x|²)(1 + 2s²|y|²))).</li>
 * </ul>
 * A student with N features has the kernel K_N = ΦΦᵀ/N, which tends to this one as N → ∞; kernel
 * regression with it is the student's N = ∞ limit. Evaluated on the host in double.
 */
public final class RandomFeatureKernel {

    private final Activation activation;
    private final double scale;

    public RandomFeatureKernel(Activation activation, double scale) {
        if (activation != Activation.RELU && activation != Activation.ERF) {
            throw new IllegalArgumentException("activation " + activation
                    + " has no closed-form infinite-width kernel here; expected relu or erf");
        }
        if (!(scale > 0) || !Double.isFinite(scale)) {
            throw new IllegalArgumentException("feature scale must be > 0 and finite, got " + scale);
        }
        this.activation = activation;
        this.scale = scale;
    }

    /** k(x_i, y_j) for rows i of x and j of y (row-major, dim columns each). */
    public double value(double[] x, int i, double[] y, int j, int dim) {
        double xy = 0;
        double xx = 0;
        double yy = 0;
        for (int c = 0; c < dim; c++) {
            double a = x[i * dim + c];
            double b = y[j * dim + c];
            xy += a * b;
            xx += a * a;
            yy += b * b;
        }
        return value(xy, xx, yy);
    }

    /** k from the inner products x·y, |x|², |y|². */
    public double value(double xy, double xx, double yy) {
        double s2 = scale * scale;
        if (activation == Activation.RELU) {
            double norms = Math.sqrt(xx * yy);
            if (norms == 0) {
                return 0;
            }
            double cos = Math.max(-1, Math.min(1, xy / norms));
            double t = Math.acos(cos);
            return s2 * norms / (2 * Math.PI) * (Math.sin(t) + (Math.PI - t) * cos);
        }
        double arg = 2 * s2 * xy / Math.sqrt((1 + 2 * s2 * xx) * (1 + 2 * s2 * yy));
        return 2 / Math.PI * Math.asin(Math.max(-1, Math.min(1, arg)));
    }

    /** k(x, x) for |x| = 1: the mean diagonal of the Gram matrix on a unit-norm manifold. */
    public double unitDiagonal() {
        return value(1, 1, 1);
    }

    /** Row-major rows(x) × rows(y) matrix of k(x_i, y_j). */
    public double[] matrix(double[] x, int xRows, double[] y, int yRows, int dim) {
        double[] k = new double[Math.multiplyExact(xRows, yRows)];
        for (int i = 0; i < xRows; i++) {
            for (int j = 0; j < yRows; j++) {
                k[i * yRows + j] = value(x, i, y, j, dim);
            }
        }
        return k;
    }

    /**
     * The resolution-limited exponent this kernel predicts on a d-dimensional manifold when the target is
     * drawn from the same kernel (teacher and student share σ): the relu kernel has a |Δθ|³ singularity at
     * coinciding points (sin t + (π − t) cos t = π cos t + t³/3 + O(t⁵)), so its eigenvalues fall as
     * |ω|^-(d+3) in frequency, i.e. λ_i ∝ i^-(1 + 3/d) by rank, and L ∝ P^-3/d and N^-3/d (α_K = 3/d).
     * The erf kernel is analytic: its spectrum falls faster than any power, and there is no such
     * exponent (NaN).
     */
    public double resolutionExponent(int d) {
        return activation == Activation.RELU ? 3.0 / d : Double.NaN;
    }
}
