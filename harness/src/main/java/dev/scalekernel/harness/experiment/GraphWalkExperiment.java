package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.Csr;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.api.SparseMatrix;
import dev.scalekernel.harness.model.graph.Graph;
import dev.scalekernel.harness.model.graph.RandomWalk;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.sweep.Point;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Next-node prediction on random walks over random graphs (Barkeshli, Alfarano, Gromov, "On the origin
 * of neural scaling laws: from random graphs to natural language"), with a random-feature model in place
 * of the transformer. The graph is Erdős–Rényi G(n, p = degree/(n−1)) or Barabási–Albert (n, m), reduced
 * to its largest connected component so that every node has out-edges and the walk is irreducible; the
 * walk is unbiased (κ = 0) or biased, T_ij ∝ deg(j)^κ, started from its stationary distribution π.
 *
 * <p>The input is the current node as a one-hot row (CSR); its features are φ(i) = σ(F e_i) with F (N×n)
 * iid N(0, 1), computed with the backend's CSR feature map, and the model predicts the next node from the
 * logits z_i = Wᵀφ(i) with a readout W (N×n). Training uses the P (current, next) pairs of one walk:
 * <ul>
 *   <li>{@code gd}: full-batch gradient descent from W = 0 on the mean softmax cross-entropy over the P
 *   tokens, η = eta_rel/λ_max(ΦᵀDΦ/P); p̂_i = softmax(z_i);</li>
 *   <li>{@code ridge}: W minimises (1/P)Σ_t ‖z_{x_t} − e_{x_{t+1}}‖² + ridge·‖W‖² (one-hot next-node
 *   targets); p̂_ij = max(z_ij, floor) / Σ_k max(z_ik, floor).</li>
 * </ul>
 * One-hot inputs make both exact on the per-node statistics: with c_i the visits of node i and C_ij the
 * transitions i→j in the walk, Σ_t φ(x_t)φ(x_t)ᵀ = ΦᵀDΦ (D = diag c) and the cross-entropy gradient is
 * Φᵀ(D·softmax(ΦW) − C)/P, so a step costs O(n²N) whatever P is. The softmax is taken on the host (n×n
 * logits per step); the products run on the backend.
 *
 * <p>The loss is exact: population_loss = Σ_i π_i KL(T_i ‖ p̂_i), the excess cross-entropy of the next
 * token over the walk's entropy rate H (test_loss = H + population_loss, the expected cross-entropy of a
 * fresh token; train_loss the mean cross-entropy on the training tokens).
 */
public final class GraphWalkExperiment implements Experiment {

    /** Philox streams of a point's seed: the walk, and the feature projection F. */
    static final int STREAM_WALK = 0x3A1C;
    static final int STREAM_FEATURES = 2;
    /** n×n logits are downloaded every GD step: beyond this the host softmax dominates everything. */
    static final int MAX_NODES = 2048;

    private static final List<Param> PARAMS = List.of(
            Param.choice("family", "er", List.of("er", "ba"), "graph: Erdos-Renyi G(n, p) or Barabasi-Albert (n, m)"),
            Param.integer("nodes", 256, 2, "n, nodes of the generated graph (the walk uses its largest component)"),
            Param.real("degree", 10, Double.MIN_VALUE, Double.MAX_VALUE, "Erdos-Renyi mean degree: p = degree/(n-1)"),
            Param.integer("m", 5, 1, "Barabasi-Albert edges per new node (mean degree about 2m)"),
            Param.real("kappa", 0, -20, 20, "walk bias: T_ij proportional to deg(j)^kappa (0 = unbiased)"),
            Param.longValue("graph_seed", -1, -1, "seed of the graph; -1 = the point's seed (fix it to vary only walk and features)"),
            Param.choice("activation", "identity", Arrays.stream(Activation.values()).map(Activation::toString).toList(),
                    "feature activation sigma: phi(i) = sigma(F e_i)"),
            Param.integer("N", 256, 1, "width: number of random features"),
            Param.longValue("P", 100_000, 1, "training tokens: (current, next) pairs of one walk"),
            Param.choice("trainer", "gd", List.of("gd", "ridge"),
                    "gradient descent on softmax cross-entropy, or ridge on one-hot next-node targets"),
            Param.longValue("steps", 1000, 0, "gradient-descent steps"),
            Param.real("eta_rel", 2.0, Double.MIN_VALUE, Double.MAX_VALUE,
                    "learning rate in units of 1/lambda_max(Phi^T D Phi/P); the softmax Hessian is at most 1/2, so < 4 is stable"),
            Param.integer("records_per_decade", 4, 1, "log-spaced GD steps recorded per decade"),
            Param.real("ridge", 1e-6, 0, Double.MAX_VALUE, "ridge: minimise (1/P)|Phi W - Y|^2 + ridge |W|^2"),
            Param.real("floor", 1e-6, Double.MIN_VALUE, 1, "ridge predictions: p = max(z, floor), renormalised per row"));

