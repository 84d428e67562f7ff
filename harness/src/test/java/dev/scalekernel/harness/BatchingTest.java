package dev.scalekernel.harness;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.Backends;
import dev.scalekernel.api.DType;
import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.experiment.RandomFeaturesExperiment;
import dev.scalekernel.harness.spec.SpecLoader;
import dev.scalekernel.harness.sweep.Point;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Learning rates trained together (k right-hand sides in one GD call) give what each gives alone. */
class BatchingTest {

    private final Experiment experiment = new RandomFeaturesExperiment();

    @Test
    void learningRatesShareOneBatchAndMatchTheirSeparateRuns() {
        List<Point> points = SpecLoader.load("smoke", List.of("M=32", "N=80", "P=60", "trainer=gd", "steps=300", "test=50",
                "seeds=2", "eta_rel=0.5,1.0,1.9,2.5", "path=materialized", "dtype=f64")).points();
        var groups = points.stream().collect(Collectors.groupingBy(experiment::batchKey));
        assertEquals(2, groups.size(), "one batch per seed");
        // Same data and steps; only the summation order of a k-column pass may differ: steps·(P + N)·u relative.
        double tol = 4.0 * 300 * (60 + 80) * DType.F64.unitRoundoff();
        try (Backend b = Backends.open("cpu")) {
            for (List<Point> group : groups.values()) {
                assertEquals(4, group.size());
                List<Experiment.Outcome> together = experiment.runBatch(b, DType.F64, group);
                for (int j = 0; j < group.size(); j++) {
                    List<Experiment.Row> alone = experiment.run(b, DType.F64, group.get(j)).rows();
                    List<Experiment.Row> batched = together.get(j).rows();
                    assertEquals(alone.size(), batched.size());
                    for (int r = 0; r < alone.size(); r++) {
                        assertEquals(alone.get(r).values().get("diverged"), batched.get(r).values().get("diverged"));
                        for (String m : new String[] {"train_loss", "test_loss", "population_loss"}) {
                            double x = (double) alone.get(r).values().get(m);
                            double y = (double) batched.get(r).values().get(m);
                            if (Double.isNaN(x)) {
                                assertTrue(Double.isNaN(y), m + " NaN alone but not batched");
                            } else {
                                assertEquals(x, y, tol * Math.abs(x), "eta_rel " + group.get(j).values().get("eta_rel") + " " + m);
                            }
                        }
                    }
                }
                assertEquals(true, together.get(3).rows().getLast().values().get("diverged"), "eta_rel 2.5 diverges");
            }
        }
    }
    @Test
    void reducedRunsShareTheirGramsAcrossWidthsAndGiveExactlyTheirSeparateNumbers() {
        // Widths below, at and across tile boundaries (a tile holds 2^22 / M rows), two learning rates, two step counts.
        int m = 32;
        long tile = (1L << 22) / m;
        List<Point> points = SpecLoader.load("smoke", List.of("M=" + m, "N=50," + tile + "," + (tile + 77) + "," + (2 * tile + 3),
                "P=70", "trainer=gd", "steps=40,60", "test=30", "seeds=2", "eta_rel=0.5,1.5", "path=reduced", "dtype=f32")).points();
        var groups = points.stream().collect(Collectors.groupingBy(experiment::batchKey));
        assertEquals(2, groups.size(), "one batch per seed");
        try (Backend b = Backends.open("cpu")) {
            for (List<Point> group : groups.values()) {
                assertEquals(16, group.size());
                List<Experiment.Outcome> together = experiment.runBatch(b, DType.F32, group);
                for (int j = 0; j < group.size(); j++) {
                    assertEquals(experiment.run(b, DType.F32, group.get(j)).rows(), together.get(j).rows(),
                            "point " + group.get(j).values() + " batched");
                }
                // Streamed: every point once, as soon as its width is done (widths in increasing order).
                List<Integer> order = new java.util.ArrayList<>();
                experiment.runBatch(b, DType.F32, group, (i, outcome) -> {
                    order.add(i);
                    assertEquals(together.get(i).rows(), outcome.rows(), "streamed point " + i);
                });
                assertEquals(group.size(), new java.util.HashSet<>(order).size(), "each point once: " + order);
                for (int k = 1; k < order.size(); k++) {
                    assertTrue(group.get(order.get(k - 1)).intValue("N") <= group.get(order.get(k)).intValue("N"),
                            "widths finish in increasing order: " + order);
                }
            }
        }
    }
}
