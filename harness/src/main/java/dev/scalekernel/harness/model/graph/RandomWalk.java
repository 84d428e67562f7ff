package dev.scalekernel.harness.model.graph;

import dev.scalekernel.api.random.Philox;

import java.util.Arrays;

/**
 * A random walk on a graph whose steps are biased by a power of the neighbour's degree (Barkeshli,
 * Alfarano, Gromov): T_ij = A_ij·deg(j)^κ / Σ_k A_ik·deg(k)^κ, so κ = 0 is the unbiased walk
 * T_ij = 1/deg(i). The walk is reversible with symmetric edge weights w_ij = A_ij·deg(i)^κ·deg(j)^κ,
 * hence its stationary distribution in closed form: π_i ∝ Σ_j w_ij = deg(i)^κ·Σ_{j~i} deg(j)^κ (π_i ∝ deg(i)
 * when κ = 0). The entropy rate is H = −Σ_i π_i Σ_j T_ij log T_ij: the cross-entropy of the best possible
 * next-node predictor, so a predictor p̂ has excess cross-entropy Σ_i π_i KL(T_i ‖ p̂_i) over it.
 *
 * <p>T is stored aligned with the graph's CSR adjacency: {@code probability[k]} belongs to the edge
 * (i, neighbours[k]) of row i. Every node must have a neighbour: use {@link Graph#largestComponent()}.
 */
public final class RandomWalk {

    private final Graph graph;
    private final double kappa;
    private final double[] probability;
    private final double[] cumulative;
    private final double[] stationary;
    private final double[] stationaryCumulative;
    private final double entropyRate;

    public RandomWalk(Graph graph, double kappa) {
        if (!Double.isFinite(kappa)) {
            throw new IllegalArgumentException("walk bias exponent kappa must be finite, got " + kappa);
        }
        this.graph = graph;
        this.kappa = kappa;
        int n = graph.nodes();
        int[] rows = graph.rowStart();
        int[] adj = graph.neighbours();
        double[] weight = new double[n]; // deg(i)^κ
        for (int i = 0; i < n; i++) {
            if (graph.degree(i) == 0) {
                throw new IllegalArgumentException("node " + i + " has no neighbours, so a walk cannot leave it;"
                        + " walk on the graph's largest component");
            }
            weight[i] = Math.pow(graph.degree(i), kappa);
        }
        probability = new double[adj.length];
        cumulative = new double[adj.length];
        stationary = new double[n];
        double total = 0;
        double entropy = 0;
        for (int i = 0; i < n; i++) {
            double row = 0;
            for (int k = rows[i]; k < rows[i + 1]; k++) {
                row += weight[adj[k]];
            }
            double running = 0;
            for (int k = rows[i]; k < rows[i + 1]; k++) {
                probability[k] = weight[adj[k]] / row;
                running += probability[k];
                cumulative[k] = running;
            }
            cumulative[rows[i + 1] - 1] = 1; // u < 1 always lands in the row
            stationary[i] = weight[i] * row;
            total += stationary[i];
        }
        stationaryCumulative = new double[n];
        double running = 0;
        for (int i = 0; i < n; i++) {
            stationary[i] /= total;
            running += stationary[i];
            stationaryCumulative[i] = running;
            double h = 0;
            for (int k = rows[i]; k < rows[i + 1]; k++) {
                h -= probability[k] * Math.log(probability[k]);
            }
            entropy += stationary[i] * h;
        }
        stationaryCumulative[n - 1] = 1;
        entropyRate = entropy;
    }

    public Graph graph() {
        return graph;
    }

    public double kappa() {
        return kappa;
    }

    /** T_ij on the graph's edges, aligned with {@link Graph#neighbours()} (a copy). */
    public double[] transitionProbabilities() {
        return probability.clone();
    }

    /** T_ij (0 off the edges). */
    public double transition(int i, int j) {
        int k = Arrays.binarySearch(graph.neighbours(), graph.rowStart()[i], graph.rowStart()[i + 1], j);
        return k >= 0 ? probability[k] : 0;
    }

    /** The dense row-major n×n transition matrix (for tests and small graphs). */
    public double[] transitionMatrix() {
        int n = graph.nodes();
        double[] t = new double[Math.multiplyExact(n, n)];
        int[] rows = graph.rowStart();
        int[] adj = graph.neighbours();
        for (int i = 0; i < n; i++) {
            for (int k = rows[i]; k < rows[i + 1]; k++) {
                t[i * n + adj[k]] = probability[k];
            }
        }
        return t;
    }

