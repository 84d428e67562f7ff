package dev.scalekernel.cpu;

import dev.scalekernel.api.Activation;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Cholesky factorisation G = UᵀU of a symmetric positive definite n×n matrix and the solve
 * G X = B, in double, blocked and threaded: the ridge solve's replacement for the reference's
 * scalar {@code Cholesky}, with the same failure rule.
 *
 * <p><b>Why double for both dtypes.</b> A ridge system has condition number up to
 * (λ_max + λ)/λ, easily 10⁶ or more for a small ridge. Cholesky's backward error is about
 * n·u·‖G‖ (Higham Thm 10.4), magnified by κ in the solution: in fp32 (u = 2^-24) that alone
 * could exceed the solution for n in the thousands, while in double it stays far below the
 * error of forming G in fp32, which is the best an fp32 backend can do. The pivot threshold
 * n·2^-52·max(diag) is also defined in double.
 *
 * <p><b>Algorithm</b> (right-looking, upper storage, panels of {@link #PANEL} rows): for each
 * panel, (1) factor its diagonal block U₁₁ on one thread; (2) U₁₂ = U₁₁⁻ᵀ A₁₂ by forward
 * substitution along whole rows, threaded over fixed strips of {@link #STRIP} columns; (3) the
 * trailing update A₂₂ ← A₂₂ − U₁₂ᵀU₁₂ by {@link GemmF64} on the upper triangle only, where
 * almost all of the n³/3 flops are. Upper storage makes step 2 axpys along contiguous rows (no
 * reductions) and step 3 a plain transposed-A product. Only the upper triangle of g is read and
 * written; the lower triangle is left unspecified.
 *
 * <p><b>Determinism.</b> Task boundaries depend only on n; each element is computed by one task
 * in a fixed order; the solves' dot products add their lanes in lane order. The result is
 * bit-identical for every thread count.
 */
final class BlockedCholesky {
    private static final VectorSpecies<Double> S = Species.F64;
    private static final int L = S.length();
    private static final ValueLayout.OfDouble E = ValueLayout.JAVA_DOUBLE;
    private static final long BYTES = Double.BYTES;

    /**
     * Rows per panel, the depth of each trailing update. The diagonal factor (n·PANEL²/3 flops,
     * one thread) and the panel solve (n²·PANEL/2 flops, axpy speed) grow with it; the trailing
     * GEMM runs below its speed for depths much under its KC = 512 because each register tile's
     * epilogue (a read and a write of C) is amortised over fewer steps. On the Zen 4 dev machine
     * (2 threads) 128 was fastest at n = 2048, ~68 GFLOP/s against ~62 for 256 and 55–64 for 64;
     * at n = 1024 the three were within the noise.
     */
    static final int PANEL = 128;
    /**
     * Columns of U₁₂ per panel-solve task: four vectors, four independent multiply–add chains
     * per step (enough to hide the FMA latency). The packed strip, PANEL × 4 vectors (32 KiB at
     * 512 bits), stays in L1; packing it also avoids the cache-set conflicts of walking a column
     * of rows n·8 bytes apart.
     */
    static final int STRIP = 4 * L;
    /**
     * Right-hand sides per solve task: the group shares each row of U while it is in cache, so U
     * streams from memory once per group rather than once per right-hand side.
     */
    private static final int RHS_PER_TASK = 8;

    private BlockedCholesky() {
    }

    /**
     * Solves G X = B in place: g is an n×n row-major symmetric matrix (its upper triangle is read)
     * and holds U on return; b[r] is right-hand side r (length n) and holds solution r on return.
     * A pivot at or below n·2^-52·max(diag G) means G is not numerically positive definite:
     * {@link ArithmeticException} naming {@code what} and the pivot, as the reference throws.
     */
    static void solveInPlace(Compute cx, MemorySegment g, int n, double[][] b, String what) {
        factor(cx, g, n, what);
        int k = b.length;
        cx.pool().run(GemmF64.ceilDiv(k, RHS_PER_TASK), (w, t) -> {
            int r0 = t * RHS_PER_TASK;
            int r1 = Math.min(k, r0 + RHS_PER_TASK);
            forward(cx.fma(), g, n, b, r0, r1);
            backward(cx.fma(), g, n, b, r0, r1);
        });
    }

    /** G = UᵀU with U written over the upper triangle of g. */
    static void factor(Compute cx, MemorySegment g, int n, String what) {
        double maxDiag = 0;
        for (int i = 0; i < n; i++) {
            maxDiag = Math.max(maxDiag, Math.abs(g.getAtIndex(E, (long) i * n + i)));
        }
        double threshold = n * 0x1.0p-52 * maxDiag;
        double[] block = new double[PANEL * PANEL];
        double[] lower = new double[PANEL * PANEL];
        double[][] strips = new double[cx.pool().threads()][PANEL * STRIP];
        for (int j0 = 0; j0 < n; j0 += PANEL) {
            int nb = Math.min(PANEL, n - j0);
            factorDiagonal(cx.fma(), g, n, j0, nb, threshold, what, block);
            if (j0 + nb < n) {
                updateRight(cx, g, n, j0, nb, block, lower, strips);
            }
        }
    }

    /**
     * Steps 2 and 3 for the panel of rows [j0, j0+nb), whose U₁₁ is in {@code block}: the panel
     * solve for the columns right of it, then the trailing update of the rows below it.
     */
    private static void updateRight(Compute cx, MemorySegment g, int n, int j0, int nb, double[] block,
                                    double[] lower, double[][] strips) {
        int col = j0 + nb;
        int m = n - col;
        // −U₁₁ᵀ row-major, so that the panel solve reads the multipliers of a row contiguously.
        for (int c = 0; c < nb; c++) {
            for (int q = 0; q < c; q++) {
                lower[c * nb + q] = -block[q * nb + c];
            }
        }
        cx.pool().run(GemmF64.ceilDiv(m, STRIP), (w, t) -> {
            int c0 = col + t * STRIP;
            solveStrip(cx.fma(), g, n, j0, nb, c0, Math.min(STRIP, n - c0), block, lower, strips[w]);
        });
        long panelAt = ((long) j0 * n + col) * BYTES;
        long trailingAt = ((long) col * n + col) * BYTES;
        GemmF64.multiply(cx, new Product(true, false, m, m, nb, -1, g.asSlice(panelAt), n, g.asSlice(panelAt), n, 1,
                g.asSlice(trailingAt), n, Activation.IDENTITY, Product.Part.UPPER));
    }

    /**
     * Factors the nb×nb diagonal block at (j0, j0) on one thread, right-looking: each pivot row is
     * divided by √pivot, then its outer product leaves the rows below it. The block is copied into
     * {@code block} (row-major, leading dimension nb), which keeps U₁₁ on return.
     */
    private static void factorDiagonal(boolean fma, MemorySegment g, int n, int j0, int nb, double threshold,
                                       String what, double[] block) {
        for (int r = 0; r < nb; r++) {
            MemorySegment.copy(g, E, ((long) (j0 + r) * n + j0 + r) * BYTES, block, r * nb + r, nb - r);
        }
        for (int c = 0; c < nb; c++) {
            double d = block[c * nb + c];
            if (!(d > threshold)) {
                throw new ArithmeticException("ridgeSolve: the " + what
                        + " is not numerically positive definite (pivot " + (j0 + c) + " is " + d
                        + "); use a ridge > 0 or fewer features than samples");
            }
            double pivot = Math.sqrt(d);
            block[c * nb + c] = pivot;
            divide(block, c * nb + c + 1, nb - c - 1, pivot);
            for (int r = c + 1; r < nb; r++) {
                axpy(fma, -block[c * nb + r], block, c * nb + r, block, r * nb + r, nb - r);
            }
        }
        for (int r = 0; r < nb; r++) {
            MemorySegment.copy(block, r * nb + r, g, E, ((long) (j0 + r) * n + j0 + r) * BYTES, nb - r);
        }
    }

    /**
     * Columns [c0, c0+w) of the panel solve U₁₂ = U₁₁⁻ᵀ A₁₂, rows j0..j0+nb: row c becomes
     * (A[c] − Σ_{q<c} U₁₁[q,c]·U₁₂[q]) / U₁₁[c,c], with the strip packed into the worker's
     * {@code strip} and its four accumulators kept in registers. In a last, narrower strip the
     * columns past w hold whatever the buffer held: columns do not mix, and they are not stored.
     */
    private static void solveStrip(boolean fma, MemorySegment g, int n, int j0, int nb, int c0, int w, double[] block,
                                   double[] lower, double[] strip) {
        for (int r = 0; r < nb; r++) {
            MemorySegment.copy(g, E, ((long) (j0 + r) * n + c0) * BYTES, strip, r * STRIP, w);
        }
        for (int c = 0; c < nb; c++) {
            int at = c * STRIP;
            DoubleVector a0 = DoubleVector.fromArray(S, strip, at);
            DoubleVector a1 = DoubleVector.fromArray(S, strip, at + L);
            DoubleVector a2 = DoubleVector.fromArray(S, strip, at + 2 * L);
            DoubleVector a3 = DoubleVector.fromArray(S, strip, at + 3 * L);
            for (int q = 0, from = 0; q < c; q++, from += STRIP) {
                DoubleVector x = DoubleVector.broadcast(S, lower[c * nb + q]);
                a0 = GemmF64.madd(fma, x, DoubleVector.fromArray(S, strip, from), a0);
                a1 = GemmF64.madd(fma, x, DoubleVector.fromArray(S, strip, from + L), a1);
                a2 = GemmF64.madd(fma, x, DoubleVector.fromArray(S, strip, from + 2 * L), a2);
                a3 = GemmF64.madd(fma, x, DoubleVector.fromArray(S, strip, from + 3 * L), a3);
            }
            double pivot = block[c * nb + c];
            a0.div(pivot).intoArray(strip, at);
            a1.div(pivot).intoArray(strip, at + L);
            a2.div(pivot).intoArray(strip, at + 2 * L);
            a3.div(pivot).intoArray(strip, at + 3 * L);
        }
        for (int r = 0; r < nb; r++) {
            MemorySegment.copy(strip, r * STRIP, g, E, ((long) (j0 + r) * n + c0) * BYTES, w);
        }
    }

    /**
     * Uᵀ z = b for right-hand sides [r0, r1), in place, by columns of Uᵀ (rows of U): z_i = b_i/U_ii,
     * then b_j −= z_i·U_ij for j > i, an axpy along row i of U while it is in cache for the group.
     */
    private static void forward(boolean fma, MemorySegment u, int n, double[][] b, int r0, int r1) {
        double[] row = new double[n];
        for (int i = 0; i < n; i++) {
            int len = n - i - 1;
            MemorySegment.copy(u, E, ((long) i * n + i) * BYTES, row, 0, len + 1);
            for (int r = r0; r < r1; r++) {
                double z = b[r][i] / row[0];
                b[r][i] = z;
                axpy(fma, -z, row, 1, b[r], i + 1, len);
            }
        }
    }

    /** U x = z for right-hand sides [r0, r1), in place: x_i = (z_i − Σ_{j>i} U_ij·x_j) / U_ii, i descending. */
    private static void backward(boolean fma, MemorySegment u, int n, double[][] b, int r0, int r1) {
        double[] row = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            int len = n - i - 1;
            MemorySegment.copy(u, E, ((long) i * n + i) * BYTES, row, 0, len + 1);
            for (int r = r0; r < r1; r++) {
                b[r][i] = (b[r][i] - dot(fma, row, 1, b[r], i + 1, len)) / row[0];
            }
        }
    }

    // ---- vector primitives on arrays -----------------------------------------------------

    /** y[yo..yo+len) += alpha·x[xo..xo+len). */
    private static void axpy(boolean fma, double alpha, double[] x, int xo, double[] y, int yo, int len) {
        DoubleVector va = DoubleVector.broadcast(S, alpha);
        int bound = S.loopBound(len);
        int i = 0;
        for (; i < bound; i += L) {
            GemmF64.madd(fma, DoubleVector.fromArray(S, x, xo + i), va, DoubleVector.fromArray(S, y, yo + i))
                    .intoArray(y, yo + i);
        }
        if (i < len) {
            VectorMask<Double> m = S.indexInRange(i, len);
            GemmF64.madd(fma, DoubleVector.fromArray(S, x, xo + i, m), va, DoubleVector.fromArray(S, y, yo + i, m))
                    .intoArray(y, yo + i, m);
        }
    }

    /** Σ x[xo+i]·y[yo+i] over i < len, lanes added in lane order ({@link DenseF64#sumLanes}). */
    private static double dot(boolean fma, double[] x, int xo, double[] y, int yo, int len) {
        DoubleVector acc = DoubleVector.zero(S);
        int bound = S.loopBound(len);
        int i = 0;
        for (; i < bound; i += L) {
            acc = GemmF64.madd(fma, DoubleVector.fromArray(S, x, xo + i), DoubleVector.fromArray(S, y, yo + i), acc);
        }
        if (i < len) {
            VectorMask<Double> m = S.indexInRange(i, len);
            acc = GemmF64.madd(fma, DoubleVector.fromArray(S, x, xo + i, m), DoubleVector.fromArray(S, y, yo + i, m),
                    acc);
        }
        return DenseF64.sumLanes(acc);
    }

    /** a[from..from+len) /= divisor (a division, not a multiplication by the reciprocal: one rounding). */
    private static void divide(double[] a, int from, int len, double divisor) {
        int bound = S.loopBound(len);
        int i = 0;
        for (; i < bound; i += L) {
            DoubleVector.fromArray(S, a, from + i).div(divisor).intoArray(a, from + i);
        }
        if (i < len) {
            VectorMask<Double> m = S.indexInRange(i, len);
            DoubleVector.fromArray(S, a, from + i, m).div(divisor).intoArray(a, from + i, m);
        }
    }
}
