package dev.scalekernel.cpu;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.GdResult;
import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.host.HostSparseMatrix;
import dev.scalekernel.api.reference.Lanczos;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The fp64 kernels that stream over rows rather than block for the cache: GEMV, the fused
 * residual/gradient pass of gradient descent, the Lanczos operator, the CSR feature map,
 * column scaling and the reductions. This is the fp64 twin of {@link DenseF32}: the same code with
 * float replaced by double.
 *
 * <p>Thread-count independence: row-parallel passes split rows into blocks whose size depends
 * only on the shape; passes that reduce over rows keep one partial per block and add the partials
 * in block order; lanes of a vector accumulator are added in lane order ({@link #sumLanes}), never
 * with {@code reduceLanes(ADD)}, whose order differs between the interpreter and C2.
 */
final class DenseF64 {
    private static final VectorSpecies<Double> S = Species.F64;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfDouble E = ValueLayout.JAVA_DOUBLE;
    private static final long BYTES = Double.BYTES;

    /**
     * Most blocks (hence partial vectors) of a reduction over rows: bounds their memory at
     * 64·N while still giving a handful of threads enough blocks to balance.
     */
    private static final int MAX_PARTIALS = 64;
    /**
     * Rows of Φ per register block of {@link #gradientDescentByLanes}: 8 accumulators (or 8
     * residual vectors) hide the multiply-add latency, and the block's rows (8·N·dtype bytes) stay
     * in L2 from the residual to the gradient.
     */
    private static final int GD_ROWS = 8;
    /** Fewest rows per block of a row pass: below this, handing a task out costs more than its rows. */
    private static final int MIN_ROWS = 32;
    /** Elements per task of flat passes (dot, norm, error): ~128 KiB of fp64, a few µs of streaming. */
    private static final int CHUNK = 1 << 14;
    /** Side of the tiles in which F is transposed for the CSR map: two 64×64 fp64 tiles (64 KiB) fit L2. */
    /**
     * Columns of Φ per task of the sparse feature map: two vectors, summed in registers. The
     * task's block of Fᵀ is M rows of this width, which keeps it in the L2 cache up to M = 8192.
     */
    private static final int CSR_BLOCK = 2 * L;

    private DenseF64() {
    }

    // ---- vector primitives ---------------------------------------------------------------

    /** Σ_i a[i]·x[i] over a run of n elements of a segment (from byte {@code at}) and an array. */
    static double dot(boolean fma, MemorySegment a, long at, double[] x, int n) {
        // Four independent accumulators: one chain waits on the FMA latency and reads the row at
        // about half the memory bandwidth (measured 9 against 17 GB/s on one Zen 4 core).
        DoubleVector acc = DoubleVector.zero(S);
        DoubleVector acc1 = acc;
        DoubleVector acc2 = acc;
        DoubleVector acc3 = acc;
        int i = 0;
        for (int bound4 = n - n % (4 * L); i < bound4; i += 4 * L) {
            acc = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, a, at + i * BYTES, NATIVE), DoubleVector.fromArray(S, x, i), acc);
            acc1 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, a, at + (i + L) * BYTES, NATIVE),
                    DoubleVector.fromArray(S, x, i + L), acc1);
            acc2 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, a, at + (i + 2 * L) * BYTES, NATIVE),
                    DoubleVector.fromArray(S, x, i + 2 * L), acc2);
            acc3 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, a, at + (i + 3 * L) * BYTES, NATIVE),
                    DoubleVector.fromArray(S, x, i + 3 * L), acc3);
        }
        acc = acc.add(acc1).add(acc2.add(acc3));
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            DoubleVector va = DoubleVector.fromMemorySegment(S, a, at + i * BYTES, NATIVE);
            acc = GemmF64.madd(fma, va, DoubleVector.fromArray(S, x, i), acc);
        }
        if (i < n) {
            VectorMask<Double> m = S.indexInRange(i, n);
            DoubleVector va = DoubleVector.fromMemorySegment(S, a, at + i * BYTES, NATIVE, m);
            acc = GemmF64.madd(fma, va, DoubleVector.fromArray(S, x, i, m), acc);
        }
        return sumLanes(acc);
    }

    /** y[i] += alpha·a[i] over a run of n elements of a segment (from byte {@code at}). */
    static void axpy(boolean fma, double alpha, MemorySegment a, long at, double[] y, int n) {
        DoubleVector va = DoubleVector.broadcast(S, alpha);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            DoubleVector row = DoubleVector.fromMemorySegment(S, a, at + i * BYTES, NATIVE);
            GemmF64.madd(fma, row, va, DoubleVector.fromArray(S, y, i)).intoArray(y, i);
        }
        if (i < n) {
            VectorMask<Double> m = S.indexInRange(i, n);
            DoubleVector row = DoubleVector.fromMemorySegment(S, a, at + i * BYTES, NATIVE, m);
            GemmF64.madd(fma, row, va, DoubleVector.fromArray(S, y, i, m)).intoArray(y, i, m);
        }
    }

    /**
     * The lanes of v added as a fixed tree: each round adds to every lane its partner at distance
     * half the remaining width (lane-wise adds and a lane swap, so the same bits in the interpreter
     * and in C2 code). It allocates nothing, where the former copy of the lanes into an array (added
     * in order) allocated 6.5 MB of garbage per GD call at P×N = 16384×2048, k = 1 (no speed change
     * measured).
     */
    static double sumLanes(DoubleVector v) {
        if (L > 8) {
            v = v.add(v.rearrange(HALF8));
        }
        if (L > 4) {
            v = v.add(v.rearrange(HALF4));
        }
        if (L > 2) {
            v = v.add(v.rearrange(HALF2));
        }
        if (L > 1) {
            v = v.add(v.rearrange(HALF1));
        }
        return v.lane(0);
    }

    /** Lane swaps of {@link #sumLanes}: lane i takes lane i xor d (only where the vector has more than d lanes). */
    private static final VectorShuffle<Double> HALF8 = L > 8 ? VectorShuffle.fromOp(S, i -> i ^ 8) : null;
    private static final VectorShuffle<Double> HALF4 = L > 4 ? VectorShuffle.fromOp(S, i -> i ^ 4) : null;
    private static final VectorShuffle<Double> HALF2 = L > 2 ? VectorShuffle.fromOp(S, i -> i ^ 2) : null;
    private static final VectorShuffle<Double> HALF1 = L > 1 ? VectorShuffle.fromOp(S, i -> i ^ 1) : null;

    private static int rowsPerBlock(int rows) {
        return Math.max(MIN_ROWS, GemmF64.ceilDiv(rows, MAX_PARTIALS));
    }

    private static int chunks(long size) {
        return Math.toIntExact((size + CHUNK - 1) / CHUNK);
    }

    private static double[] load(MemorySegment m, int n) {
        double[] v = new double[n];
        MemorySegment.copy(m, E, 0, v, 0, n);
        return v;
    }

    /** Σ_t parts[t] in t order, parts all of length n. */
    private static double[] addInOrder(double[][] parts, int n) {
        double[] sum = new double[n];
        for (double[] part : parts) {
            int bound = S.loopBound(n);
            int i = 0;
            for (; i < bound; i += L) {
                DoubleVector.fromArray(S, sum, i).add(DoubleVector.fromArray(S, part, i)).intoArray(sum, i);
            }
            for (; i < n; i++) {
                sum[i] += part[i];
            }
        }
        return sum;
    }

    /** Σ_i coef[i]·A_i over the rows of A (rows×cols), as a fixed-order sum of per-block partials. */
    private static double[] weightedRowSum(Compute cx, MemorySegment a, int rows, int cols, double[] coef) {
        int per = rowsPerBlock(rows);
        double[][] partial = new double[GemmF64.ceilDiv(rows, per)][];
        cx.pool().run(partial.length, (w, t) -> {
            double[] acc = new double[cols];
            for (int i = t * per; i < Math.min(rows, (t + 1) * per); i++) {
                axpy(cx.fma(), coef[i], a, (long) i * cols * BYTES, acc, cols);
            }
            partial[t] = acc;
        });
        return addInOrder(partial, cols);
    }

    // ---- GEMV ----------------------------------------------------------------------------

    /**
     * y = α·op(A)·x + β·y with A rows×cols, x and y columns; y not read when β = 0.
     * No transpose: one dot product per row, rows split into blocks. Transposed: a weighted sum
     * of the rows of A, per-block partials added in block order. Modifies y.
     */
    static void gemv(Compute cx, boolean trans, double alpha, MemorySegment a, int rows, int cols, MemorySegment x,
                     double beta, MemorySegment y) {
        int m = trans ? cols : rows;
        int k = trans ? rows : cols;
        double[] xv = load(x, k);
        if (!trans) {
            int per = rowsPerBlock(rows);
            cx.pool().run(GemmF64.ceilDiv(rows, per), (w, t) -> {
                for (int i = t * per; i < Math.min(rows, (t + 1) * per); i++) {
                    double d = dot(cx.fma(), a, (long) i * cols * BYTES, xv, cols);
                    y.setAtIndex(E, i, beta == 0 ? alpha * d : alpha * d + beta * y.getAtIndex(E, i));
                }
            });
        } else {
            double[] sum = weightedRowSum(cx, a, rows, cols, xv);
            for (int j = 0; j < m; j++) {
                y.setAtIndex(E, j, beta == 0 ? alpha * sum[j] : alpha * sum[j] + beta * y.getAtIndex(E, j));
            }
        }
    }

    // ---- gradient descent ----------------------------------------------------------------

    /**
     * Rows [r0, r1) of Φ (N columns), for each right-hand side j with active[j]: r_ij = Φ_i·w_j − y_ij
     * (y null means 0; yCols = 1 shares one target), loss[j] = Σ r_ij², and, unless grad is null,
     * grad[j] += Σ r_ij·Φ_i. Rows go by fours ({@link #dot4}, {@link #axpy4}): four rows stream from
     * memory at once and stay in cache for their 2k products; the rows left over go one at a time.
     */
    private static void residualPass(boolean fma, MemorySegment phi, int n, int r0, int r1, double[][] w,
                                     boolean[] active, MemorySegment y, int yCols, double[][] grad, double[] loss) {
        Arrays.fill(loss, 0);
        double[] r = new double[4];
        int i = r0;
        for (; i + 4 <= r1; i += 4) {
            for (int j = 0; j < w.length; j++) {
                if (active[j]) {
                    dot4(fma, phi, n, i, w[j], r);
                    for (int row = 0; row < 4; row++) {
                        r[row] -= target(y, yCols, i + row, j);
                        loss[j] += r[row] * r[row];
                    }
                    if (grad != null) {
                        axpy4(fma, r, phi, n, i, grad[j]);
                    }
                }
            }
        }
        for (; i < r1; i++) {
            long at = (long) i * n * BYTES;
            for (int j = 0; j < w.length; j++) {
                if (active[j]) {
                    double e = dot(fma, phi, at, w[j], n) - target(y, yCols, i, j);
                    loss[j] += e * e;
                    if (grad != null) {
                        axpy(fma, e, phi, at, grad[j], n);
                    }
                }
            }
        }
    }

    /**
     * out[row] = Φ_(i+row)·x for the four rows i .. i+3: two accumulators a row, eight chains in
     * all, so four rows stream from memory at once and each vector of x serves four of them.
     */
    private static void dot4(boolean fma, MemorySegment phi, int n, int i, double[] x, double[] out) {
        long a0 = (long) i * n * BYTES;
        long a1 = a0 + n * BYTES;
        long a2 = a1 + n * BYTES;
        long a3 = a2 + n * BYTES;
        DoubleVector s0 = DoubleVector.zero(S);
        DoubleVector s1 = s0;
        DoubleVector s2 = s0;
        DoubleVector s3 = s0;
        DoubleVector t0 = s0;
        DoubleVector t1 = s0;
        DoubleVector t2 = s0;
        DoubleVector t3 = s0;
        int l = 0;
        for (int bound2 = n - n % (2 * L); l < bound2; l += 2 * L) {
            DoubleVector x0 = DoubleVector.fromArray(S, x, l);
            DoubleVector x1 = DoubleVector.fromArray(S, x, l + L);
            long o = l * BYTES;
            long o1 = o + L * BYTES;
            s0 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a0 + o, NATIVE), x0, s0);
            t0 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a0 + o1, NATIVE), x1, t0);
            s1 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a1 + o, NATIVE), x0, s1);
            t1 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a1 + o1, NATIVE), x1, t1);
            s2 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a2 + o, NATIVE), x0, s2);
            t2 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a2 + o1, NATIVE), x1, t2);
            s3 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a3 + o, NATIVE), x0, s3);
            t3 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a3 + o1, NATIVE), x1, t3);
        }
        s0 = s0.add(t0);
        s1 = s1.add(t1);
        s2 = s2.add(t2);
        s3 = s3.add(t3);
        for (int bound = S.loopBound(n); l < bound; l += L) {
            DoubleVector x0 = DoubleVector.fromArray(S, x, l);
            long o = l * BYTES;
            s0 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a0 + o, NATIVE), x0, s0);
            s1 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a1 + o, NATIVE), x0, s1);
            s2 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a2 + o, NATIVE), x0, s2);
            s3 = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a3 + o, NATIVE), x0, s3);
        }
        out[0] = sumLanes(s0);
        out[1] = sumLanes(s1);
        out[2] = sumLanes(s2);
        out[3] = sumLanes(s3);
        if (l < n) {
            dot4Tail(fma, phi, n, i, x, out, l);
        }
    }

    /** The last n − l columns of {@link #dot4}, added to out; a method of its own keeps both small enough for C1. */
    private static void dot4Tail(boolean fma, MemorySegment phi, int n, int i, double[] x, double[] out, int l) {
        VectorMask<Double> m = S.indexInRange(l, n);
        DoubleVector x0 = DoubleVector.fromArray(S, x, l, m);
        for (int row = 0; row < 4; row++) {
            long at = ((long) (i + row) * n + l) * BYTES;
            out[row] += sumLanes(GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, at, NATIVE, m), x0, DoubleVector.zero(S)));
        }
    }

    /**
     * y += r[0]·Φ_i + r[1]·Φ_(i+1) + r[2]·Φ_(i+2) + r[3]·Φ_(i+3), each added in that order with the
     * multiply-add of {@link #axpy}: the sums of four axpy calls, with one load and store of y
     * for the four.
     */
    private static void axpy4(boolean fma, double[] r, MemorySegment phi, int n, int i, double[] y) {
        long a0 = (long) i * n * BYTES;
        long a1 = a0 + n * BYTES;
        long a2 = a1 + n * BYTES;
        long a3 = a2 + n * BYTES;
        DoubleVector r0 = DoubleVector.broadcast(S, r[0]);
        DoubleVector r1 = DoubleVector.broadcast(S, r[1]);
        DoubleVector r2 = DoubleVector.broadcast(S, r[2]);
        DoubleVector r3 = DoubleVector.broadcast(S, r[3]);
        int l = 0;
        for (int bound = S.loopBound(n); l < bound; l += L) {
            long o = l * BYTES;
            DoubleVector acc = DoubleVector.fromArray(S, y, l);
            acc = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a0 + o, NATIVE), r0, acc);
            acc = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a1 + o, NATIVE), r1, acc);
            acc = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a2 + o, NATIVE), r2, acc);
            acc = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, a3 + o, NATIVE), r3, acc);
            acc.intoArray(y, l);
        }
        if (l < n) {
            axpy4Tail(fma, r, phi, n, i, y, l);
        }
    }

    /** The last n − l columns of {@link #axpy4}; a method of its own keeps both small enough for C1. */
    private static void axpy4Tail(boolean fma, double[] r, MemorySegment phi, int n, int i, double[] y, int l) {
        VectorMask<Double> m = S.indexInRange(l, n);
        DoubleVector acc = DoubleVector.fromArray(S, y, l, m);
        for (int row = 0; row < 4; row++) {
            long at = ((long) (i + row) * n + l) * BYTES;
            acc = GemmF64.madd(fma, DoubleVector.fromMemorySegment(S, phi, at, NATIVE, m), DoubleVector.broadcast(S, r[row]), acc);
        }
        acc.intoArray(y, l, m);
    }

    /**
     * Full-batch GD on (1/P)‖ΦW − Y‖² (see {@code Backend.gradientDescent}); Φ is P×N, y P×yCols
     * (yCols = k, or 1 shared), w N×k modified in place. Each step is one pass over Φ: every row
     * block computes its residuals, losses and gradient contributions for all k right-hand sides
     * while its rows are in cache, into per-block partials added in block order. (Two GEMMs per
     * step, R = ΦW − Y and G = ΦᵀR, measured 17× slower per step for k = 4 at 4096×1024: each
     * re-packs all of Φ for a product only k columns wide.) Diverged right-hand sides are skipped.
     * From k = L/2 on, {@link #gradientDescentByLanes} runs the same pass with the vector lanes
     * along the right-hand sides (measured at P×N = 16384×2048, fp32, k = 16, 2 threads: 54 →
     * 118 GFLOP/s).
     */
    static GdResult gradientDescent(Compute cx, MemorySegment phi, int rows, int n, MemorySegment y, int yCols,
                                    MemorySegment w, int k, double[] eta, GdOptions options) {
        if (2 * k >= L) {
            return gradientDescentByLanes(cx, phi, rows, n, y, yCols, w, k, eta, options);
        }
        GdTrace trace = new GdTrace(k, options);
        double[][] wv = new double[k][n];
        for (int l = 0; l < n; l++) {
            for (int j = 0; j < k; j++) {
                wv[j][l] = w.getAtIndex(E, (long) l * k + j);
            }
        }
        boolean[] active = new boolean[k];
        Arrays.fill(active, true);
        int per = rowsPerBlock(rows);
        int blocks = GemmF64.ceilDiv(rows, per);
        double[][][] grads = new double[blocks][k][n];
        double[][] losses = new double[blocks][k];
        for (long t = 0; ; t++) {
            boolean last = t == options.steps();
            cx.pool().run(blocks, (worker, b) -> {
                double[][] g = last ? null : grads[b];
                if (g != null) {
                    for (double[] gj : g) {
                        Arrays.fill(gj, 0);
                    }
                }
                residualPass(cx.fma(), phi, n, b * per, Math.min(rows, (b + 1) * per), wv, active, y, yCols, g,
                        losses[b]);
            });
            trace.observe(t, losses, rows, active);
            if (!trace.anyActive() || last) {
                break;
            }
            for (int j = 0; j < k; j++) {
                if (active[j]) {
                    double[][] parts = new double[blocks][];
                    for (int b = 0; b < blocks; b++) {
                        parts[b] = grads[b][j];
                    }
                    step(cx.fma(), eta[j] / rows, addInOrder(parts, n), wv[j]);
                }
            }
        }
        for (int l = 0; l < n; l++) {
            for (int j = 0; j < k; j++) {
                w.setAtIndex(E, (long) l * k + j, wv[j][l]);
            }
        }
        return trace.result();
    }

    /**
     * Full-batch GD as {@link #gradientDescent}, for k ≥ L/2 right-hand sides, with the vector lanes
     * along the right-hand sides: W and the gradients are kept as N×k' arrays (k' = k rounded up
     * to whole vectors), so one vector holds row l of W for L right-hand sides. A block of
     * {@link #GD_ROWS} rows of Φ then costs, per column l and group of L right-hand sides, one
     * vector of W and GD_ROWS broadcasts of Φ for GD_ROWS multiply-adds ({@link #laneResiduals}),
     * and the same for the gradient ({@link #laneGradient}), with W, the gradient and the block
     * in cache. Residuals sum over l in order; gradients add the rows in order, as axpy calls
     * would. Lanes of diverged right-hand sides are computed but neither observed nor stepped.
     */
    private static GdResult gradientDescentByLanes(Compute cx, MemorySegment phi, int rows, int n, MemorySegment y,
                                                   int yCols, MemorySegment w, int k, double[] eta, GdOptions options) {
        GdTrace trace = new GdTrace(k, options);
        int kp = GemmF32.roundUp(k, L);
        double[] wt = new double[Math.multiplyExact(n, kp)];
        for (int l = 0; l < n; l++) {
            for (int j = 0; j < k; j++) {
                wt[l * kp + j] = w.getAtIndex(E, (long) l * k + j);
            }
        }
        boolean[] active = new boolean[k];
        Arrays.fill(active, true);
        int per = rowsPerBlock(rows);
        int blocks = GemmF32.ceilDiv(rows, per);
        double[][] grads = new double[blocks][n * kp];
        double[][] losses = new double[blocks][k];
        double[] steps = new double[kp];
        boolean[] stepping = new boolean[kp];
        for (long t = 0; ; t++) {
            boolean last = t == options.steps();
            cx.pool().run(blocks, (worker, b) -> {
                double[] g = last ? null : grads[b];
                if (g != null) {
                    Arrays.fill(g, 0);
                }
                double[] r = new double[GD_ROWS * kp];
                double[] loss = losses[b];
                Arrays.fill(loss, 0);
                for (int i = b * per; i < Math.min(rows, (b + 1) * per); i += GD_ROWS) {
                    int rb = Math.min(GD_ROWS, Math.min(rows, (b + 1) * per) - i);
                    for (int go = 0; go < kp; go += L) {
                        if (rb == GD_ROWS) {
                            laneResiduals(cx.fma(), phi, n, i, wt, kp, go, r);
                        } else {
                            for (int row = 0; row < rb; row++) {
                                laneResidual(cx.fma(), phi, n, i + row, wt, kp, go, r, row * kp + go);
                            }
                        }
                    }
                    for (int row = 0; row < rb; row++) {
                        for (int j = 0; j < k; j++) {
                            double e = r[row * kp + j] - target(y, yCols, i + row, j);
                            r[row * kp + j] = e;
                            loss[j] += e * e;
                        }
                    }
                    if (g != null) {
                        for (int go = 0; go < kp; go += L) {
                            if (rb == GD_ROWS) {
                                laneGradient(cx.fma(), phi, n, i, r, kp, go, g);
                            } else {
                                for (int row = 0; row < rb; row++) {
                                    laneGradientRow(cx.fma(), phi, n, i + row, r, row * kp + go, kp, go, g);
                                }
                            }
                        }
                    }
                }
            });
            trace.observe(t, losses, rows, active);
            if (!trace.anyActive() || last) {
                break;
            }
            for (int j = 0; j < k; j++) {
                steps[j] = eta[j] / rows;
                stepping[j] = active[j];
            }
            double[] sum = addInOrder(grads, n * kp);
            for (int go = 0; go < kp; go += L) {
                // w ← w − step·g on the active lanes, as {@link #step} computes it; the others keep w
                DoubleVector minusStep = DoubleVector.fromArray(S, steps, go).neg();
                VectorMask<Double> moving = VectorMask.fromArray(S, stepping, go);
                for (int l = 0; l < n; l++) {
                    int at = l * kp + go;
                    DoubleVector old = DoubleVector.fromArray(S, wt, at);
                    old.blend(GemmF64.madd(cx.fma(), DoubleVector.fromArray(S, sum, at), minusStep, old), moving).intoArray(wt, at);
                }
            }
        }
        for (int l = 0; l < n; l++) {
            for (int j = 0; j < k; j++) {
                w.setAtIndex(E, (long) l * k + j, wt[l * kp + j]);
            }
        }
        return trace.result();
    }

    /**
     * r[row·k' + go ..] = Σ_l Φ_(i+row, l)·wt[l, go ..] for rows i .. i+7 and the L right-hand sides
     * from go: eight independent accumulators, one vector of W per column.
     */
    private static void laneResiduals(boolean fma, MemorySegment phi, int n, int i, double[] wt, int kp, int go,
                                      double[] r) {
        long a0 = (long) i * n * BYTES;
        long a1 = a0 + n * BYTES;
        long a2 = a1 + n * BYTES;
        long a3 = a2 + n * BYTES;
        long a4 = a3 + n * BYTES;
        long a5 = a4 + n * BYTES;
        long a6 = a5 + n * BYTES;
        long a7 = a6 + n * BYTES;
        DoubleVector c0 = DoubleVector.zero(S);
        DoubleVector c1 = DoubleVector.zero(S);
        DoubleVector c2 = DoubleVector.zero(S);
        DoubleVector c3 = DoubleVector.zero(S);
        DoubleVector c4 = DoubleVector.zero(S);
        DoubleVector c5 = DoubleVector.zero(S);
        DoubleVector c6 = DoubleVector.zero(S);
        DoubleVector c7 = DoubleVector.zero(S);
        for (int l = 0; l < n; l++) {
            DoubleVector v = DoubleVector.fromArray(S, wt, l * kp + go);
            long o = l * BYTES;
            c0 = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a0 + o)), v, c0);
            c1 = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a1 + o)), v, c1);
            c2 = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a2 + o)), v, c2);
            c3 = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a3 + o)), v, c3);
            c4 = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a4 + o)), v, c4);
            c5 = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a5 + o)), v, c5);
            c6 = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a6 + o)), v, c6);
            c7 = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a7 + o)), v, c7);
        }
        c0.intoArray(r, go);
        c1.intoArray(r, 1 * kp + go);
        c2.intoArray(r, 2 * kp + go);
        c3.intoArray(r, 3 * kp + go);
        c4.intoArray(r, 4 * kp + go);
        c5.intoArray(r, 5 * kp + go);
        c6.intoArray(r, 6 * kp + go);
        c7.intoArray(r, 7 * kp + go);
    }

    /** {@link #laneResiduals} for one row, into r[at ..]. */
    private static void laneResidual(boolean fma, MemorySegment phi, int n, int i, double[] wt, int kp, int go,
                                     double[] r, int at) {
        long a = (long) i * n * BYTES;
        DoubleVector c = DoubleVector.zero(S);
        for (int l = 0; l < n; l++) {
            c = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a + l * BYTES)), DoubleVector.fromArray(S, wt, l * kp + go), c);
        }
        c.intoArray(r, at);
    }

    /**
     * g[l, go ..] += Σ_row Φ_(i+row, l)·r[row, go ..] for rows i .. i+7, rows added in order, as
     * eight axpy calls would; the residual vectors stay in registers.
     */
    private static void laneGradient(boolean fma, MemorySegment phi, int n, int i, double[] r, int kp, int go,
                                     double[] g) {
        long a0 = (long) i * n * BYTES;
        long a1 = a0 + n * BYTES;
        long a2 = a1 + n * BYTES;
        long a3 = a2 + n * BYTES;
        long a4 = a3 + n * BYTES;
        long a5 = a4 + n * BYTES;
        long a6 = a5 + n * BYTES;
        long a7 = a6 + n * BYTES;
        DoubleVector r0 = DoubleVector.fromArray(S, r, go);
        DoubleVector r1 = DoubleVector.fromArray(S, r, 1 * kp + go);
        DoubleVector r2 = DoubleVector.fromArray(S, r, 2 * kp + go);
        DoubleVector r3 = DoubleVector.fromArray(S, r, 3 * kp + go);
        DoubleVector r4 = DoubleVector.fromArray(S, r, 4 * kp + go);
        DoubleVector r5 = DoubleVector.fromArray(S, r, 5 * kp + go);
        DoubleVector r6 = DoubleVector.fromArray(S, r, 6 * kp + go);
        DoubleVector r7 = DoubleVector.fromArray(S, r, 7 * kp + go);
        for (int l = 0; l < n; l++) {
            int at = l * kp + go;
            long o = l * BYTES;
            DoubleVector acc = DoubleVector.fromArray(S, g, at);
            acc = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a0 + o)), r0, acc);
            acc = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a1 + o)), r1, acc);
            acc = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a2 + o)), r2, acc);
            acc = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a3 + o)), r3, acc);
            acc = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a4 + o)), r4, acc);
            acc = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a5 + o)), r5, acc);
            acc = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a6 + o)), r6, acc);
            acc = GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a7 + o)), r7, acc);
            acc.intoArray(g, at);
        }
    }

    /** {@link #laneGradient} for one row, whose residuals are at r[from ..]. */
    private static void laneGradientRow(boolean fma, MemorySegment phi, int n, int i, double[] r, int from, int kp,
                                        int go, double[] g) {
        long a = (long) i * n * BYTES;
        DoubleVector rv = DoubleVector.fromArray(S, r, from);
        for (int l = 0; l < n; l++) {
            int at = l * kp + go;
            GemmF64.madd(fma, DoubleVector.broadcast(S, phi.get(E, a + l * BYTES)), rv, DoubleVector.fromArray(S, g, at)).intoArray(g, at);
        }
    }

    /** y_ij, with y null meaning 0 and yCols = 1 one target shared by every right-hand side. */
    private static double target(MemorySegment y, int yCols, int i, int j) {
        return y == null ? 0 : y.getAtIndex(E, (long) i * yCols + (yCols == 1 ? 0 : j));
    }

    /** w ← w − step·g. */
    private static void step(boolean fma, double step, double[] g, double[] w) {
        DoubleVector minusStep = DoubleVector.broadcast(S, -step);
        int n = w.length;
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            GemmF64.madd(fma, DoubleVector.fromArray(S, g, i), minusStep, DoubleVector.fromArray(S, w, i))
                    .intoArray(w, i);
        }
        if (i < n) {
            VectorMask<Double> m = S.indexInRange(i, n);
            GemmF64.madd(fma, DoubleVector.fromArray(S, g, i, m), minusStep, DoubleVector.fromArray(S, w, i, m))
                    .intoArray(w, i, m);
        }
    }

    // ---- λ_max ---------------------------------------------------------------------------

    /**
     * λ_max(ΦᵀΦ/P) by {@link Lanczos} in the smaller dimension, the operator applied in fp64:
     * N ≤ P: v ↦ Φᵀ(Φv)/P in one pass over Φ per step (the GD pass with y = 0);
     * P &lt; N: v ↦ Φ(Φᵀv)/P as a weighted row sum, then one dot product per row.
     */
    static double lambdaMax(Compute cx, MemorySegment phi, int rows, int cols, LambdaMaxOptions options) {
        boolean featureSide = cols <= rows;
        int dim = featureSide ? cols : rows;
        double[] v = new double[dim];
        int per = rowsPerBlock(rows);
        int blocks = GemmF64.ceilDiv(rows, per);
        double[][] grads = featureSide ? new double[blocks][cols] : null;
        double[][] vs = {v};
        boolean[] active = {true};
        return Lanczos.largestEigenvalue(dim, options, (in, out) -> {
            for (int i = 0; i < dim; i++) {
                v[i] = in[i];
            }
            if (featureSide) {
                cx.pool().run(blocks, (worker, b) -> {
                    Arrays.fill(grads[b], 0);
                    residualPass(cx.fma(), phi, cols, b * per, Math.min(rows, (b + 1) * per), vs, active, null, 1,
                            new double[][] {grads[b]}, new double[1]);
                });
                double[] sum = addInOrder(grads, cols);
                for (int j = 0; j < cols; j++) {
                    out[j] = sum[j] / rows;
                }
            } else {
                double[] tmp = weightedRowSum(cx, phi, rows, cols, v);
                cx.pool().run(blocks, (worker, b) -> {
                    for (int i = b * per; i < Math.min(rows, (b + 1) * per); i++) {
                        out[i] = dot(cx.fma(), phi, (long) i * cols * BYTES, tmp, cols) / rows;
                    }
                });
            }
        });
    }

    // ---- feature maps and element-wise ---------------------------------------------------

    /**
     * Φ = σ(s·X Fᵀ) with X a P×M CSR matrix and F N×M, by blocks of {@link #CSR_BLOCK} columns
     * of Φ: a task transposes its rows of F into an M×CSR_BLOCK array Fᵀ_b, small enough to stay in
     * cache (128 B a row: 512 KiB at M = 4096), then for every row i of X sums x_iq·Fᵀ_b[c_q, :]
     * over the row's non-zeros into registers, scales, activates and stores the block of row i.
     * F is read from memory once; the nnz·N reads of the sums are cache hits. Each element is
     * summed over q in ascending order by one task, whatever the thread count. Modifies out.
     */
    static void featureMapSparse(Compute cx, double scale, HostSparseMatrix x, MemorySegment f, int n,
                                 Activation act, MemorySegment out) {
        int m = x.cols();
        int[] start = x.rowStart();
        int[] columns = x.columns();
        double[] values = x.values();
        boolean relu = act == Activation.RELU;
        double[][] fts = new double[cx.pool().threads()][];
        double[][] rows = new double[cx.pool().threads()][];
        cx.pool().run(GemmF32.ceilDiv(n, CSR_BLOCK), (w, t) -> {
            int j0 = t * CSR_BLOCK;
            int width = Math.min(CSR_BLOCK, n - j0);
            // The worker's buffers, reused from block to block. In a last, narrower block the
            // columns past width keep an earlier block's values: their sums are never stored.
            if (fts[w] == null) {
                fts[w] = new double[Math.max(1, m) * CSR_BLOCK];
                rows[w] = new double[m];
            }
            double[] ft = fts[w];
            double[] row = rows[w];
            for (int jj = 0; jj < width; jj++) {
                MemorySegment.copy(f, E, (long) (j0 + jj) * m * BYTES, row, 0, m);
                for (int c = 0; c < m; c++) {
                    ft[c * CSR_BLOCK + jj] = row[c];
                }
            }
            VectorMask<Double> m0 = S.indexInRange(0, width);
            VectorMask<Double> m1 = S.indexInRange(L, width);
            VectorActivation.Scratch activation = new VectorActivation.Scratch();
            for (int i = 0; i < x.rows(); i++) {
                DoubleVector s0 = DoubleVector.zero(S);
                DoubleVector s1 = s0;
                for (int q = start[i]; q < start[i + 1]; q++) {
                    DoubleVector v = DoubleVector.broadcast(S, values[q]);
                    int at = columns[q] * CSR_BLOCK;
                    s0 = GemmF64.madd(cx.fma(), DoubleVector.fromArray(S, ft, at), v, s0);
                    s1 = GemmF64.madd(cx.fma(), DoubleVector.fromArray(S, ft, at + L), v, s1);
                }
                s0 = s0.mul(scale);
                s1 = s1.mul(scale);
                if (relu) {
                    s0 = GemmF64.relu(s0);
                    s1 = GemmF64.relu(s1);
                }
                long o = ((long) i * n + j0) * BYTES;
                if (width == CSR_BLOCK) {
                    s0.intoMemorySegment(out, o, NATIVE);
                    s1.intoMemorySegment(out, o + L * BYTES, NATIVE);
                } else {
                    s0.intoMemorySegment(out, o, NATIVE, m0);
                    s1.intoMemorySegment(out, o + L * BYTES, NATIVE, m1);
                }
                if (VectorActivation.handles(act)) {
                    VectorActivation.applyF64(act, cx.fma(), out, o, width, activation);
                }
            }
        });
    }

    /** a[i][j] ← factors[j]·a[i][j] for a rows×cols matrix, rows split into blocks. Modifies a. */
    static void scaleColumns(Compute cx, MemorySegment a, int rows, int cols, double[] factors) {
        double[] fv = new double[cols];
        for (int j = 0; j < cols; j++) {
            fv[j] = factors[j];
        }
        int per = rowsPerBlock(rows);
        cx.pool().run(GemmF64.ceilDiv(rows, per), (w, t) -> {
            for (int i = t * per; i < Math.min(rows, (t + 1) * per); i++) {
                long at = (long) i * cols * BYTES;
                int bound = S.loopBound(cols);
                int j = 0;
                for (; j < bound; j += L) {
                    DoubleVector.fromMemorySegment(S, a, at + j * BYTES, NATIVE).mul(DoubleVector.fromArray(S, fv, j))
                            .intoMemorySegment(a, at + j * BYTES, NATIVE);
                }
                if (j < cols) {
                    VectorMask<Double> m = S.indexInRange(j, cols);
                    DoubleVector.fromMemorySegment(S, a, at + j * BYTES, NATIVE, m)
                            .mul(DoubleVector.fromArray(S, fv, j, m))
                            .intoMemorySegment(a, at + j * BYTES, NATIVE, m);
                }
            }
        });
    }

    // ---- reductions ----------------------------------------------------------------------

    /** Σ a_i·b_i over two segments of {@code size} elements: chunk sums in fp64, chunks added in order in double. */
    static double dot(Compute cx, MemorySegment a, MemorySegment b, long size) {
        double[] partial = new double[chunks(size)];
        cx.pool().run(partial.length, (w, t) -> {
            long i0 = (long) t * CHUNK;
            int n = (int) Math.min(CHUNK, size - i0);
            DoubleVector acc = DoubleVector.zero(S);
            int bound = S.loopBound(n);
            int i = 0;
            for (; i < bound; i += L) {
                long at = (i0 + i) * BYTES;
                acc = GemmF64.madd(cx.fma(), DoubleVector.fromMemorySegment(S, a, at, NATIVE),
                        DoubleVector.fromMemorySegment(S, b, at, NATIVE), acc);
            }
            if (i < n) {
                VectorMask<Double> m = S.indexInRange(i, n);
                long at = (i0 + i) * BYTES;
                acc = GemmF64.madd(cx.fma(), DoubleVector.fromMemorySegment(S, a, at, NATIVE, m),
                        DoubleVector.fromMemorySegment(S, b, at, NATIVE, m), acc);
            }
            partial[t] = sumLanes(acc);
        });
        return sumInOrder(partial);
    }

    /**
     * Frobenius norm without overflow or underflow: a first pass finds max|a_i| = 2^e·f, a second
     * sums (a_i·2^-e)², exact scalings by a power of two, so every term is at most 4.
     */
    static double norm(Compute cx, MemorySegment a, long size) {
        double[] maxima = new double[chunks(size)];
        cx.pool().run(maxima.length, (w, t) -> {
            long i0 = (long) t * CHUNK;
            int n = (int) Math.min(CHUNK, size - i0);
            DoubleVector max = DoubleVector.zero(S);
            int bound = S.loopBound(n);
            int i = 0;
            for (; i < bound; i += L) {
                max = max.max(DoubleVector.fromMemorySegment(S, a, (i0 + i) * BYTES, NATIVE).abs());
            }
            if (i < n) {
                VectorMask<Double> m = S.indexInRange(i, n);
                max = max.max(DoubleVector.fromMemorySegment(S, a, (i0 + i) * BYTES, NATIVE, m).abs());
            }
            maxima[t] = max.reduceLanes(VectorOperators.MAX); // max is exact in any order
        });
        double max = 0;
        for (double v : maxima) {
            max = Math.max(max, v);
        }
        if (max == 0 || !Double.isFinite(max)) {
            return max;
        }
        int exponent = Math.getExponent(max);
        double down = Math.scalb(1.0, -exponent);
        double[] partial = new double[maxima.length];
        cx.pool().run(partial.length, (w, t) -> {
            long i0 = (long) t * CHUNK;
            int n = (int) Math.min(CHUNK, size - i0);
            DoubleVector acc = DoubleVector.zero(S);
            int bound = S.loopBound(n);
            int i = 0;
            for (; i < bound; i += L) {
                DoubleVector v = DoubleVector.fromMemorySegment(S, a, (i0 + i) * BYTES, NATIVE).mul(down);
                acc = GemmF64.madd(cx.fma(), v, v, acc);
            }
            if (i < n) {
                VectorMask<Double> m = S.indexInRange(i, n);
                DoubleVector v = DoubleVector.fromMemorySegment(S, a, (i0 + i) * BYTES, NATIVE, m).mul(down);
                acc = GemmF64.madd(cx.fma(), v, v, acc);
            }
            partial[t] = sumLanes(acc);
        });
        return Math.sqrt(sumInOrder(partial)) * Math.scalb(1.0, exponent);
    }

    /**
     * Per-column mean squared error of prediction (rows×k) against target (rows×k, or rows×1
     * shared). One column: a flat pass in chunks. Several: rows split into blocks, each keeping
     * per-column fp64 sums, the blocks' sums added in order in double.
     */
    static double[] meanSquaredError(Compute cx, MemorySegment prediction, MemorySegment target, int rows, int k,
                                     int targetCols) {
        double[] mse = new double[k];
        if (k == 1) {
            double[] partial = new double[chunks(rows)];
            cx.pool().run(partial.length, (w, t) -> {
                long i0 = (long) t * CHUNK;
                int n = (int) Math.min(CHUNK, rows - i0);
                DoubleVector acc = DoubleVector.zero(S);
                int bound = S.loopBound(n);
                int i = 0;
                for (; i < bound; i += L) {
                    long at = (i0 + i) * BYTES;
                    DoubleVector d = DoubleVector.fromMemorySegment(S, prediction, at, NATIVE)
                            .sub(DoubleVector.fromMemorySegment(S, target, at, NATIVE));
                    acc = GemmF64.madd(cx.fma(), d, d, acc);
                }
                if (i < n) {
                    VectorMask<Double> m = S.indexInRange(i, n);
                    long at = (i0 + i) * BYTES;
                    DoubleVector d = DoubleVector.fromMemorySegment(S, prediction, at, NATIVE, m)
                            .sub(DoubleVector.fromMemorySegment(S, target, at, NATIVE, m));
                    acc = GemmF64.madd(cx.fma(), d, d, acc);
                }
                partial[t] = sumLanes(acc);
            });
            mse[0] = sumInOrder(partial) / rows;
            return mse;
        }
        int per = rowsPerBlock(rows);
        double[][] partial = new double[GemmF64.ceilDiv(rows, per)][];
        cx.pool().run(partial.length, (w, t) -> {
            double[] acc = new double[k];
            int bound = S.loopBound(k);
            for (int i = t * per; i < Math.min(rows, (t + 1) * per); i++) {
                long at = (long) i * k * BYTES;
                DoubleVector shared = targetCols == 1 ? DoubleVector.broadcast(S, target.getAtIndex(E, i)) : null;
                int j = 0;
                for (; j < bound; j += L) {
                    DoubleVector tv = shared != null ? shared
                            : DoubleVector.fromMemorySegment(S, target, at + j * BYTES, NATIVE);
                    DoubleVector d = DoubleVector.fromMemorySegment(S, prediction, at + j * BYTES, NATIVE).sub(tv);
                    GemmF64.madd(cx.fma(), d, d, DoubleVector.fromArray(S, acc, j)).intoArray(acc, j);
                }
                if (j < k) {
                    VectorMask<Double> m = S.indexInRange(j, k);
                    DoubleVector tv = shared != null ? shared
                            : DoubleVector.fromMemorySegment(S, target, at + j * BYTES, NATIVE, m);
                    DoubleVector d = DoubleVector.fromMemorySegment(S, prediction, at + j * BYTES, NATIVE, m).sub(tv);
                    GemmF64.madd(cx.fma(), d, d, DoubleVector.fromArray(S, acc, j, m)).intoArray(acc, j, m);
                }
            }
            double[] sums = new double[k];
            for (int j = 0; j < k; j++) {
                sums[j] = acc[j];
            }
            partial[t] = sums;
        });
        for (double[] part : partial) {
            for (int j = 0; j < k; j++) {
                mse[j] += part[j];
            }
        }
        for (int j = 0; j < k; j++) {
            mse[j] /= rows;
        }
        return mse;
    }

    private static double sumInOrder(double[] parts) {
        double s = 0;
        for (double p : parts) {
            s += p;
        }
        return s;
    }
}
