package dev.scalekernel.cpu;

import dev.scalekernel.api.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Blocked fp32 GEMM, C = σ(α·op(A)·op(B) + β·C), in the BLIS/GotoBLAS structure:
 * <ol>
 *   <li>op(B) is packed, for a block of columns and the whole depth k, into micro-panels of NR
 *       columns laid out depth-major (the transposition of B is absorbed here), by all workers;</li>
 *   <li>tasks are (MC-row block) × (TASK_COLS-column chunk) tiles of C; each packs its rows of op(A)
 *       KC deep at a time into micro-panels of MR rows, and runs the MR×NR register-tile
 *       micro-kernel over them, B micro-panel outer (reused by every A micro-panel), A micro-panels
 *       inner (the A block stays in L2);</li>
 *   <li>the epilogue merges each register tile into C: α·acc (+ β·C) for the first KC slice,
 *       + α·acc for the next ones, relu after the last; tanh and erf are applied by each task to its
 *       tile of C after the last slice, while it is still in L2.</li>
 * </ol>
 * Every element of C is summed in the same order (KC slices in turn, k ascending inside) by
 * exactly one task, whatever the thread count, so results are bit-identical for any thread count.
 * The fp64 twin {@link GemmF64} is this file with float replaced by double, and its own block sizes.
 */
final class GemmF32 {
    private static final VectorSpecies<Float> S = Species.F32;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat E = ValueLayout.JAVA_FLOAT;
    private static final long BYTES = Float.BYTES;

    /**
     * Rows of the register tile. 8 rows × 2 vectors = 16 accumulators, plus 2 B vectors and one
     * broadcast, fit 32 vector registers (AVX-512, NEON) without spilling; measured alone that
     * tile runs at the FMA peak: ~100% on Zen 5 (notes/perf-anchors.md) and ~116 fp32 GFLOP/s per
     * core on the Zen 4 dev machine, whose double-pumped AVX-512 retires one 512-bit FMA a cycle.
     * With AVX2's 16 registers it spills, yet on Zen 4 at 256 bits it still beat the 4×3 and 6×4
     * tiles that do not (52 against 47 and 41 GFLOP/s), so it is the one tile.
     */
    static final int MR = 8;
    /** Columns of the register tile: two vectors. */
    static final int NR = 2 * L;
    /**
     * Depth of one packed slice. Each slice ends with a sweep of the epilogue over the task's tile
     * of C, whose cache misses cost latency rather than bandwidth, so the slice is as deep as the
     * L2 budget below allows (on the Zen 4 dev machine KC 256 → 512, with MC 256 → 128, took
     * 2-thread sgemm 2048³ from ~137 to ~160 GFLOP/s; 512 → 1024 took it from ~181 to ~189, and
     * n = 1001, one slice instead of two, from ~163 to ~183). A B micro-panel (1024·32·4 B =
     * 128 KiB) then streams from L2, which the kernel's 2 vector loads per 16 FMAs sustain.
     */
    static final int KC = 1024;
    /**
     * Rows of a packed A block and of a task, a multiple of MR: the block (MC·KC·4 B = 512 KiB)
     * fills half the 1 MiB L2, and the A micro-panel in use (MR·KC·4 B = 32 KiB) L1. MC = 64 with
     * the same KC measured 3 % slower.
     */
    static final int MC = 128;
    /**
     * Columns of C per task. Each task re-packs its A block, so a task should span many B
     * micro-panels (1024 columns: A is packed N/1024 times, a few % of the work); the MC-row
     * split gives the load balance.
     */
    static final int TASK_COLS = 32 * NR;
    /**
     * Micro-panels of B packed per packing task: a few per task keeps the hand-out cheap and the
     * copy of B spread over all workers.
     */
    private static final int PANELS_PER_PACK_TASK = 4;
    /**
     * Below this many elements of op(B), the calling thread packs B alone: handing the packing to
     * the workers costs a wake-up of the helper threads, a large share of a small product (fp32
     * n = 256 on 2 threads: ~82 → ~100 GFLOP/s).
     */
    private static final long SERIAL_PACK_LIMIT = 1 << 17;
    /**
     * Upper bound on the packed copy of op(B), in elements (16 Mi fp32 = 64 MiB): beyond it the
     * columns of C are processed in blocks, each with its own packed B.
     */
    private static final long PACKED_B_LIMIT = 1L << 24;
    /** Side of the square tiles in which the lower triangle is mirrored: two 64×64 fp32 tiles stay in L1. */
    private static final int MIRROR_TILE = 64;

