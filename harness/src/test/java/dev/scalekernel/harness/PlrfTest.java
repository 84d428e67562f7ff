package dev.scalekernel.harness;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.Backends;
import dev.scalekernel.api.DType;
import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.experiment.Experiments;
import dev.scalekernel.harness.report.ComputeOptimal;
import dev.scalekernel.harness.spec.SpecLoader;
import dev.scalekernel.harness.sweep.Point;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Power-law random features with one-pass SGD (Paquette et al.): the fast path against the generic model, and phase Ia. */
class PlrfTest {

    @Test
    void eigenbasisPathMatchesRandomFeaturesSgdInLaw() {
        // The same model two ways: plrf (v = 48, d = 16, alpha = 1, beta = 0.25, gamma = 0.75/tr D, batch 1) and
        // random_features with M = v, N = d, b = 2 alpha, a = 2 alpha + 2 beta, sgd, eta = gamma * v/d, whose population
        // loss is twice the PLRF risk. Different random numbers, so compare means over 150 seeds at four record steps:
        // |difference| within 4 combined standard errors.
        int seeds = 150;
        double gamma = 0;
        Map<Long, double[]> plrf = new TreeMap<>();
        Map<Long, double[]> rf = new TreeMap<>();
        Experiment plrfExperiment = Experiments.get("plrf");
        Experiment rfExperiment = Experiments.get("random_features");
        try (Backend b = Backends.open("cpu")) {
            for (Point p : SpecLoader.load("plrf-phase-ia", List.of("d=16", "v_per_d=3", "f_max=" + 16 * 300, "records_per_decade=2",
                    "seeds=" + seeds)).points()) {
                for (Experiment.Row row : plrfExperiment.run(b, DType.F64, p).rows()) {
                    gamma = (double) row.values().get("lr");
                    accumulate(plrf, row.step(), (double) row.values().get("population_loss"));
                }
            }
            for (Point p : SpecLoader.load("smoke", List.of("M=48", "N=16", "a=2.5", "b=2", "trainer=sgd", "batch=1", "steps=300",
                    "eta=" + gamma * 48 / 16, "records_per_decade=2", "test=8", "P=1", "seeds=" + seeds)).points()) {
                for (Experiment.Row row : rfExperiment.run(b, DType.F64, p).rows()) {
                    accumulate(rf, row.step(), 0.5 * (double) row.values().get("population_loss"));
                }
            }
        }
        assertEquals(plrf.keySet(), rf.keySet());
        int compared = 0;
        for (long step : new long[] {3, 10, 100, 300}) {
            double[] a = stats(plrf.get(step));
            double[] c = stats(rf.get(step));
            double tolerance = 4 * Math.hypot(a[1], c[1]);
            assertEquals(a[0], c[0], tolerance, "mean risk at step " + step + ": plrf " + a[0] + " ± " + a[1] + ", random_features "
                    + c[0] + " ± " + c[1]);
            assertTrue(a[0] < 0.9 * stats(plrf.get(0L))[0] || step < 10, "the risk decreases by step " + step);
            compared++;
        }
        assertEquals(4, compared);
    }

    @Test
    void phaseIaComputeOptimalWidthExponentMatchesTheory() {
        // Phase Ia (2 beta < 1 < 2 alpha), alpha = 1, beta = 0.25: d* ~ f^(1/(2 alpha + 1)) = f^(1/3) (Paquette et al.).
        // Small size: d = 8 ... 256, f up to 10^7, 6 seeds, curves = median over seeds. The tolerance: +-0.05 on
        // the envelope (approach 1) estimate; the IsoFLOP estimate is printed beside it (at this size it sits lower, about
        // 0.29, because its budgets reach into the pre-asymptotic early-time region).
        double predicted = 1.0 / 3;
        Experiment plrf = Experiments.get("plrf");
        Map<Long, List<ComputeOptimal.Curve>> bySeed = new TreeMap<>();
        try (Backend b = Backends.open("cpu")) {
            for (Point p : SpecLoader.load("plrf-phase-ia", List.of("d=8,16,32,64,128,256", "f_max=1e7", "seeds=6")).points()) {
                List<double[]> rows = new ArrayList<>();
                for (Experiment.Row row : plrf.run(b, DType.F32, p).rows()) {
                    if (row.step() > 0) {
                        rows.add(new double[] {((Number) row.values().get("samples")).doubleValue(), (double) row.values().get("compute"),
                            (double) row.values().get("population_loss")});
                    }
                }
                bySeed.computeIfAbsent(p.seed(), k -> new ArrayList<>()).add(new ComputeOptimal.Curve(p.intValue("d"),
                        rows.stream().mapToDouble(r -> r[0]).toArray(), rows.stream().mapToDouble(r -> r[1]).toArray(),
                        rows.stream().mapToDouble(r -> r[2]).toArray()));
            }
        }
        List<ComputeOptimal.Curve> curves = ComputeOptimal.median(bySeed, bySeed.keySet().stream().mapToLong(Long::longValue).toArray());
        ComputeOptimal.Estimate envelope = ComputeOptimal.envelopeExponent(curves, 0, Double.POSITIVE_INFINITY);
        ComputeOptimal.Estimate isoFlop = ComputeOptimal.isoFlopExponent(curves, 0, Double.POSITIVE_INFINITY);
        String got = String.format("envelope xi %.3f (%d transitions), IsoFLOP xi %.3f (%d budgets), predicted %.3f", envelope.xi(),
                envelope.compute().length, isoFlop.xi(), isoFlop.compute().length, predicted);
        System.out.println("PLRF phase Ia: " + got);
        assertTrue(envelope.compute().length >= 5, got);
        assertEquals(predicted, envelope.xi(), 0.05, got);
    }

    private static void accumulate(Map<Long, double[]> sums, long step, double v) {
        double[] s = sums.computeIfAbsent(step, k -> new double[3]);
        s[0] += v;
        s[1] += v * v;
        s[2]++;
    }

    /** {mean, standard error}. */
    private static double[] stats(double[] s) {
        double mean = s[0] / s[2];
        double var = (s[1] / s[2] - mean * mean) * s[2] / (s[2] - 1);
        return new double[] {mean, Math.sqrt(var / s[2])};
    }
}