    private static final List<Measurement> MEASUREMENTS = List.of(
            Measurement.real("train_loss", "mean cross-entropy of the prediction on the training tokens"),
            Measurement.real("test_loss", "expected cross-entropy of a fresh token: entropy_rate + population_loss"),
            Measurement.real("population_loss", "excess cross-entropy sum_i pi_i KL(T_i || p_i), exact"),
            Measurement.real("entropy_rate", "H = -sum_i pi_i sum_j T_ij log T_ij (nats)"),
            Measurement.integer("graph_nodes", "nodes of the largest component (the walk's graph)"),
            Measurement.integer("graph_edges", "edges of the largest component"),
            Measurement.real("mean_degree", "mean degree of the largest component"),
            Measurement.integer("max_degree", "largest degree"),
            Measurement.integer("unseen_nodes", "nodes never the current token in training"),
            Measurement.real("unseen_mass", "stationary probability of the unseen nodes"),
            Measurement.real("lambda_max", "lambda_max(Phi^T D Phi / P), the weighted feature covariance"),
            Measurement.real("eta_used", "the learning rate used (GD)"),
            Measurement.integer("diverged_step", "the step at which GD produced non-finite logits"));

    @Override
    public String id() {
        return "graph_walk";
    }

    @Override
    public String description() {
        return "next-node prediction on random walks over Erdos-Renyi and Barabasi-Albert graphs, "
                + "random features on the one-hot node, softmax GD or ridge readout";
    }

    @Override
    public List<Param> params() {
        return PARAMS;
    }

    @Override
    public List<Measurement> measurements() {
        return MEASUREMENTS;
    }

    @Override
    public void validate(ResolvedSpec spec) {
        for (Point p : spec.points()) {
            int nodes = p.intValue("nodes");
            if (nodes > MAX_NODES) {
                throw new IllegalArgumentException("parameter nodes = " + nodes + " is invalid; expected at most " + MAX_NODES
                        + " (the model's logits are nodes x nodes)");
            }
            if (p.stringValue("family").equals("er") && p.doubleValue("degree") > nodes - 1) {
                throw new IllegalArgumentException("parameter degree = " + p.doubleValue("degree") + " is invalid with nodes = "
                        + nodes + "; an Erdos-Renyi mean degree is at most nodes - 1");
            }
            if (p.stringValue("family").equals("ba") && p.intValue("m") > nodes - 1) {
                throw new IllegalArgumentException("parameter m = " + p.intValue("m") + " is invalid with nodes = " + nodes
                        + "; Barabasi-Albert needs m <= nodes - 1");
            }
        }
    }

    /** The walk a point trains on: its graph (largest component) and bias. */
    public static RandomWalk walk(Point point) {
        long graphSeed = point.longValue("graph_seed") >= 0 ? point.longValue("graph_seed") : point.seed();
        int nodes = point.intValue("nodes");
        Graph graph = point.stringValue("family").equals("er")
                ? Graph.erdosRenyi(nodes, point.doubleValue("degree") / (nodes - 1), graphSeed)
                : Graph.barabasiAlbert(nodes, point.intValue("m"), graphSeed);
        Graph component = graph.largestComponent();
        if (component.nodes() < 2) {
            throw new IllegalArgumentException("the graph's largest component has " + component.nodes()
                    + " node(s); raise the mean degree (parameter degree) so that a walk can move");
        }
        return new RandomWalk(component, point.doubleValue("kappa"));
    }

