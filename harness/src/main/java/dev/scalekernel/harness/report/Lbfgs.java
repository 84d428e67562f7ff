package dev.scalekernel.harness.report;

import java.util.Arrays;

/**
 * Limited-memory BFGS (Nocedal &amp; Wright, Numerical Optimization, 2nd ed., Algorithm 7.4 with the
 * two-loop recursion 7.5) with a backtracking line search on the Armijo condition. Hipparchus 4 has
 * no L-BFGS (its optimizers are non-linear conjugate gradient, BOBYQA, CMA-ES, Powell, simplex and
 * the least-squares Levenberg–Marquardt / Gauss–Newton), and the scaling-law fit this serves
 * (Hoffmann et al.'s approach 3, the Huber objective on log residuals) is defined with L-BFGS, so this
 * is the small, tested implementation the harness uses. A curvature pair with sᵀy ≤ 0 is skipped,
 * which keeps the inverse-Hessian estimate positive definite without a Wolfe line search.
 */
public final class Lbfgs {

    /** An objective: returns f(x) and writes ∇f(x) into {@code gradient}. */
    @FunctionalInterface
    public interface Objective {
        double valueAndGradient(double[] x, double[] gradient);
    }

    /** The minimiser found, its value, the iterations taken and whether a tolerance (not the iteration cap) stopped it. */
    public record Result(double[] x, double value, int iterations, boolean converged) {
    }

    private static final int MEMORY = 10;
    private static final double ARMIJO = 1e-4;
    private static final double RELATIVE_DECREASE = 1e-12;

    private Lbfgs() {
    }

    /**
     * Stops when max |∂f/∂x_i| ≤ {@code gradientTolerance}, or when two successive steps each lower f by
     * less than 10⁻¹² of its value, or after {@code maxIterations}.
     *
     * @param gradientTolerance stop when max |∂f/∂x_i| ≤ this
     * @param maxIterations     at most this many line searches
     */
    public static Result minimize(Objective f, double[] start, double gradientTolerance, int maxIterations) {
        int n = start.length;
        double[] x = start.clone();
        double[] g = new double[n];
        double fx = f.valueAndGradient(x, g);
        if (!Double.isFinite(fx)) {
            throw new IllegalArgumentException("objective is not finite at the start point " + Arrays.toString(start));
        }
        double[][] s = new double[MEMORY][];
        double[][] y = new double[MEMORY][];
        double[] rho = new double[MEMORY];
        int stored = 0;
        int newest = -1;
        double[] alpha = new double[MEMORY];
        double[] xNew = new double[n];
        double[] gNew = new double[n];
        boolean previousFlat = false;
        for (int iter = 0; iter < maxIterations; iter++) {
            if (maxAbs(g) <= gradientTolerance) {
                return new Result(x, fx, iter, true);
            }
            // Two-loop recursion: direction = −H·g.
            double[] d = g.clone();
            for (int k = 0; k < stored; k++) {
                int i = Math.floorMod(newest - k, MEMORY);
                alpha[i] = rho[i] * dot(s[i], d);
                axpy(-alpha[i], y[i], d);
            }
            if (stored > 0) {
                scale(dot(s[newest], y[newest]) / dot(y[newest], y[newest]), d);
            } else {
                scale(1 / Math.max(1, Math.sqrt(dot(g, g))), d);
            }
            for (int k = stored - 1; k >= 0; k--) {
                int i = Math.floorMod(newest - k, MEMORY);
                double beta = rho[i] * dot(y[i], d);
                axpy(alpha[i] - beta, s[i], d);
            }
            scale(-1, d);
            double slope = dot(g, d);
            if (!(slope < 0)) { // not a descent direction (rounding): restart from steepest descent
                stored = 0;
                d = g.clone();
                scale(-1 / Math.max(1, Math.sqrt(dot(g, g))), d);
                slope = dot(g, d);
            }
            double step = 1;
            double fNew = Double.NaN;
            boolean accepted = false;
            for (int trial = 0; trial < 60; trial++) {
                for (int i = 0; i < n; i++) {
                    xNew[i] = x[i] + step * d[i];
                }
                fNew = f.valueAndGradient(xNew, gNew);
                if (Double.isFinite(fNew) && fNew <= fx + ARMIJO * step * slope) {
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if (!accepted) { // no decrease possible along d within rounding: a stationary point for this precision
                return new Result(x, fx, iter, true);
            }
            double[] sk = new double[n];
            double[] yk = new double[n];
            for (int i = 0; i < n; i++) {
                sk[i] = xNew[i] - x[i];
                yk[i] = gNew[i] - g[i];
            }
            double sy = dot(sk, yk);
            if (sy > 1e-300) {
                newest = (newest + 1) % MEMORY;
                s[newest] = sk;
                y[newest] = yk;
                rho[newest] = 1 / sy;
                stored = Math.min(stored + 1, MEMORY);
            }
            // Relative decrease below 10^-12 (twice in a row): converged to the precision doubles give the objective.
            boolean flat = fx - fNew <= RELATIVE_DECREASE * Math.abs(fx);
            boolean stalled = flat && previousFlat;
            previousFlat = flat;
            System.arraycopy(xNew, 0, x, 0, n);
            System.arraycopy(gNew, 0, g, 0, n);
            fx = fNew;
            if (stalled) {
                return new Result(x, fx, iter + 1, true);
            }
        }
        return new Result(x, fx, maxIterations, maxAbs(g) <= gradientTolerance);
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static void scale(double a, double[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] *= a;
        }
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double e : v) {
            m = Math.max(m, Math.abs(e));
        }
        return m;
    }
}
