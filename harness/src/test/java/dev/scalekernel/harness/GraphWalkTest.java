package dev.scalekernel.harness;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.Backends;
import dev.scalekernel.api.DType;
import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.experiment.GraphWalkExperiment;
import dev.scalekernel.harness.model.graph.Graph;
import dev.scalekernel.harness.model.graph.RandomWalk;
import dev.scalekernel.harness.spec.SpecLoader;
import dev.scalekernel.harness.sweep.Point;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Graph generators, walks and the graph_walk experiment: each statistical check states its tolerance. */
class GraphWalkTest {

    @Test
    void erdosRenyiMeanDegreeIsPTimesNMinusOne() {
        // The edge count E ~ Binomial(n(n−1)/2, p), so the mean degree 2E/n has mean p(n−1) and standard
        // deviation 2·sqrt(n(n−1)/2 · p(1−p))/n. Five standard deviations, for each of five graphs.
        int n = 2000;
        double p = 10.0 / (n - 1);
        double sd = 2 * Math.sqrt(n * (n - 1) / 2.0 * p * (1 - p)) / n;
        for (long seed = 0; seed < 5; seed++) {
            Graph g = Graph.erdosRenyi(n, p, seed);
            checkSimpleUndirected(g);
            double mean = 2.0 * g.edges() / n;
            assertEquals(p * (n - 1), mean, 5 * sd, "seed " + seed);
        }
        assertEquals(0, Graph.erdosRenyi(50, 0, 1).edges());
        assertEquals(50 * 49 / 2, Graph.erdosRenyi(50, 1, 1).edges());
    }

    @Test
    void barabasiAlbertHasMinDegreeMEdgeCountAndACubicTail() {
        int n = 20_000;
        int m = 3;
        Graph g = Graph.barabasiAlbert(n, m, 7);
        checkSimpleUndirected(g);
        assertEquals((long) m * (m + 1) / 2 + (long) (n - m - 1) * m, g.edges());
        int[] degrees = g.degrees();
        assertEquals(m, Arrays.stream(degrees).min().orElseThrow());
        // Tail exponent by the discrete power-law MLE (Clauset, Shalizi, Newman 2009, eq. 3.7):
        // α̂ = 1 + n_tail / Σ ln(k / (k_min − 1/2)) over k ≥ k_min, standard error (α̂ − 1)/√n_tail.
        // Its target is the value the estimator takes on the exact BA law P(k) = 2m(m+1)/(k(k+1)(k+2)) ~ k^-3
        // (not exactly 3 at finite k_min), computed below; we require five standard errors, and that the
        // target itself is within 0.15 of 3.
        int kMin = 10;
        double sumLog = 0;
        int tail = 0;
        for (int k : degrees) {
            if (k >= kMin) {
                sumLog += Math.log(k / (kMin - 0.5));
                tail++;
            }
        }
        double alpha = 1 + tail / sumLog;
        double se = (alpha - 1) / Math.sqrt(tail);
        double weight = 0;
        double expectedLog = 0;
        for (int k = kMin; k < 10_000_000; k++) {
            double pk = 1.0 / ((double) k * (k + 1) * (k + 2));
            weight += pk;
            expectedLog += pk * Math.log(k / (kMin - 0.5));
        }
        double target = 1 + weight / expectedLog;
        assertEquals(3, target, 0.15, "the estimator's value on the exact BA law");
        assertEquals(target, alpha, 5 * se, "tail exponent of BA(" + n + ", " + m + ") over " + tail + " nodes with degree >= " + kMin);
        // The fraction of nodes in the tail against the exact law: P(k ≥ k_min) = m(m+1)/(k_min(k_min+1)),
        // binomial standard error over n nodes, five of them.
        double tailProbability = (double) m * (m + 1) / (kMin * (kMin + 1.0));
        assertEquals(tailProbability, tail / (double) n, 5 * Math.sqrt(tailProbability * (1 - tailProbability) / n));
    }