    @Override
    public Outcome run(Backend backend, DType dtype, Point point) {
        RandomWalk walk = walk(point);
        Graph graph = walk.graph();
        int n = graph.nodes();
        int width = point.intValue("N");
        long tokens = point.longValue("P");
        RandomWalk.Counts counts = walk.count(tokens, point.seed(), STREAM_WALK);
        int[] visited = java.util.stream.IntStream.range(0, n).filter(i -> counts.visits()[i] > 0).toArray();
        Map<String, Object> common = new HashMap<>();
        double[] pi = walk.stationary();
        double unseenMass = 0;
        for (int i = 0; i < n; i++) {
            unseenMass += counts.visits()[i] == 0 ? pi[i] : 0;
        }
        common.put("entropy_rate", walk.entropyRate());
        common.put("graph_nodes", (long) n);
        common.put("graph_edges", graph.edges());
        common.put("mean_degree", 2.0 * graph.edges() / n);
        common.put("max_degree", (long) Arrays.stream(graph.degrees()).max().orElse(0));
        common.put("unseen_nodes", (long) counts.unseenNodes());
        common.put("unseen_mass", unseenMass);
        Activation activation = Activation.parse(point.stringValue("activation"));
        List<Matrix> owned = new ArrayList<>();
        try (SparseMatrix oneHot = backend.upload(identity(n), dtype)) {
            Matrix projection = own(owned, backend.allocate(width, n, dtype));
            backend.fillGaussian(projection, RandomStream.of(point.seed(), STREAM_FEATURES), 0, 1);
            Matrix phi = own(owned, backend.allocate(n, width, dtype));
            backend.featureMapSparse(1, oneHot, projection, activation, phi);
            // Rows √c_i·φ(i) of the visited nodes: (ΦᵀDΦ) = weightedᵀ·weighted, from a selection product on the backend.
            double[] select = new double[visited.length * n];
            for (int r = 0; r < visited.length; r++) {
                select[r * n + visited[r]] = Math.sqrt(counts.visits()[visited[r]]);
            }
            Matrix selection = own(owned, backend.upload(select, visited.length, n, dtype));
            Matrix weighted = own(owned, backend.allocate(visited.length, width, dtype));
            backend.gemm(false, false, 1, selection, phi, 0, weighted);
            Matrix w = own(owned, backend.allocate(width, n, dtype));
            Matrix logits = own(owned, backend.allocate(n, n, dtype));
            double flops = 2.0 * visited.length * n * width;
            Context ctx = new Context(backend, dtype, walk, counts, visited, phi, weighted, w, logits, common, flops);
            return point.stringValue("trainer").equals("gd") ? gradientDescent(ctx, point) : ridge(ctx, point);
        } finally {
            for (int i = owned.size() - 1; i >= 0; i--) {
                owned.get(i).close();
            }
        }
    }

    private static Matrix own(List<Matrix> owned, Matrix m) {
        owned.add(m);
        return m;
    }

    /** What both trainers share: the walk's statistics and the point's matrices on the backend. */
    private record Context(Backend backend, DType dtype, RandomWalk walk, RandomWalk.Counts counts, int[] visited,
                           Matrix phi, Matrix weighted, Matrix w, Matrix logits, Map<String, Object> common, double flops) {
        int n() {
            return walk.graph().nodes();
        }
    }

    private Outcome gradientDescent(Context ctx, Point point) {
        Backend backend = ctx.backend();
        int n = ctx.n();
        int width = point.intValue("N");
        long tokens = point.longValue("P");
        long[] visits = ctx.counts().visits();
        double[] transitions = denseTransitions(ctx.walk(), ctx.counts());
        // λ_max(ΦᵀDΦ/P) = λ_max(weightedᵀweighted/R)·R/P, with R the rows of weighted.
        double lambdaMax = backend.lambdaMax(ctx.weighted(), LambdaMaxOptions.defaults(point.seed()))
                * ctx.visited().length / tokens;
        double eta = point.doubleValue("eta_rel") / lambdaMax;
        Map<String, Object> common = new HashMap<>(ctx.common());
        common.put("lambda_max", lambdaMax);
        common.put("eta_used", eta);
        long steps = point.longValue("steps");
        long[] at = GdOptions.logSpaced(steps, point.intValue("records_per_decade")).recordAt();
        double[] z = new double[n * n];
        double[] logp = new double[n * n];
        double[] residual = new double[n * n];
        List<Row> rows = new ArrayList<>();
        double flops = ctx.flops();
        int next = 0;
        long diverged = -1;
        for (long t = 0; ; t++) {
            backend.gemm(false, false, 1, ctx.phi(), ctx.w(), 0, ctx.logits());
            backend.download(ctx.logits(), z);
            flops += 2.0 * n * n * width;
            boolean finite = logSoftmax(z, logp, n);
            if (!finite && diverged < 0) {
                diverged = t;
            }
            if (t == at[next]) {
                Map<String, Object> values = diverged >= 0 ? nanLosses() : losses(ctx.walk(), ctx.counts(), logp);
                values.putAll(common);
                values.put("diverged_step", diverged >= 0 ? diverged : null);
                rows.add(new Row(t, values));
                next++;
            }
            if (t == steps || diverged >= 0) {
                break;
            }
            Arrays.fill(residual, 0);
            for (int i : ctx.visited()) {
                for (int j = 0; j < n; j++) {
                    residual[i * n + j] = (visits[i] * Math.exp(logp[i * n + j]) - transitions[i * n + j]) / tokens;
                }
            }
            try (Matrix r = backend.upload(residual, n, n, ctx.dtype())) {
                backend.gemm(true, false, -eta, ctx.phi(), r, 1, ctx.w());
            }
            flops += 2.0 * n * n * width + 4.0 * n * n;
        }
        for (; next < at.length; next++) { // after a divergence the remaining records are NaN
            Map<String, Object> values = nanLosses();
            values.putAll(common);
            values.put("diverged_step", diverged);
            rows.add(new Row(at[next], values));
        }
        return new Outcome(rows, flops);
    }