    /** MR lanes: one depth step of a packed A micro-panel; used where the hardware has vectors that wide. */
    private static final VectorSpecies<Float> S_MR = FloatVector.SPECIES_256;
    private static final boolean MR_VECTORS = S.vectorBitSize() >= S_MR.vectorBitSize();
    private static final FloatVector INTERLEAVE1_LO = L == 2 * MR ? interleave(1, false) : null;
    private static final FloatVector INTERLEAVE1_HI = L == 2 * MR ? interleave(1, true) : null;
    private static final FloatVector INTERLEAVE2_LO = L == 2 * MR ? interleave(2, false) : null;
    private static final FloatVector INTERLEAVE2_HI = L == 2 * MR ? interleave(2, true) : null;
    private static final FloatVector INTERLEAVE4_LO = L == 2 * MR ? interleave(4, false) : null;
    private static final FloatVector INTERLEAVE4_HI = L == 2 * MR ? interleave(4, true) : null;

    private GemmF32() {
    }

    /** Computes the product; see {@link Product}. */
    static void multiply(Compute cx, Product p) {
        int m = p.m();
        int n = p.n();
        int k = p.k();
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            scaleOnly(cx, p);
            return;
        }
        int totalPanels = ceilDiv(n, NR);
        int blockPanels = (int) Math.max(1, Math.min(totalPanels, PACKED_B_LIMIT / ((long) k * NR)));
        float[] packedB = new float[Math.toIntExact((long) blockPanels * NR * k)];
        int mc = Math.min(MC, roundUp(m, MR));
        int kc = Math.min(KC, k);
        Scratch[] scratch = new Scratch[cx.pool().threads()];
        for (int w = 0; w < scratch.length; w++) {
            scratch[w] = new Scratch(mc * kc, p.transB() ? k : 0);
        }
        for (int j0 = 0; j0 < n; j0 += blockPanels * NR) {
            int blockStart = j0;
            int nc = Math.min(blockPanels * NR, n - j0);
            int panels = ceilDiv(nc, NR);
            if ((long) nc * k < SERIAL_PACK_LIMIT) {
                packB(p, packedB, blockStart, nc, 0, panels, scratch[0].row);
            } else {
                cx.pool().run(ceilDiv(panels, PANELS_PER_PACK_TASK), (w, t) -> packB(p, packedB, blockStart, nc,
                        t * PANELS_PER_PACK_TASK, Math.min(panels, (t + 1) * PANELS_PER_PACK_TASK), scratch[w].row));
            }
            int rowBlocks = ceilDiv(m, MC);
            int chunks = ceilDiv(nc, TASK_COLS);
            cx.pool().run(rowBlocks * chunks, (w, t) -> {
                int i0 = (t / chunks) * MC;
                int c0 = blockStart + (t % chunks) * TASK_COLS;
                tile(cx.fma(), p, packedB, blockStart, i0, Math.min(MC, m - i0), c0,
                        Math.min(TASK_COLS, blockStart + nc - c0), scratch[w]);
            });
        }
        if (p.part() == Product.Part.SYMMETRIC) {
            mirror(cx, p.c(), n, p.ldc());
        }
    }

    /**
     * Per-worker buffers: the packed A block, one register tile, one row of B for transposed
     * packing, and the activation's chunk buffers.
     */
    private static final class Scratch {
        final float[] a;
        final float[] tile = new float[MR * NR];
        final float[] row;
        final VectorActivation.Scratch activation = new VectorActivation.Scratch();

        Scratch(int aSize, int rowSize) {
            a = new float[aSize];
            row = new float[Math.max(rowSize, KC)];
        }
    }

    /** One task: rows [i0, i0+mc) × columns [c0, c0+cw) of C, over the whole depth. */
    private static void tile(boolean fma, Product p, float[] packedB, int blockStart, int i0, int mc, int c0, int cw,
                             Scratch s) {
        if (p.upperOnly() && c0 + cw - 1 < i0) {
            return; // entirely below the diagonal: not wanted (UPPER) or mirrored later (SYMMETRIC)
        }
        int k = p.k();
        int firstPanel = (c0 - blockStart) / NR;
        int panels = ceilDiv(cw, NR);
        float alpha = (float) p.alpha();
        float beta = (float) p.beta();
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            boolean first = p0 == 0;
            boolean last = p0 + kc == k;
            packA(p, i0, mc, p0, kc, s.a, s.row);
            for (int jp = 0; jp < panels; jp++) {
                int col = c0 + jp * NR;
                int nr = Math.min(NR, c0 + cw - col);
                int bOffset = ((firstPanel + jp) * k + p0) * NR;
                for (int ir = 0; ir < mc; ir += MR) {
                    int row = i0 + ir;
                    if (p.upperOnly() && col + nr - 1 < row) {
                        break; // this and every later micro-tile of the panel lie below the diagonal
                    }
                    microKernel(fma, s.a, ir * kc, packedB, bOffset, kc, s.tile);
                    merge(fma, p, s.tile, row, col, Math.min(MR, mc - ir), nr, first, last, alpha, beta);
                }
            }
        }
        if (VectorActivation.handles(p.activation())) {
            // tanh and erf over the task's tile of C, still in L2 from the last slice
            for (int r = i0; r < i0 + mc; r++) {
                VectorActivation.applyF32(p.activation(), fma, p.c(), ((long) r * p.ldc() + c0) * BYTES, cw,
                        s.activation);
            }
        }
    }

    /**
     * The MR×NR register tile: for each depth step, two vectors of B and MR broadcasts of A feed
     * 16 independent multiply–adds (enough to cover the FMA latency on both pipes). The
     * accumulators are locals so that C2 keeps them in registers; they leave once, into tile.
     */
    private static void microKernel(boolean fma, float[] a, int ao, float[] b, int bo, int kc, float[] tile) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S);
        FloatVector c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S);
        FloatVector c71 = FloatVector.zero(S);
        for (int q = 0; q < kc; q++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector x = FloatVector.broadcast(S, a[ao]);
            c00 = madd(fma, x, b0, c00);
            c01 = madd(fma, x, b1, c01);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = madd(fma, x, b0, c10);
            c11 = madd(fma, x, b1, c11);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = madd(fma, x, b0, c20);
            c21 = madd(fma, x, b1, c21);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = madd(fma, x, b0, c30);
            c31 = madd(fma, x, b1, c31);
            x = FloatVector.broadcast(S, a[ao + 4]);
            c40 = madd(fma, x, b0, c40);
            c41 = madd(fma, x, b1, c41);
            x = FloatVector.broadcast(S, a[ao + 5]);
            c50 = madd(fma, x, b0, c50);
            c51 = madd(fma, x, b1, c51);
            x = FloatVector.broadcast(S, a[ao + 6]);
            c60 = madd(fma, x, b0, c60);
            c61 = madd(fma, x, b1, c61);
            x = FloatVector.broadcast(S, a[ao + 7]);
            c70 = madd(fma, x, b0, c70);
            c71 = madd(fma, x, b1, c71);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + L);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + L);
    }

    /** x·y + acc, fused or not; the flag is loop-invariant, so C2 unswitches the loop on it. */
    static FloatVector madd(boolean fma, FloatVector x, FloatVector y, FloatVector acc) {
        return fma ? x.fma(y, acc) : x.mul(y).add(acc);
    }

    /**
     * The epilogue: merges an mr×nr register tile into C at (row, col). First slice:
     * α·acc (+ β·C when β ≠ 0, so C is not read otherwise); later slices: C + α·acc; relu after
     * the last (tanh and erf follow over the task's whole tile, see {@link VectorActivation}).
     * All vector work stays in this one method so that C2 knows the vectors' exact species and
     * keeps them in registers (a vector passed to a method that is not inlined is boxed and runs
     * the Java fallback).
     */
    private static void merge(boolean fma, Product p, float[] tile, int row, int col, int mr, int nr, boolean first,
                              boolean last, float alpha, float beta) {
        MemorySegment c = p.c();
        long ldc = p.ldc();
        boolean relu = last && p.activation() == Activation.RELU;
        boolean readC = !first || beta != 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        FloatVector vb = FloatVector.broadcast(S, first ? beta : 1);
        for (int r = 0; r < mr; r++) {
            long at = ((row + r) * ldc + col) * BYTES;
            for (int v = 0; v < nr; v += L) {
                long cAt = at + v * BYTES;
                FloatVector z = FloatVector.fromArray(S, tile, r * NR + v);
                if (nr - v >= L) {
                    z = readC ? madd(fma, z, va, FloatVector.fromMemorySegment(S, c, cAt, NATIVE).mul(vb)) : z.mul(va);
                    (relu ? relu(z) : z).intoMemorySegment(c, cAt, NATIVE);
                } else {
                    VectorMask<Float> m = S.indexInRange(v, nr);
                    z = readC ? madd(fma, z, va, FloatVector.fromMemorySegment(S, c, cAt, NATIVE, m).mul(vb))
                            : z.mul(va);
                    (relu ? relu(z) : z).intoMemorySegment(c, cAt, NATIVE, m);
                }
            }
        }
    }

    /** max(z, 0) as the reference defines it (z > 0 ? z : 0), so NaN maps to 0 as there. */
    static FloatVector relu(FloatVector v) {
        return FloatVector.zero(S).blend(v, v.compare(VectorOperators.GT, 0));
    }

    /** k = 0: op(A)·op(B) is empty, so C = σ(β·C), with C not read when β = 0. */
    private static void scaleOnly(Compute cx, Product p) {
        MemorySegment c = p.c();
        float beta = (float) p.beta();
        Activation act = p.activation();
        for (int i = 0; i < p.m(); i++) {
            for (int j = 0; j < p.n(); j++) {
                long at = (long) i * p.ldc() + j;
                float v = beta == 0 ? 0 : beta * c.getAtIndex(E, at);
                c.setAtIndex(E, at, (float) act.apply(v));
            }
        }
    }

    /**
     * Packs rows [i0, i0+mc) and depth [p0, p0+kc) of op(A) into micro-panels of MR rows, each
     * stored depth-major (MR values per depth step), rows past m zero-padded.
     */
    private static void packA(Product p, int i0, int mc, int p0, int kc, float[] dst, float[] row) {
        MemorySegment a = p.a();
        long lda = p.lda();
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int base = ir * kc;
            if (p.transA()) {
                // A is k×m: the MR rows of one depth step are contiguous, one vector of MR lanes.
                for (int q = 0; q < kc; q++) {
                    long from = (p0 + q) * lda + i0 + ir;
                    int to = base + q * MR;
                    if (mr == MR && MR_VECTORS) {
                        FloatVector.fromMemorySegment(S_MR, a, from * BYTES, NATIVE).intoArray(dst, to);
                        continue;
                    }
                    for (int r = 0; r < mr; r++) {
                        dst[to + r] = a.getAtIndex(E, from + r);
                    }
                    for (int r = mr; r < MR; r++) {
                        dst[to + r] = 0;
                    }
                }
            } else if (mr == MR && L == 2 * MR) {
                // A is m×k, a whole micro-panel: 8×16 blocks transposed in registers
                int q = 0;
                for (; q + L <= kc; q += L) {
                    transpose8x16(a, ((i0 + ir) * lda + p0 + q) * BYTES, lda * BYTES, dst, base + q * MR);
                }
                for (; q < kc; q++) {
                    for (int r = 0; r < MR; r++) {
                        dst[base + q * MR + r] = a.getAtIndex(E, (i0 + ir + r) * lda + p0 + q);
                    }
                }
            } else {
                // A is m×k: copy each row out in bulk, then interleave it into the panel.
                for (int r = 0; r < MR; r++) {
                    if (r < mr) {
                        MemorySegment.copy(a, E, ((i0 + ir + r) * lda + p0) * BYTES, row, 0, kc);
                        for (int q = 0; q < kc; q++) {
                            dst[base + q * MR + r] = row[q];
                        }
                    } else {
                        for (int q = 0; q < kc; q++) {
                            dst[base + q * MR + r] = 0;
                        }
                    }
                }
            }
        }
    }

    /**
     * dst[o + d·8 + r] = A[r][d] for the 8×16 block of A whose row r starts at byte at + r·rowBytes:
     * three rounds of two-source lane selections interleave the 8 rows by 1, 2, then 4 lanes
     * (24 selections for 128 elements, where the scalar interleave moves them one by one).
     */
    private static void transpose8x16(MemorySegment a, long at, long rowBytes, float[] dst, int o) {
        FloatVector r0 = FloatVector.fromMemorySegment(S, a, at, NATIVE);
        FloatVector r1 = FloatVector.fromMemorySegment(S, a, at + rowBytes, NATIVE);
        FloatVector r2 = FloatVector.fromMemorySegment(S, a, at + 2 * rowBytes, NATIVE);
        FloatVector r3 = FloatVector.fromMemorySegment(S, a, at + 3 * rowBytes, NATIVE);
        FloatVector r4 = FloatVector.fromMemorySegment(S, a, at + 4 * rowBytes, NATIVE);
        FloatVector r5 = FloatVector.fromMemorySegment(S, a, at + 5 * rowBytes, NATIVE);
        FloatVector r6 = FloatVector.fromMemorySegment(S, a, at + 6 * rowBytes, NATIVE);
        FloatVector r7 = FloatVector.fromMemorySegment(S, a, at + 7 * rowBytes, NATIVE);
        // round 1: rows in pairs, lanes interleaved: a0 = r0[0] r1[0] r0[1] r1[1] … (depths 0–7), a1 depths 8–15
        FloatVector a0 = INTERLEAVE1_LO.selectFrom(r0, r1);
        FloatVector a1 = INTERLEAVE1_HI.selectFrom(r0, r1);
        FloatVector a2 = INTERLEAVE1_LO.selectFrom(r2, r3);
        FloatVector a3 = INTERLEAVE1_HI.selectFrom(r2, r3);
        FloatVector a4 = INTERLEAVE1_LO.selectFrom(r4, r5);
        FloatVector a5 = INTERLEAVE1_HI.selectFrom(r4, r5);
        FloatVector a6 = INTERLEAVE1_LO.selectFrom(r6, r7);
        FloatVector a7 = INTERLEAVE1_HI.selectFrom(r6, r7);
        // round 2: pairs of lanes: b0 = rows 0–3 at depths 0–3, b1 depths 4–7, b2 8–11, b3 12–15; b4–b7 rows 4–7
        FloatVector b0 = INTERLEAVE2_LO.selectFrom(a0, a2);
        FloatVector b1 = INTERLEAVE2_HI.selectFrom(a0, a2);
        FloatVector b2 = INTERLEAVE2_LO.selectFrom(a1, a3);
        FloatVector b3 = INTERLEAVE2_HI.selectFrom(a1, a3);
        FloatVector b4 = INTERLEAVE2_LO.selectFrom(a4, a6);
        FloatVector b5 = INTERLEAVE2_HI.selectFrom(a4, a6);
        FloatVector b6 = INTERLEAVE2_LO.selectFrom(a5, a7);
        FloatVector b7 = INTERLEAVE2_HI.selectFrom(a5, a7);
        // round 3: quadruples: rows 0–7 at depths 2j and 2j + 1
        INTERLEAVE4_LO.selectFrom(b0, b4).intoArray(dst, o);
        INTERLEAVE4_HI.selectFrom(b0, b4).intoArray(dst, o + L);
        INTERLEAVE4_LO.selectFrom(b1, b5).intoArray(dst, o + 2 * L);
        INTERLEAVE4_HI.selectFrom(b1, b5).intoArray(dst, o + 3 * L);
        INTERLEAVE4_LO.selectFrom(b2, b6).intoArray(dst, o + 4 * L);
        INTERLEAVE4_HI.selectFrom(b2, b6).intoArray(dst, o + 5 * L);
        INTERLEAVE4_LO.selectFrom(b3, b7).intoArray(dst, o + 6 * L);
        INTERLEAVE4_HI.selectFrom(b3, b7).intoArray(dst, o + 7 * L);
    }

    /**
     * Lane indices for {@link #transpose8x16}: lane l of interleave(g) takes, from groups of g lanes,
     * alternately the first source (index &lt; L) and the second (index − L), from the low or the high
     * half of the sources.
     */
    private static FloatVector interleave(int g, boolean high) {
        float[] index = new float[L];
        for (int l = 0; l < L; l++) {
            int within = l % (2 * g);
            int lane = (l / (2 * g)) * g + within % g + (high ? L / 2 : 0);
            index[l] = (within < g ? 0 : L) + lane;
        }
        return FloatVector.fromArray(S, index, 0);
    }

    /**
     * Packs micro-panels [from, to) of columns [j0, j0+nc) of op(B), the whole depth k: panel jp
     * holds, for each depth step, its NR columns (zero-padded past n) at ((jp·k) + q)·NR.
     */
    private static void packB(Product p, float[] dst, int j0, int nc, int from, int to, float[] row) {
        MemorySegment b = p.b();
        int k = p.k();
        long ldb = p.ldb();
        for (int jp = from; jp < to; jp++) {
            int col = j0 + jp * NR;
            int nr = Math.min(NR, j0 + nc - col);
            int base = jp * k * NR;
            if (p.transB()) {
                // B is n×k: column j of op(B) is row j of B, contiguous; interleave it.
                for (int c = 0; c < NR; c++) {
                    if (c < nr) {
                        MemorySegment.copy(b, E, (col + c) * ldb * BYTES, row, 0, k);
                        for (int q = 0; q < k; q++) {
                            dst[base + q * NR + c] = row[q];
                        }
                    } else {
                        for (int q = 0; q < k; q++) {
                            dst[base + q * NR + c] = 0;
                        }
                    }
                }
            } else {
                // B is k×n: the NR columns of one depth step are contiguous, two vectors.
                VectorMask<Float> m0 = S.indexInRange(0, nr);
                VectorMask<Float> m1 = S.indexInRange(L, nr);
                for (int q = 0; q < k; q++) {
                    long at = (q * ldb + col) * BYTES;
                    int to0 = base + q * NR;
                    if (nr == NR) {
                        FloatVector.fromMemorySegment(S, b, at, NATIVE).intoArray(dst, to0);
                        FloatVector.fromMemorySegment(S, b, at + L * BYTES, NATIVE).intoArray(dst, to0 + L);
                    } else {
                        FloatVector.fromMemorySegment(S, b, at, NATIVE, m0).intoArray(dst, to0);
                        FloatVector.fromMemorySegment(S, b, at + L * BYTES, NATIVE, m1).intoArray(dst, to0 + L);
                    }
                }
            }
        }
    }

    /**
     * Copies the upper triangle of the n×n matrix c (leading dimension ldc) onto its lower triangle,
     * by tasks of {@link #MIRROR_TILE} rows of the lower triangle. Within a task, each block of 8
     * rows × 16 columns strictly above the diagonal is transposed in registers ({@link #transpose8x16})
     * and written as 16 rows of 8 (measured at n = 4096 fp32: the element-by-element copy took 4 % of
     * a Gram call); the triangle next to the diagonal and ragged edges go element by element.
     */
    private static void mirror(Compute cx, MemorySegment c, int n, long ldc) {
        cx.pool().run(ceilDiv(n, MIRROR_TILE), (w, t) -> {
            int i0 = t * MIRROR_TILE;
            int i1 = Math.min(n, i0 + MIRROR_TILE);
            int blocked = 0; // columns [0, blocked) of rows [i0, rows) are done by blocks
            int rows = i0;
            if (L == 2 * MR && MR_VECTORS) {
                float[] block = new float[MR * L];
                int iv = i0 + (i1 - i0) / L * L;
                int j = 0;
                for (; j + MR <= i0; j += MR) {
                    // source rows j .. j+7 lie above every row i ≥ i0 of the task
                    for (int i = i0; i < iv; i += L) {
                        transpose8x16(c, (j * ldc + i) * BYTES, ldc * BYTES, block, 0);
                        for (int r = 0; r < L; r++) {
                            FloatVector.fromArray(S_MR, block, r * MR).intoMemorySegment(c, ((i + r) * ldc + j) * BYTES, NATIVE);
                        }
                    }
                }
                blocked = j;
                rows = iv;
            }
            // the rest, element by element: rows [i0, rows) from column blocked on, the ragged rows after them from 0
            for (int i = i0; i < i1; i++) {
                for (int q = i < rows ? blocked : 0; q < i; q++) {
                    c.setAtIndex(E, i * ldc + q, c.getAtIndex(E, q * ldc + i));
                }
            }
        });
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }
}
