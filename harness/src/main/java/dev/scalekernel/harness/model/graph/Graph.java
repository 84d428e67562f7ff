package dev.scalekernel.harness.model.graph;

import dev.scalekernel.api.random.Philox;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * A simple undirected graph (no self-loops, no multi-edges) as a symmetric adjacency in CSR form:
 * the neighbours of node i are {@code neighbours[rowStart[i] .. rowStart[i+1])}, strictly increasing,
 * and every edge appears in both of its rows. The generators draw from the project's Philox stream
 * with a fixed counter layout, so the same seed gives the same graph on every machine and thread count.
 */
public final class Graph {

    /** Philox sub-streams of the generators (the seed is the graph's). */
    static final int STREAM_ERDOS_RENYI = 0x6E;
    static final int STREAM_BARABASI_ALBERT = 0x6BA;

    private final int nodes;
    private final int[] rowStart;
    private final int[] neighbours;

    private Graph(int nodes, int[] rowStart, int[] neighbours) {
        this.nodes = nodes;
        this.rowStart = rowStart;
        this.neighbours = neighbours;
    }

    /**
     * Erdős–Rényi G(n, p): each of the n(n−1)/2 pairs i &lt; j is an edge independently with probability p.
     * Pair (i, j) uses fp64 uniform number i·(2n − i − 1)/2 + (j − i − 1) of the stream. The graph may have
     * isolated nodes and several components; {@link #largestComponent()} gives the part a walk can explore.
     */
    public static Graph erdosRenyi(int n, double p, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("Erdos-Renyi graph needs n >= 1 nodes, got " + n);
        }
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Erdos-Renyi edge probability p must be in [0, 1], got " + p);
        }
        EdgeList edges = new EdgeList((long) Math.ceil(p * n * (n - 1) / 2.0 * 1.1) + 16);
        int[] block = new int[4];
        long e = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++, e++) {
                if ((e & 1) == 0) {
                    Philox.block(seed, STREAM_ERDOS_RENYI, Philox.TAG_UNIFORM_F64, e >>> 1, block);
                }
                int lane = (int) (e & 1);
                if (Philox.uniformF64(block[2 * lane], block[2 * lane + 1]) < p) {
                    edges.add(i, j);
                }
            }
        }
        return fromEdges(n, edges);
    }

    /**
     * Barabási–Albert preferential attachment BA(n, m): a complete graph on m + 1 nodes, then each new
     * node t = m+1 … n−1 joins m distinct existing nodes, each drawn with probability proportional to its
     * degree (a uniform pick from the list of edge endpoints; a repeat is redrawn). Draw number k of the
     * whole construction is fp64 uniform number k of the stream. Every node has degree ≥ m, there are
     * m(m+1)/2 + (n − m − 1)·m edges, and the degree distribution tends to 2m(m+1)/(k(k+1)(k+2)) ~ k^-3.
     */
    public static Graph barabasiAlbert(int n, int m, long seed) {
        if (m < 1) {
            throw new IllegalArgumentException("Barabasi-Albert graph needs m >= 1 edges per new node, got " + m);
        }
        if (n < m + 1) {
            throw new IllegalArgumentException("Barabasi-Albert graph needs n >= m + 1 = " + (m + 1) + " nodes, got " + n);
        }
        long edgeCount = (long) m * (m + 1) / 2 + (long) (n - m - 1) * m;
        if (2 * edgeCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Barabasi-Albert graph with n = " + n + ", m = " + m + " has too many edges");
        }
        EdgeList edges = new EdgeList(edgeCount);
        int[] endpoints = new int[(int) (2 * edgeCount)];
        int ends = 0;
        for (int i = 0; i <= m; i++) {
            for (int j = i + 1; j <= m; j++) {
                edges.add(i, j);
                endpoints[ends++] = i;
                endpoints[ends++] = j;
            }
        }
        int[] chosen = new int[m];
        long draw = 0;
        int[] block = new int[4];
        for (int t = m + 1; t < n; t++) {
            int picked = 0;
            while (picked < m) {
                if ((draw & 1) == 0) {
                    Philox.block(seed, STREAM_BARABASI_ALBERT, Philox.TAG_UNIFORM_F64, draw >>> 1, block);
                }
                int lane = (int) (draw & 1);
                draw++;
                int target = endpoints[(int) (Philox.uniformF64(block[2 * lane], block[2 * lane + 1]) * ends)];
                boolean repeat = false;
                for (int k = 0; k < picked; k++) {
                    repeat |= chosen[k] == target;
                }
                if (!repeat) {
                    chosen[picked++] = target;
                }
            }
            // Endpoints join the list only after all m picks, so node t's own edges do not bias its choices.
            for (int k = 0; k < m; k++) {
                edges.add(chosen[k], t);
                endpoints[ends++] = chosen[k];
                endpoints[ends++] = t;
            }
        }
        return fromEdges(n, edges);
    }

    /** A graph from an undirected edge list (no self-loops, no repeats), in CSR with sorted rows. */
    static Graph fromEdges(int n, EdgeList edges) {
        int[] rowStart = new int[n + 1];
        for (int k = 0; k < edges.size; k++) {
            rowStart[edges.a[k] + 1]++;
            rowStart[edges.b[k] + 1]++;
        }
        for (int i = 0; i < n; i++) {
            rowStart[i + 1] += rowStart[i];
        }
        int[] fill = Arrays.copyOf(rowStart, n);
        int[] neighbours = new int[rowStart[n]];
        for (int k = 0; k < edges.size; k++) {
            neighbours[fill[edges.a[k]]++] = edges.b[k];
            neighbours[fill[edges.b[k]]++] = edges.a[k];
        }
        for (int i = 0; i < n; i++) {
            Arrays.sort(neighbours, rowStart[i], rowStart[i + 1]);
            for (int k = rowStart[i] + 1; k < rowStart[i + 1]; k++) {
                if (neighbours[k] == neighbours[k - 1]) {
                    throw new IllegalStateException("repeated edge " + i + " - " + neighbours[k]);
                }
            }
        }
        return new Graph(n, rowStart, neighbours);
    }

    /**
     * The largest connected component (the first found, in node order, on a tie), its nodes relabelled
     * 0 … n'−1 in their original order. A random walk started there never leaves it and is irreducible.
     */
    public Graph largestComponent() {
        int[] component = new int[nodes];
        Arrays.fill(component, -1);
        int best = -1;
        int bestSize = 0;
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int s = 0, c = 0; s < nodes; s++) {
            if (component[s] >= 0) {
                continue;
            }
            int size = 0;
            component[s] = c;
            queue.add(s);
            while (!queue.isEmpty()) {
                int v = queue.poll();
                size++;
                for (int k = rowStart[v]; k < rowStart[v + 1]; k++) {
                    if (component[neighbours[k]] < 0) {
                        component[neighbours[k]] = c;
                        queue.add(neighbours[k]);
                    }
                }
            }
            if (size > bestSize) {
                bestSize = size;
                best = c;
            }
            c++;
        }
        if (bestSize == nodes) {
            return this;
        }
        int[] label = new int[nodes];
        int next = 0;
        for (int v = 0; v < nodes; v++) {
            label[v] = component[v] == best ? next++ : -1;
        }
        int[] rows = new int[bestSize + 1];
        int[] adj = new int[countEdgeEnds(label)];
        for (int v = 0, r = 0, at = 0; v < nodes; v++) {
            if (label[v] < 0) {
                continue;
            }
            for (int k = rowStart[v]; k < rowStart[v + 1]; k++) {
                adj[at++] = label[neighbours[k]]; // labels keep the order, so rows stay sorted
            }
            rows[++r] = at;
        }
        return new Graph(bestSize, rows, adj);
    }

    private int countEdgeEnds(int[] label) {
        int count = 0;
        for (int v = 0; v < nodes; v++) {
            if (label[v] >= 0) {
                count += degree(v);
            }
        }
        return count;
    }

    public int nodes() {
        return nodes;
    }

    /** Number of undirected edges. */
    public long edges() {
        return neighbours.length / 2;
    }

    public int degree(int node) {
        return rowStart[node + 1] - rowStart[node];
    }

    public int[] degrees() {
        int[] d = new int[nodes];
        for (int i = 0; i < nodes; i++) {
            d[i] = degree(i);
        }
        return d;
    }

    /** Row pointers of the adjacency (length n + 1; do not modify). */
    public int[] rowStart() {
        return rowStart;
    }

    /** Column indices of the adjacency, each row strictly increasing (do not modify). */
    public int[] neighbours() {
        return neighbours;
    }

    public boolean adjacent(int i, int j) {
        return Arrays.binarySearch(neighbours, rowStart[i], rowStart[i + 1], j) >= 0;
    }

    /** A growable list of undirected edges (a, b). */
    static final class EdgeList {
        int[] a;
        int[] b;
        int size;

        EdgeList(long capacity) {
            int c = (int) Math.min(Math.max(capacity, 16), Integer.MAX_VALUE - 8);
            a = new int[c];
            b = new int[c];
        }

        void add(int i, int j) {
            if (size == a.length) {
                int c = (int) Math.min((long) a.length * 2, Integer.MAX_VALUE - 8);
                a = Arrays.copyOf(a, c);
                b = Arrays.copyOf(b, c);
            }
            a[size] = i;
            b[size++] = j;
        }
    }
}
