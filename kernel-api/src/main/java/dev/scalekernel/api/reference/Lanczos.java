package dev.scalekernel.api.reference;

import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.random.Philox;

/**
 * Largest eigenvalue of a symmetric positive semi-definite operator by Lanczos with full
 * reorthogonalisation (classical Gram–Schmidt, twice) and bisection on the tridiagonal matrix.
 * In double throughout; the start vector is the fp64 Philox normal stream
 * (options.seed, {@link LambdaMaxOptions#START_STREAM}), so every backend starts identically.
 */
public final class Lanczos {

    /** out = Op·v for a vector of the operator's dimension. */
    @FunctionalInterface
    public interface Operator {
        void apply(double[] v, double[] out);
    }

    private Lanczos() {
    }

    public static double largestEigenvalue(int dim, LambdaMaxOptions options, Operator op) {
        int maxSteps = Math.min(dim, options.maxIterations());
        double[][] basis = new double[maxSteps][];
        double[] alpha = new double[maxSteps];
        double[] beta = new double[maxSteps];
        double[] v = new double[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = Philox.normalF64(options.seed(), LambdaMaxOptions.START_STREAM, i);
        }
        scale(v, 1.0 / norm(v));
        double[] w = new double[dim];
        double previous = Double.NaN;
        double theta = 0;
        for (int j = 0; j < maxSteps; j++) {
            basis[j] = v.clone();
            op.apply(v, w);
            alpha[j] = dot(w, v);
            for (int pass = 0; pass < 2; pass++) {
                for (int q = 0; q <= j; q++) {
                    double c = dot(w, basis[q]);
                    for (int i = 0; i < dim; i++) {
                        w[i] -= c * basis[q][i];
                    }
                }
            }
            beta[j] = norm(w);
            theta = largestTridiagonalEigenvalue(alpha, beta, j + 1);
            boolean invariant = beta[j] <= 1e-13 * Math.max(theta, Double.MIN_NORMAL);
            if (invariant || Math.abs(theta - previous) <= options.relTolerance() * theta) {
                break;
            }
            previous = theta;
            for (int i = 0; i < dim; i++) {
                v[i] = w[i] / beta[j];
            }
        }
        return theta;
    }

    /**
     * Largest eigenvalue of the n×n symmetric tridiagonal matrix with diagonal alpha[0..n) and
     * off-diagonal beta[0..n-1), by bisection on the Sturm count inside the Gershgorin interval.
     */
    static double largestTridiagonalEigenvalue(double[] alpha, double[] beta, int n) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double radius = (i > 0 ? Math.abs(beta[i - 1]) : 0) + (i < n - 1 ? Math.abs(beta[i]) : 0);
            lo = Math.min(lo, alpha[i] - radius);
            hi = Math.max(hi, alpha[i] + radius);
        }
        for (int iter = 0; iter < 200 && hi - lo > 2 * Math.ulp(Math.max(Math.abs(lo), Math.abs(hi))); iter++) {
            double mid = 0.5 * (lo + hi);
            if (countBelow(alpha, beta, n, mid) < n) {
                lo = mid; // some eigenvalue lies at or above mid
            } else {
                hi = mid;
            }
        }
        return hi;
    }

    /** Number of eigenvalues below x (Sturm sequence of the LDLᵀ pivots). */
    private static int countBelow(double[] alpha, double[] beta, int n, double x) {
        int count = 0;
        double d = 1;
        for (int i = 0; i < n; i++) {
            double b2 = i > 0 ? beta[i - 1] * beta[i - 1] : 0;
            d = alpha[i] - x - (i > 0 ? b2 / d : 0);
            if (d == 0) {
                d = -Double.MIN_NORMAL;
            }
            if (d < 0) {
                count++;
            }
        }
        return count;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static void scale(double[] a, double c) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= c;
        }
    }
}