    /** π (a copy). */
    public double[] stationary() {
        return stationary.clone();
    }

    /** H = −Σ_i π_i Σ_j T_ij log T_ij, in nats. */
    public double entropyRate() {
        return entropyRate;
    }

    /**
     * Visit and transition counts of the first {@code tokens} steps of the walk: x_0 ~ π from fp64 uniform
     * number 0 of the stream, then x_{t+1} ~ T_{x_t} from uniform number t + 1 (inverse CDF over the row).
     * Walks are nested: the first P steps are the same whatever the total length.
     */
    public Counts count(long tokens, long seed, int stream) {
        Counts counts = new Counts(new long[graph.nodes()], new long[probability.length], tokens);
        walk(tokens, seed, stream, (from, edge, to) -> {
            counts.visits[from]++;
            counts.transitions[edge]++;
        });
        return counts;
    }

    /** The nodes x_0 … x_tokens of the walk (see {@link #count}). */
    public int[] path(int tokens, long seed, int stream) {
        int[] path = new int[tokens + 1];
        int[] at = {0};
        walk(tokens, seed, stream, (from, edge, to) -> {
            path[at[0]++] = from;
            path[at[0]] = to;
        });
        if (tokens == 0) {
            path[0] = start(seed, stream);
        }
        return path;
    }

    private int start(long seed, int stream) {
        return pick(stationaryCumulative, 0, stationaryCumulative.length, Philox.uniformF64(seed, stream, 0));
    }

    private interface Step {
        void take(int from, int edge, int to);
    }

    private void walk(long tokens, long seed, int stream, Step step) {
        if (tokens < 0) {
            throw new IllegalArgumentException("a walk needs tokens >= 0, got " + tokens);
        }
        int[] rows = graph.rowStart();
        int[] adj = graph.neighbours();
        int[] block = new int[4];
        int node = start(seed, stream);
        for (long e = 1; e <= tokens; e++) {
            if ((e & 1) == 0 || e == 1) {
                Philox.block(seed, stream, Philox.TAG_UNIFORM_F64, e >>> 1, block);
            }
            int lane = (int) (e & 1);
            int k = pick(cumulative, rows[node], rows[node + 1], Philox.uniformF64(block[2 * lane], block[2 * lane + 1]));
            step.take(node, k, adj[k]);
            node = adj[k];
        }
    }

    /** The first index k in [from, to) with u &lt; cum[k] (cum[to − 1] = 1 &gt; u). */
    private static int pick(double[] cum, int from, int to, double u) {
        int lo = from;
        int hi = to - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (u < cum[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /**
     * Σ_i π_i KL(T_i ‖ p̂_i) = Σ_i π_i Σ_{j~i} T_ij (log T_ij − log p̂_ij), exact (no sampling), from the
     * predicted log-probabilities (row-major n×n; only entries on edges are read). ≥ 0 when every row of
     * p̂ sums to at most 1, and 0 iff p̂_i = T_i wherever π_i &gt; 0.
     */
    public double excessCrossEntropy(double[] logPredicted) {
        int n = graph.nodes();
        if (logPredicted.length != (long) n * n) {
            throw new IllegalArgumentException("predicted log-probabilities must be n x n = " + n + " x " + n
                    + ", got " + logPredicted.length + " entries");
        }
        int[] rows = graph.rowStart();
        int[] adj = graph.neighbours();
        double excess = 0;
        for (int i = 0; i < n; i++) {
            double kl = 0;
            for (int k = rows[i]; k < rows[i + 1]; k++) {
                kl += probability[k] * (Math.log(probability[k]) - logPredicted[i * n + adj[k]]);
            }
            excess += stationary[i] * kl;
        }
        return excess;
    }

    /**
     * Visits of each node as the current token, and transitions along each edge (aligned with
     * {@link Graph#neighbours()}), over a walk of {@code tokens} steps.
     */
    public record Counts(long[] visits, long[] transitions, long tokens) {
        /** Nodes never visited as the current token. */
        public int unseenNodes() {
            int unseen = 0;
            for (long v : visits) {
                unseen += v == 0 ? 1 : 0;
            }
            return unseen;
        }
    }
}
