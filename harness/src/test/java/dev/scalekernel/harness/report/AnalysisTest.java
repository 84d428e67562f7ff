package dev.scalekernel.harness.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnalysisTest {

    @Test
    void wilsonIntervalsMatchPublishedValues() {
        // Reference values: Wilson score interval at 95% (z = 1.96), e.g. Newcombe (1998), Table I style checks.
        assertArrayEquals(new double[] {0.0, 0.0876}, round(Instability.wilson(0, 40)), 1e-4);
        assertArrayEquals(new double[] {0.3520, 0.6480}, round(Instability.wilson(20, 40)), 1e-4);
        assertArrayEquals(new double[] {0.9124, 1.0}, round(Instability.wilson(40, 40)), 1e-4);
    }

    @Test
    void exactPowerLawsAreRecovered() {
        double[] x = {10, 20, 40, 80, 160, 320};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = 3 * Math.pow(x[i], -0.7);
        }
        PowerLawFit fit = PowerLawFit.of(x, y);
        assertEquals(-0.7, fit.slope(), 1e-12);
        assertEquals(3, fit.at(1), 1e-9);
        assertEquals(-0.7, PowerLawFit.huberSlope(x, y), 1e-9);
    }

    @Test
    void huberResistsAnOutlierThatMovesLeastSquares() {
        double[] x = {1, 2, 4, 8, 16, 32, 64, 128};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.pow(x[i], -1.0) * (1 + 0.01 * Math.sin(i));
        }
        y[7] *= 50; // one corrupted point
        double ols = PowerLawFit.of(x, y).slope();
        double huber = PowerLawFit.huberSlope(x, y);
        assertTrue(Math.abs(huber + 1) < 0.1, "Huber slope " + huber);
        assertTrue(Math.abs(ols + 1) > 0.2, "least squares is pulled by the outlier: " + ols);
    }

    @Test
    void brokenPowerLawFindsBothBranches() {
        double[] x = new double[12];
        double[] y = new double[12];
        for (int i = 0; i < 12; i++) {
            x[i] = Math.pow(2, i);
            y[i] = x[i] <= 64 ? Math.pow(x[i], -0.5) : Math.pow(64, -0.5) * Math.pow(x[i] / 64, -2.0);
        }
        double[] b = PowerLawFit.broken(x, y);
        assertNotNull(b);
        assertEquals(-0.5, b[0], 1e-9);
        assertEquals(-2.0, b[1], 1e-9);
        assertEquals(64, b[2], 1e-9);
    }

    @Test
    void bootstrapIntervalsCoverTheTrueSlopeMostOfTheTime() {
        // 200 synthetic sweeps (5 widths x 8 seeds, 10% log-normal noise): a 95% percentile bootstrap over only
        // 8 seeds under-covers somewhat, so require at least 80% coverage, and intervals of sensible width.
        double[] x = {10, 30, 100, 300, 1000};
        int seeds = 8;
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        int covered = 0;
        int sweeps = 200;
        for (int sweep = 0; sweep < sweeps; sweep++) {
            double[][] perSeed = new double[x.length][seeds];
            for (int i = 0; i < x.length; i++) {
                for (int s = 0; s < seeds; s++) {
                    perSeed[i][s] = Math.pow(x[i], -1.2) * Math.exp(0.1 * r.nextGaussian());
                }
            }
            double[] ci = PowerLawFit.bootstrap(x, perSeed, 400, sweep);
            assertTrue(ci[1] - ci[0] > 0.005 && ci[1] - ci[0] < 0.2, "interval width " + (ci[1] - ci[0]));
            covered += ci[0] <= -1.2 && ci[1] >= -1.2 ? 1 : 0;
        }
        assertTrue(covered >= 0.8 * sweeps, "coverage " + covered + " of " + sweeps);
    }

    private static double[] round(double[] v) {
        return new double[] {Math.round(v[0] * 1e4) / 1e4, Math.round(v[1] * 1e4) / 1e4};
    }
}
