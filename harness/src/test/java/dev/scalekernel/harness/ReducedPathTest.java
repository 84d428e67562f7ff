package dev.scalekernel.harness;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.Backends;
import dev.scalekernel.api.DType;
import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.experiment.RandomFeaturesExperiment;
import dev.scalekernel.harness.spec.SpecLoader;
import dev.scalekernel.harness.sweep.Point;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GD in the latent space gives the numbers of GD on the materialized features, to rounding. */
class ReducedPathTest {

    private final Experiment experiment = new RandomFeaturesExperiment();

    @ParameterizedTest
    @EnumSource(DType.class)
    void reducedEqualsMaterialized(DType dtype) {
        // Both paths compute the same iterates with the operations associated differently. Each step's relative
        // error is O((P + N + M)·u); under η·λ_max ≤ 1 the iteration is a contraction, so errors add up at most
        // linearly: steps·(P + N + M)·u relative, times 4 for the loss (a square, evaluated twice).
        try (Backend b = Backends.open("cpu")) {
            for (String shape : new String[] {"N=300,P=120", "N=90,P=260"}) {
                String[] np = shape.split(",");
                List<String> common = List.of("M=48", np[0], np[1], "trainer=gd", "steps=200", "test=64", "seeds=2",
                        "noise=0.1", "dtype=" + dtype);
                List<Point> materialized = SpecLoader.load("smoke", concat(common, "path=materialized")).points();
                List<Point> reduced = SpecLoader.load("smoke", concat(common, "path=reduced")).points();
                int n = Integer.parseInt(np[0].substring(2));
                int p = Integer.parseInt(np[1].substring(2));
                double tol = 4.0 * 200 * (p + n + 48) * dtype.unitRoundoff();
                for (int i = 0; i < materialized.size(); i++) {
                    List<Experiment.Row> a = experiment.run(b, dtype, materialized.get(i)).rows();
                    List<Experiment.Row> r = experiment.run(b, dtype, reduced.get(i)).rows();
                    assertEquals(a.size(), r.size());
                    for (int k = 0; k < a.size(); k++) {
                        assertEquals(false, a.get(k).values().get("reduced"));
                        assertEquals(true, r.get(k).values().get("reduced"));
                        for (String m : new String[] {"train_loss", "test_loss", "population_loss", "lambda_max"}) {
                            double x = (double) a.get(k).values().get(m);
                            double y = (double) r.get(k).values().get(m);
                            assertEquals(x, y, tol * Math.abs(x) + 1e-300, dtype + " " + shape + " step " + a.get(k).step() + " " + m);
                        }
                    }
                }
            }
        }
    }

    @Test
    void autoPicksTheReducedPathWhenItIsCheaperAndRefusesItWhereItCannotRun() {
        Point big = SpecLoader.load("smoke", List.of("M=16", "N=20000", "P=20000", "trainer=gd", "steps=50", "test=16",
                "seeds=1")).points().getFirst();
        try (Backend b = Backends.open("cpu")) {
            Experiment.Outcome o = experiment.run(b, DType.F32, big);
            assertTrue(o.rows().stream().allMatch(r -> Boolean.TRUE.equals(r.values().get("reduced"))));
            assertTrue((double) o.rows().getLast().values().get("population_loss") < 0.05, "learned something");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpecLoader.load("smoke", List.of("path=reduced", "activation=relu", "trainer=gd")));
        assertTrue(e.getMessage().contains("path = reduced needs linear features"), e.getMessage());
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.add(b);
        return out;
    }
}