    private Outcome ridge(Context ctx, Point point) {
        Backend backend = ctx.backend();
        int n = ctx.n();
        int width = point.intValue("N");
        long tokens = point.longValue("P");
        int visitedCount = ctx.visited().length;
        // Rows √c_i φ(i) with targets C_i/√c_i give weightedᵀweighted = ΦᵀDΦ and weightedᵀY = ΦᵀC; ridgeSolve
        // minimises (1/R)‖weighted W − Y‖² + r‖W‖², the same minimiser as ours when r·R = ridge·P.
        double[] transitions = denseTransitions(ctx.walk(), ctx.counts());
        double[] targets = new double[visitedCount * n];
        for (int r = 0; r < visitedCount; r++) {
            int i = ctx.visited()[r];
            double scale = 1 / Math.sqrt(ctx.counts().visits()[i]);
            for (int j = 0; j < n; j++) {
                targets[r * n + j] = transitions[i * n + j] * scale;
            }
        }
        try (Matrix y = backend.upload(targets, visitedCount, n, ctx.dtype())) {
            backend.ridgeSolve(ctx.weighted(), y, point.doubleValue("ridge") * tokens / visitedCount, ctx.w());
        }
        backend.gemm(false, false, 1, ctx.phi(), ctx.w(), 0, ctx.logits());
        double[] z = new double[n * n];
        backend.download(ctx.logits(), z);
        double floor = point.doubleValue("floor");
        double[] logp = new double[n * n];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sum += Math.max(z[i * n + j], floor);
            }
            double logSum = Math.log(sum);
            for (int j = 0; j < n; j++) {
                logp[i * n + j] = Math.log(Math.max(z[i * n + j], floor)) - logSum;
            }
        }
        int small = Math.min(visitedCount, width);
        double flops = ctx.flops() + 2.0 * small * small * Math.max(visitedCount, width) + small * (double) small * small / 3
                + 4.0 * small * Math.max(visitedCount, width) * n + 2.0 * n * n * width;
        Map<String, Object> values = losses(ctx.walk(), ctx.counts(), logp);
        values.putAll(ctx.common());
        return new Outcome(List.of(new Row(null, values)), flops);
    }

    /** Row-wise log-softmax of n×n logits into logp; false when a logit is not finite. */
    static boolean logSoftmax(double[] z, double[] logp, int n) {
        boolean finite = true;
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                max = Math.max(max, z[i * n + j]);
            }
            finite &= Double.isFinite(max);
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sum += Math.exp(z[i * n + j] - max);
            }
            double lse = max + Math.log(sum);
            for (int j = 0; j < n; j++) {
                logp[i * n + j] = z[i * n + j] - lse;
            }
        }
        return finite;
    }

    /** The three losses of predicted log-probabilities (row-major n×n). */
    static Map<String, Object> losses(RandomWalk walk, RandomWalk.Counts counts, double[] logp) {
        int n = walk.graph().nodes();
        int[] rows = walk.graph().rowStart();
        int[] adj = walk.graph().neighbours();
        double train = 0;
        for (int i = 0; i < n; i++) {
            for (int k = rows[i]; k < rows[i + 1]; k++) {
                if (counts.transitions()[k] > 0) {
                    train -= counts.transitions()[k] * logp[i * n + adj[k]];
                }
            }
        }
        double excess = walk.excessCrossEntropy(logp);
        Map<String, Object> values = new HashMap<>();
        values.put("train_loss", train / counts.tokens());
        values.put("population_loss", excess);
        values.put("test_loss", walk.entropyRate() + excess);
        return values;
    }

    private static Map<String, Object> nanLosses() {
        Map<String, Object> values = new HashMap<>();
        values.put("train_loss", Double.NaN);
        values.put("population_loss", Double.NaN);
        values.put("test_loss", Double.NaN);
        return values;
    }

    /** C_ij, the transitions i→j of the walk, row-major n×n. */
    static double[] denseTransitions(RandomWalk walk, RandomWalk.Counts counts) {
        int n = walk.graph().nodes();
        int[] rows = walk.graph().rowStart();
        int[] adj = walk.graph().neighbours();
        double[] c = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int k = rows[i]; k < rows[i + 1]; k++) {
                c[i * n + adj[k]] = counts.transitions()[k];
            }
        }
        return c;
    }

    /** The n×n identity in CSR: row i is the one-hot input of node i. */
    static Csr identity(int n) {
        int[] rowStart = new int[n + 1];
        int[] columns = new int[n];
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            rowStart[i + 1] = i + 1;
            columns[i] = i;
            values[i] = 1;
        }
        return new Csr(n, n, rowStart, columns, values);
    }
}
