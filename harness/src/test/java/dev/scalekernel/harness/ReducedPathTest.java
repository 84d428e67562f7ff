package dev.scalekernel.harness;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.Backends;
import dev.scalekernel.api.DType;
import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.experiment.RandomFeaturesExperiment;
import dev.scalekernel.harness.experiment.SparseFeaturesExperiment;
import dev.scalekernel.harness.spec.SpecLoader;
import dev.scalekernel.harness.sweep.Point;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Training in the latent space (GD, ridge, one-pass SGD) gives the numbers of the materialized features, to rounding. */
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

    @ParameterizedTest
    @EnumSource(DType.class)
    void reducedRidgeEqualsMaterialized(DType dtype) {
        // Both solve the same system, formed in a different order. The Gram entries carry (P + N + M)·u relative
        // error; the solution amplifies it by at most κ = (λ_max + r)/r ≤ 1 + λ_max/r (λ_max ≈ 1.7 here); the
        // losses are quadratic in it. Widths below M (the N×N system) and above it (the M×M system, via L).
        double ridge = 0.05;
        try (Backend b = Backends.open("cpu")) {
            for (String shape : new String[] {"N=30,P=120", "N=300,P=120", "N=90,P=260"}) {
                String[] np = shape.split(",");
                List<String> common = List.of("M=48", np[0], np[1], "trainer=ridge", "ridge=" + ridge, "test=64",
                        "seeds=2", "noise=0.1", "dtype=" + dtype);
                List<Point> materialized = SpecLoader.load("smoke", concat(common, "path=materialized")).points();
                List<Point> reduced = SpecLoader.load("smoke", concat(common, "path=reduced")).points();
                int n = Integer.parseInt(np[0].substring(2));
                int p = Integer.parseInt(np[1].substring(2));
                double kappa = 1 + 4 / ridge;
                double tol = 4.0 * kappa * (p + n + 48) * dtype.unitRoundoff();
                for (int i = 0; i < materialized.size(); i++) {
                    var a = experiment.run(b, dtype, materialized.get(i)).rows().getFirst().values();
                    var r = experiment.run(b, dtype, reduced.get(i)).rows().getFirst().values();
                    assertEquals(false, a.get("reduced"));
                    assertEquals(true, r.get("reduced"));
                    assertEquals((double) a.get("theory_loss"), (double) r.get("theory_loss"), 0.0, "same theory");
                    for (String m : new String[] {"train_loss", "test_loss", "population_loss"}) {
                        double x = (double) a.get(m);
                        double y = (double) r.get(m);
                        assertEquals(x, y, tol * Math.abs(x), dtype + " " + shape + " " + m);
                    }
                    // λ_max: Lanczos against a power iteration that stops when its quotient moves by less than
                    // τ = max(1e-10, 64u) relative; the quotient converges as (λ₂/λ₁)^2k, so with λ₂/λ₁ ≤ 0.95
                    // what remains is below 10τ.
                    double lambda = (double) a.get("lambda_max");
                    double lambdaTol = Math.max(tol, 10 * Math.max(1e-10, 64 * dtype.unitRoundoff()));
                    assertEquals(lambda, (double) r.get("lambda_max"), lambdaTol * lambda, dtype + " " + shape + " lambda_max");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void reducedSgdEqualsMaterialized(DType dtype) {
        // The same fresh batches and steps; each step's relative error is O((B + N + M)·u) and, below the stability
        // threshold, errors add up at most linearly over the steps, times 4 for a loss. λ_max and the SGD kernel
        // norm come from the same test Gram and G formed in a different order.
        int steps = 300;
        try (Backend b = Backends.open("cpu")) {
            for (String width : new String[] {"N=20", "N=200"}) {
                List<String> common = List.of("M=48", width, "trainer=sgd", "batch=8", "steps=" + steps, "eta_rel=0.5",
                        "test=128", "seeds=2", "noise=0.1", "dtype=" + dtype);
                List<Point> materialized = SpecLoader.load("smoke", concat(common, "path=materialized")).points();
                List<Point> reduced = SpecLoader.load("smoke", concat(common, "path=reduced")).points();
                int n = Integer.parseInt(width.substring(2));
                double tol = 4.0 * steps * (8 + n + 48 + 128) * dtype.unitRoundoff();
                for (int i = 0; i < materialized.size(); i++) {
                    List<Experiment.Row> a = experiment.run(b, dtype, materialized.get(i)).rows();
                    List<Experiment.Row> r = experiment.run(b, dtype, reduced.get(i)).rows();
                    assertEquals(a.size(), r.size());
                    for (int k = 0; k < a.size(); k++) {
                        assertEquals(false, a.get(k).values().get("reduced"));
                        assertEquals(true, r.get(k).values().get("reduced"));
                        for (String m : new String[] {"train_loss", "test_loss", "population_loss", "lambda_max", "eta_used",
                                "sgd_kernel_norm"}) {
                            double x = (double) a.get(k).values().get(m);
                            double y = (double) r.get(k).values().get(m);
                            String what = dtype + " " + width + " step " + a.get(k).step() + " " + m;
                            if (Double.isNaN(x)) { // the batch loss before the first step
                                assertTrue(Double.isNaN(y), what + " NaN materialized, " + y + " reduced");
                            } else {
                                assertEquals(x, y, tol * Math.abs(x), what);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void sparseLatentsReduceTheSameWay() {
        // Sparse inputs, linear features: GD and ridge in the latent space against the CSR feature map, fp64, with the
        // GD tolerance of reducedEqualsMaterialized and the unseen mass measured over the training tiles.
        Experiment sparse = new SparseFeaturesExperiment();
        DType dtype = DType.F64;
        try (Backend b = Backends.open("cpu")) {
            for (String trainer : new String[] {"trainer=gd", "trainer=ridge"}) {
                List<String> common = List.of("M=40", "N=70", "P=150", trainer, "ridge=0.05", "steps=100", "test=64",
                        "seeds=1", "s=0.5", "dtype=f64");
                Point m = SpecLoader.load("sparse-exponents", concat(common, "path=materialized")).points().getFirst();
                Point r = SpecLoader.load("sparse-exponents", concat(common, "path=reduced")).points().getFirst();
                double tol = 4.0 * (1 + 4 / 0.05) * 100 * (150 + 70 + 40) * dtype.unitRoundoff();
                List<Experiment.Row> a = sparse.run(b, dtype, m).rows();
                List<Experiment.Row> c = sparse.run(b, dtype, r).rows();
                assertEquals(a.size(), c.size());
                for (int k = 0; k < a.size(); k++) {
                    assertEquals(true, c.get(k).values().get("reduced"));
                    assertEquals(a.get(k).values().get("unseen_mass"), c.get(k).values().get("unseen_mass"), trainer);
                    for (String q : new String[] {"train_loss", "test_loss", "population_loss"}) {
                        double x = (double) a.get(k).values().get(q);
                        assertEquals(x, (double) c.get(k).values().get(q), tol * Math.abs(x), trainer + " row " + k + " " + q);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void tiledGdEqualsMaterialized(DType dtype) {
        // ReLU features regenerated in three row tiles (2^22 / N = 209 rows each) every step against GD on the stored
        // features: the same iterates summed in a different order, so the GD bound of reducedEqualsMaterialized. λ_max:
        // Lanczos against a power iteration stopped at τ = max(1e-10, 64u), as in reducedRidgeEqualsMaterialized.
        int n = 20_000;
        int p = 500;
        int steps = 30;
        try (Backend b = Backends.open("cpu")) {
            List<String> common = List.of("M=16", "N=" + n, "P=" + p, "activation=relu", "trainer=gd", "steps=" + steps,
                    "test=40", "seeds=1", "noise=0.1", "dtype=" + dtype);
            Point materialized = SpecLoader.load("smoke", concat(common, "path=materialized")).points().getFirst();
            Point tiled = SpecLoader.load("smoke", concat(common, "path=tiled")).points().getFirst();
            double tol = 4.0 * steps * (p + n + 16) * dtype.unitRoundoff();
            double lambdaTol = Math.max(tol, 10 * Math.max(1e-10, 64 * dtype.unitRoundoff()));
            List<Experiment.Row> a = experiment.run(b, dtype, materialized).rows();
            List<Experiment.Row> r = experiment.run(b, dtype, tiled).rows();
            assertEquals(a.size(), r.size());
            for (int k = 0; k < a.size(); k++) {
                assertEquals(a.get(k).step(), r.get(k).step());
                assertEquals(false, r.get(k).values().get("diverged"));
                for (String m : new String[] {"train_loss", "test_loss", "lambda_max", "eta_used"}) {
                    double x = (double) a.get(k).values().get(m);
                    double t = m.equals("train_loss") || m.equals("test_loss") ? tol : lambdaTol;
                    assertEquals(x, (double) r.get(k).values().get(m), t * Math.abs(x), dtype + " step " + a.get(k).step() + " " + m);
                }
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpecLoader.load("smoke", List.of("path=tiled", "trainer=ridge")));
        assertTrue(e.getMessage().contains("path = tiled is full-batch GD"), e.getMessage());
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
                () -> SpecLoader.load("smoke", List.of("path=reduced", "activation=relu", "trainer=ridge")));
        assertTrue(e.getMessage().contains("path = reduced needs linear features"), e.getMessage());
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.add(b);
        return out;
    }
}