    @Test
    void generatorsAreDeterministicAndSeeded() {
        Graph a = Graph.barabasiAlbert(500, 4, 3);
        Graph b = Graph.barabasiAlbert(500, 4, 3);
        assertArrayEquals(a.rowStart(), b.rowStart());
        assertArrayEquals(a.neighbours(), b.neighbours());
        assertFalse(Arrays.equals(a.neighbours(), Graph.barabasiAlbert(500, 4, 4).neighbours()));
        Graph e = Graph.erdosRenyi(300, 0.03, 11);
        assertArrayEquals(e.neighbours(), Graph.erdosRenyi(300, 0.03, 11).neighbours());
        assertFalse(Arrays.equals(e.neighbours(), Graph.erdosRenyi(300, 0.03, 12).neighbours()));
        RandomWalk walk = new RandomWalk(a, 1);
        assertArrayEquals(walk.path(10_000, 5, 1), walk.path(10_000, 5, 1));
        assertArrayEquals(Arrays.copyOf(walk.path(10_000, 5, 1), 101), walk.path(100, 5, 1), "walks are nested");
        assertThrows(IllegalArgumentException.class, () -> Graph.barabasiAlbert(3, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> Graph.erdosRenyi(10, 1.5, 0));
    }

    @Test
    void largestComponentKeepsTheBiggestPiece() {
        // p below the connectivity threshold ln(n)/n: there are isolated nodes, the walk graph drops them.
        Graph g = Graph.erdosRenyi(400, 1.5 / 399, 2);
        Graph c = g.largestComponent();
        checkSimpleUndirected(c);
        assertTrue(c.nodes() < g.nodes() && c.nodes() > 1, c.nodes() + " of " + g.nodes());
        assertTrue(Arrays.stream(c.degrees()).allMatch(d -> d > 0));
        assertThrows(IllegalArgumentException.class, () -> new RandomWalk(g, 0), "isolated nodes cannot be walked from");
        new RandomWalk(c, 0);
    }

    @Test
    void stationaryDistributionAndEntropyRate() {
        for (double kappa : new double[] {0, 1, -0.5}) {
            RandomWalk walk = new RandomWalk(Graph.barabasiAlbert(300, 2, 5), kappa);
            int n = walk.graph().nodes();
            double[] t = walk.transitionMatrix();
            double[] pi = walk.stationary();
            assertEquals(1, Arrays.stream(pi).sum(), 1e-12);
            for (int i = 0; i < n; i++) {
                double row = 0;
                for (int j = 0; j < n; j++) {
                    row += t[i * n + j];
                }
                assertEquals(1, row, 1e-12, "row " + i + " of T");
            }
            for (int j = 0; j < n; j++) { // (πT)_j = π_j
                double flow = 0;
                for (int i = 0; i < n; i++) {
                    flow += pi[i] * t[i * n + j];
                }
                assertEquals(pi[j], flow, 1e-14, "kappa " + kappa + ", node " + j);
            }
        }
        // The complete graph K_n (BA with n = m + 1): T_ij = 1/(n−1) and H = ln(n − 1).
        RandomWalk complete = new RandomWalk(Graph.barabasiAlbert(9, 8, 0), 0);
        assertEquals(Math.log(8), complete.entropyRate(), 1e-12);
        // Unbiased: π_i = deg(i)/(2E).
        Graph g = Graph.erdosRenyi(100, 0.1, 3).largestComponent();
        double[] pi = new RandomWalk(g, 0).stationary();
        for (int i = 0; i < g.nodes(); i++) {
            assertEquals(g.degree(i) / (2.0 * g.edges()), pi[i], 1e-15);
        }
    }

    @Test
    void walkTransitionFrequenciesMatchTheTransitionMatrix() {
        // Successive departures from node i are iid draws from T_i (strong Markov property), so given c_i
        // visits, C_ij ~ Binomial(c_i, T_ij): every entry within five standard deviations, and the Pearson
        // statistic Σ_i Σ_j (C_ij − c_i T_ij)²/(c_i T_ij), chi-square with Σ_i (deg_i − 1) degrees of freedom,
        // within five of its standard deviations sqrt(2·dof) of its mean.
        List<RandomWalk> walks = List.of(new RandomWalk(Graph.erdosRenyi(60, 8.0 / 59, 1).largestComponent(), 0),
                new RandomWalk(Graph.barabasiAlbert(80, 3, 2), 1),
                new RandomWalk(Graph.barabasiAlbert(80, 3, 2), -0.5),
                new RandomWalk(Graph.erdosRenyi(60, 8.0 / 59, 1).largestComponent(), 1));
        for (RandomWalk walk : walks) {
            int tokens = 300_000;
            RandomWalk.Counts counts = walk.count(tokens, 9, 0);
            int[] path = walk.path(tokens, 9, 0);
            Graph g = walk.graph();
            long[] visits = new long[g.nodes()];
            for (int s = 0; s < tokens; s++) {
                assertTrue(g.adjacent(path[s], path[s + 1]), "step " + s + " leaves the edges");
                visits[path[s]]++;
            }
            assertArrayEquals(visits, counts.visits(), "counts agree with the path");
            double[] t = walk.transitionProbabilities();
            double chi2 = 0;
            long dof = 0;
            for (int i = 0; i < g.nodes(); i++) {
                long c = counts.visits()[i];
                if (c == 0) {
                    continue;
                }
                dof += g.degree(i) - 1;
                for (int k = g.rowStart()[i]; k < g.rowStart()[i + 1]; k++) {
                    double expected = c * t[k];
                    double sd = Math.sqrt(c * t[k] * (1 - t[k]));
                    assertEquals(expected, counts.transitions()[k], 5 * sd + 1e-9,
                            "kappa " + walk.kappa() + ", edge " + i + " -> " + g.neighbours()[k]);
                    chi2 += Math.pow(counts.transitions()[k] - expected, 2) / expected;
                }
            }
            assertEquals(dof, chi2, 5 * Math.sqrt(2.0 * dof), "Pearson chi-square, kappa " + walk.kappa());
        }
    }

    @Test
    void excessCrossEntropyIsNonNegativeAndZeroAtTheTruth() {
        RandomWalk walk = new RandomWalk(Graph.barabasiAlbert(50, 3, 1), 1);
        int n = walk.graph().nodes();
        double[] t = walk.transitionMatrix();
        double[] logT = Arrays.stream(t).map(v -> v > 0 ? Math.log(v) : Double.NEGATIVE_INFINITY).toArray();
        assertEquals(0, walk.excessCrossEntropy(logT), 1e-15);
        java.util.SplittableRandom random = new java.util.SplittableRandom(4);
        for (int trial = 0; trial < 20; trial++) {
            double[] z = random.doubles(n * n, -3, 3).toArray();
            double[] logp = new double[n * n];
            for (int i = 0; i < n; i++) {
                double max = Arrays.stream(z, i * n, i * n + n).max().orElseThrow();
                double lse = max + Math.log(Arrays.stream(z, i * n, i * n + n).map(v -> Math.exp(v - max)).sum());
                for (int j = 0; j < n; j++) {
                    logp[i * n + j] = z[i * n + j] - lse;
                }
            }
            assertTrue(walk.excessCrossEntropy(logp) > 0);
            // A mixture closer to the truth has smaller excess (KL is convex and 0 at T): ½T + ½p̂.
            double[] mixed = new double[n * n];
            for (int k = 0; k < n * n; k++) {
                mixed[k] = Math.log(0.5 * t[k] + 0.5 * Math.exp(logp[k]));
            }
            assertTrue(walk.excessCrossEntropy(mixed) <= 0.5 * walk.excessCrossEntropy(logp) + 1e-15);
        }
    }

    @Test
    void ridgeAtFullWidthReachesThePlugInEstimatorsExcess() {
        // With N ≫ n the features of distinct nodes are independent, ridge → 0 interpolates the per-node means,
        // so p̂_i is the empirical next-node frequency. Its expected KL(T_i ‖ p̂_i) is (deg_i − 1)/(2 c_i) + O(c_i^-2)
        // (the chi-square asymptotics of the multinomial MLE), and with c_i ≈ π_i P the excess is Σ_i (deg_i − 1)/(2P).
        // The measured sum over n = 64 nodes has relative standard deviation about sqrt(2/Σ_i(deg_i − 1)) ≈ 5% for
        // one walk, averaged here over four: five of those, plus 5% for the O(1/c) terms, is 15%.
        try (Backend backend = Backends.open("cpu")) {
            double ratio = 0;
            int seeds = 4;
            for (Point point : SpecLoader.load("graph-tokens", List.of("nodes=64", "family=er", "degree=12", "N=1024",
                    "P=400000", "trainer=ridge", "ridge=1e-12", "floor=1e-12", "graph_seed=3", "seeds=" + seeds, "dtype=f64"))
                    .points()) {
                RandomWalk walk = GraphWalkExperiment.walk(point);
                double expected = 0;
                for (int d : walk.graph().degrees()) {
                    expected += (d - 1) / (2.0 * point.longValue("P"));
                }
                Experiment.Row row = new GraphWalkExperiment().run(backend, DType.F64, point).rows().getFirst();
                ratio += (double) row.values().get("population_loss") / expected / seeds;
            }
            assertEquals(1, ratio, 0.15);
        }
    }

    @Test
    void gradientDescentLowersTheTrainingCrossEntropyAndRunsTheSameOnEveryBackendAndThreadCount() {
        // η = 2/λ_max(ΦᵀDΦ/P) and the softmax Hessian ≤ ½ make each step a descent step of the convex training loss.
        List<String> settings = List.of("trainer=gd", "nodes=24", "degree=5", "N=16,48", "P=5000", "steps=60", "family=er,ba", "m=2",
                "kappa=0,1", "seeds=1", "dtype=f64");
        GraphWalkExperiment experiment = new GraphWalkExperiment();
        try (Backend cpu = Backends.open("cpu", BackendOptions.defaults().withThreads(2));
             Backend cpuThree = Backends.open("cpu", BackendOptions.defaults().withThreads(3));
             Backend reference = Backends.open("reference")) {
            for (Point point : SpecLoader.load("graph-width", settings).points()) {
                List<Experiment.Row> rows = experiment.run(cpu, DType.F64, point).rows();
                List<Experiment.Row> again = experiment.run(cpuThree, DType.F64, point).rows();
                List<Experiment.Row> oracle = experiment.run(reference, DType.F64, point).rows();
                double previous = Double.POSITIVE_INFINITY;
                for (int r = 0; r < rows.size(); r++) {
                    double train = (double) rows.get(r).values().get("train_loss");
                    assertTrue(train <= previous + 1e-12, "train loss rose at step " + rows.get(r).step() + ": " + point.values());
                    previous = train;
                    assertEquals(rows.get(r).values(), again.get(r).values(), "the same numbers on 2 and 3 threads");
                    double excess = (double) rows.get(r).values().get("population_loss");
                    assertTrue(excess >= 0);
                    assertEquals((double) oracle.get(r).values().get("population_loss"), excess, 1e-9 * (1 + excess),
                            "cpu vs reference backend");
                }
                double first = (double) rows.getFirst().values().get("population_loss");
                assertEquals(Math.log(walk(point).graph().nodes()) - walk(point).entropyRate(), first, 1e-12,
                        "W = 0 predicts the uniform distribution");
                assertTrue((double) rows.getLast().values().get("population_loss") < 0.7 * first);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> SpecLoader.load("graph-width", List.of("nodes=10", "degree=12")));
        assertThrows(IllegalArgumentException.class, () -> SpecLoader.load("graph-width", List.of("nodes=5", "m=5")));
    }

    @Test
    void bothPresetsRunToAReportWithTheGraphSection(@TempDir Path tmp) throws Exception {
        // Small versions of the two presets, each with two series per table (a trainer, a family or a size apart).
        for (String preset : List.of("graph-width", "graph-tokens")) {
            boolean width = preset.equals("graph-width");
            Path out = tmp.resolve(preset);
            CliTest.Result r = CliTest.run("run", preset, "--backend", "cpu", "--out", out.toString(), "--set", "degree=4",
                    "--set", "m=2", "--set", "steps=20", "--set", "seeds=2", "--set", width ? "N=2,4,8" : "P=200,600,2000",
                    "--set", width ? "family=ba" : "trainer=ridge", "--set", width ? "nodes=16,24" : "nodes=16");
            assertEquals(0, r.code(), r.err());
            String report = Files.readString(out.resolve("report.md"));
            assertTrue(report.contains("## Random walks on graphs: exponents by graph family and size"), report);
            String axis = width ? "N" : "P";
            assertTrue(report.contains("### Exponent of population_loss vs " + axis), report);
            List<String> series = width ? List.of("nodes=16, trainer=gd", "nodes=24, trainer=ridge") : List.of("family=ba", "family=er");
            for (String s : series) {
                assertTrue(report.contains("| " + s + " | -"), "a fitted (negative) exponent for " + s + ":\n" + report);
            }
            assertTrue(Files.isRegularFile(out.resolve("plots").resolve("population_loss_vs_" + axis + ".png")));
            assertEquals(width, Files.isRegularFile(out.resolve("plots").resolve("exponent_vs_nodes_N.png")),
                    "exponents against graph size when there are two sizes");
        }
    }

    private static RandomWalk walk(Point point) {
        return GraphWalkExperiment.walk(point);
    }

    /** Symmetric, sorted rows, no self-loops, no repeats. */
    private static void checkSimpleUndirected(Graph g) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < g.nodes(); i++) {
            for (int k = g.rowStart()[i]; k < g.rowStart()[i + 1]; k++) {
                int j = g.neighbours()[k];
                if (j == i || (k > g.rowStart()[i] && j <= g.neighbours()[k - 1]) || !g.adjacent(j, i)) {
                    problems.add(i + "-" + j);
                }
            }
        }
        assertTrue(problems.isEmpty(), "not a simple undirected graph: " + problems.stream().limit(5).toList());
    }
}
