package dev.scalekernel.harness;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.Backends;
import dev.scalekernel.api.DType;
import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.experiment.RandomFeaturesExperiment;
import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.spec.SpecLoader;
import dev.scalekernel.harness.sweep.Point;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Simulation against theory, statistically: linear random-feature ridge regression against its
 * deterministic equivalent (M = 800, σ_k = k^-1.5, w̄_k = k^-0.75, i.e. b = 1.5, a = 3), on both
 * sides of the interpolation threshold N = P, averaged over many seeds (data and features drawn
 * afresh for each: 200 seeds). Passes when the mean's standard error is under 1.5% and theory/simulation is in
 * [0.95, 1.05].
 */
class TheoryAgreementTest {

    @Test
    void ridgeMatchesTheDeterministicEquivalentOnBothSidesOfTheThreshold() {
        int seeds = 200; // 100 seeds leave a standard error of 1.4–1.9%; the bar is 1.5%
        // (P, N, λ_in) with λ_in the ridge of Σ(y − a·φ)² + λ_in|a|², as in the theory's convention.
        double[][] cases = {{100, 400, 1e-3}, {400, 100, 1e-3}, {200, 200, 1e-2}, {300, 150, 1e-1}, {150, 600, 1.0}};
        Experiment experiment = new RandomFeaturesExperiment();
        StringBuilder report = new StringBuilder();
        boolean ok = true;
        try (Backend backend = Backends.open("cpu")) {
            for (double[] c : cases) {
                int p = (int) c[0];
                int n = (int) c[1];
                double ridge = c[2] * n / ((double) p * 800); // our (1/P)|Φw−y|² + ridge|w|² with Φ = X Aᵀ/√M
                ResolvedSpec spec = SpecLoader.load("smoke", List.of("M=800", "a=3", "b=1.5", "trainer=ridge", "N=" + n,
                        "P=" + p, "test=1", "ridge=" + ridge, "seeds=" + seeds, "dtype=f64"));
                double sum = 0;
                double sumSq = 0;
                double theory = Double.NaN;
                for (Point point : spec.points()) {
                    Experiment.Row row = experiment.run(backend, DType.F64, point).rows().getFirst();
                    double loss = (double) row.values().get("population_loss");
                    theory = (double) row.values().get("theory_loss");
                    sum += loss;
                    sumSq += loss * loss;
                }
                double mean = sum / seeds;
                double se = Math.sqrt((sumSq / seeds - mean * mean) / (seeds - 1));
                double ratio = theory / mean;
                report.append(String.format("P=%d N=%d lambda_in=%g: simulation %.5g ± %.2g (%.2f%%), theory %.5g, ratio %.4f%n",
                        p, n, c[2], mean, se, 100 * se / mean, theory, ratio));
                ok &= se / mean < 0.015 && ratio >= 0.95 && ratio <= 1.05;
            }
        }
        System.out.print(report);
        assertTrue(ok, "theory/simulation outside [0.95, 1.05] or standard error >= 1.5%:\n" + report);
    }
}
