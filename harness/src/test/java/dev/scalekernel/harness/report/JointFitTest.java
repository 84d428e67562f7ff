package dev.scalekernel.harness.report;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JointFitTest {

    // Hoffmann et al. 2022 (Chinchilla), approach 3.
    private static final double E = 1.69;
    private static final double A = 406.4;
    private static final double B = 410.7;
    private static final double ALPHA = 0.34;
    private static final double BETA = 0.28;

    @Test
    void lbfgsFindsTheRosenbrockMinimum() {
        // f = Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)², minimum 0 at x = 1, from the classic start (−1.2, 1, −1.2, 1, ...).
        for (int n : new int[] {2, 10}) {
            double[] start = new double[n];
            for (int i = 0; i < n; i++) {
                start[i] = i % 2 == 0 ? -1.2 : 1;
            }
            Lbfgs.Result r = Lbfgs.minimize((x, g) -> {
                java.util.Arrays.fill(g, 0);
                double f = 0;
                for (int i = 0; i + 1 < x.length; i++) {
                    double u = x[i + 1] - x[i] * x[i];
                    f += 100 * u * u + (1 - x[i]) * (1 - x[i]);
                    g[i] += -400 * u * x[i] - 2 * (1 - x[i]);
                    g[i + 1] += 200 * u;
                }
                return f;
            }, start, 1e-10, 5000);
            assertTrue(r.converged(), "n=" + n + " did not converge in " + r.iterations());
            for (double v : r.x()) {
                assertEquals(1, v, 1e-8, "n=" + n);
            }
        }
    }

    @Test
    void recoversTheChinchillaParametersFromNoiseFreeData() {
        // A 10 x 10 grid, N from 10^7 to 10^10 and D from 10^9 to 10^12 (the Chinchilla range), L exact.
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 10; j++) {
                double n = Math.pow(10, 7 + 3 * i / 9.0);
                double d = Math.pow(10, 9 + 3 * j / 9.0);
                rows.add(new double[] {n, d, E + A * Math.pow(n, -ALPHA) + B * Math.pow(d, -BETA)});
            }
        }
        JointFit fit = JointFit.fit(column(rows, 0), column(rows, 1), column(rows, 2));
        String got = fit.toString();
        assertEquals(1, fit.bigE() / E, 1e-3, got);
        assertEquals(1, fit.bigA() / A, 1e-3, got);
        assertEquals(1, fit.bigB() / B, 1e-3, got);
        assertEquals(1, fit.alpha() / ALPHA, 1e-3, got);
        assertEquals(1, fit.beta() / BETA, 1e-3, got);
        assertEquals(BETA / (ALPHA + BETA), fit.optimalWidthExponent(), 1e-3 * BETA / (ALPHA + BETA), got);
    }

    @Test
    void bootstrapIntervalsCoverTheTruthOnNoisyData() {
        // 4 seeds of the same grid with 1% log-normal noise; the seed bootstrap's 95% intervals must contain the truth
        // of the exponents, and be narrower than 0.2 (they are not degenerate).
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        List<double[]> rows = new ArrayList<>();
        for (int seed = 0; seed < 4; seed++) {
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 6; j++) {
                    double n = Math.pow(10, 7 + 3 * i / 5.0);
                    double d = Math.pow(10, 9 + 3 * j / 5.0);
                    double l = (E + A * Math.pow(n, -ALPHA) + B * Math.pow(d, -BETA)) * Math.exp(0.01 * random.nextGaussian());
                    rows.add(new double[] {n, d, l, seed});
                }
            }
        }
        double[] n = column(rows, 0);
        double[] d = column(rows, 1);
        double[] l = column(rows, 2);
        int[] group = rows.stream().mapToInt(r -> (int) r[3]).toArray();
        JointFit full = JointFit.fit(n, d, l);
        JointFit.Bootstrap boot = JointFit.bootstrap(n, d, l, group, full, 40, 8, 5, "seeds");
        for (String name : new String[] {"alpha", "beta"}) {
            double[] ci = boot.interval(name);
            double truth = name.equals("alpha") ? ALPHA : BETA;
            assertTrue(ci[0] <= truth && truth <= ci[1], name + " interval " + ci[0] + ".." + ci[1] + ", fit " + full);
            assertTrue(ci[1] - ci[0] < 0.2 && ci[1] > ci[0], name + " interval " + ci[0] + ".." + ci[1]);
        }
    }

    @Test
    void fixingEAtZeroRecoversAPureSumOfPowerLaws() {
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                double n = Math.pow(2, 4 + i);
                double d = Math.pow(4, 3 + j);
                rows.add(new double[] {n, d, 3 * Math.pow(n, -1.5) + 0.8 * Math.pow(d, -0.75)});
            }
        }
        JointFit fit = JointFit.fit(column(rows, 0), column(rows, 1), column(rows, 2), 0, JointFit.REFINE, null);
        assertEquals(0, fit.bigE());
        assertEquals(1.5, fit.alpha(), 1e-6);
        assertEquals(0.75, fit.beta(), 1e-6);
        assertEquals(1.0 / 3, fit.optimalWidthExponent(), 1e-6);
        IllegalArgumentException tooHigh = assertThrows(IllegalArgumentException.class,
                () -> JointFit.fit(column(rows, 0), column(rows, 1), column(rows, 2), 1.0, 4, null));
        assertTrue(tooHigh.getMessage().contains("not below every loss"), tooHigh.getMessage());
    }

    private static double[] column(List<double[]> rows, int c) {
        return rows.stream().mapToDouble(r -> r[c]).toArray();
    }
}
