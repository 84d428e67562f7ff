package dev.scalekernel.cpu;

import dev.scalekernel.api.DType;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.api.random.Philox;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Gaussian and uniform fills from the Philox stream, bit-identical to {@link Philox} (and so to the
 * reference and GPU backends): element i is number offset + i of the stream, whose Philox block is
 * (offset + i) div 4 (fp32) or div 2 (fp64).
 *
 * <p><b>Vectors.</b> Each 64-bit lane of an {@link Species#I64} vector runs Philox4x32-10 for one
 * block; a group is one block per lane, consecutive blocks in consecutive lanes. A lane holds a
 * 32-bit word in its low half and whatever its high half happens to hold: a product takes the
 * low halves only ({@code (x & LO)·(M & LO)}, which C2 compiles to VPMULUDQ, 32×32→64 bits), and
 * the words are masked or shifted where they leave the lane. Two words of a block are then packed
 * per lane (low half, high half) in the pairing the numbers need, so that the number kernels run
 * on full vectors: fp32 Box–Muller on the lane pairs (w0, w2) and (w1, w3) of each block, fp64
 * on the 64-bit numbers w0:w1 and w2:w3. One two-vector permutation per output vector
 * ({@code selectFrom} with ZIP indexes) puts the numbers in stream order.
 *
 * <p><b>Same bits as {@link dev.scalekernel.api.random.DetMath}.</b> The vector code performs
 * DetMath's operations in DetMath's order: log by the same exponent split (done on the integer
 * bits, which yields the same m and e as DetMath's comparison with √2), the same Horner
 * polynomials with fma — always fused, whatever {@code BackendOptions.fma} says, since DetMath
 * fuses them — and sin/cos by the same quadrant reduction. Only steps that are exact or correctly
 * rounded are re-expressed: Math.rint(4u) as (4u + 1.5·2^p) − 1.5·2^p (exact for 0 &lt; 4u &lt; 4,
 * ties to even like rint), which also leaves the quadrant in the low bits; the uniforms
 * (2k + 1)·2^-24 as (1 + k·2^-23) − (1 − 2^-24), and 4u as (4 + k·2^-21) − (4 − 2^-22), exact
 * since the results are representable, and fp64 likewise; (float) e as a conversion and
 * (double) e as a magic-number subtraction, both exact; fp32 sqrt(double) rounded to float as a
 * float sqrt (both correctly rounded, since 53 ≥ 2·24 + 2); the quadrant's choice between sin x
 * and cos x as a bitwise select and its negations as sign-bit flips. Each of these is exact or
 * correctly rounded in C2 code and in the Vector API's Java fallback alike, and no operation
 * crosses lanes except the final permutation, so a number's bits depend only on its index: never
 * on chunking, thread count, JIT state or which lane computed it.
 *
 * <p><b>Passes.</b> A task's groups are processed a span at a time: the Philox words of the span
 * into two small arrays, then the numbers from them, straight into the output. Loops of ~80
 * (Philox) and ~60 (numbers) vector operations compile well: C2 inlines everything and keeps the
 * vectors in registers. Both are latency-bound if written one group per iteration, so Philox
 * runs four groups side by side and Box–Muller is software-pipelined by one group. The loops call
 * no method of ours with a vector: where C2 declines to inline one (it did for a store helper),
 * every vector crossing it is boxed and the fill runs several times slower. Stores go straight to
 * the output segment, where the memory traffic overlaps the arithmetic; numbers gathered in an
 * array and copied a span at a time were 18% slower for outputs larger than the caches.
 *
 * <p><b>Threads.</b> Each task fills a fixed chunk of elements. A group that straddles a chunk
 * edge is computed by both neighbours; each stores its own part through a small buffer.
 */
final class RandomFill {
    /** Elements per task: 16 Ki normals take ~16 µs, long enough to amortise handing the task out. */
    private static final int CHUNK = 1 << 14;

    private static final VectorSpecies<Long> I64 = Species.I64;
    private static final VectorSpecies<Integer> I32 = Species.I32;
    private static final VectorSpecies<Float> F32 = Species.F32;
    private static final VectorSpecies<Double> F64 = Species.F64;
    /** Blocks per group: one per 64-bit lane. */
    private static final int BLOCKS = I64.length();
    /** Bytes of one vector, and of a group's numbers (two vectors, for every kind). */
    private static final int VECTOR_BYTES = I64.vectorByteSize();
    /**
     * Groups per span: a span's words, 2 × 64 × 8 longs (8 KiB with 512-bit vectors), are written
     * by the Philox pass and read back from L1 by the next. A multiple of 4, Philox's groups at a time.
     */
    private static final int SPAN = 64;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    // Philox4x32-10 (the constants of Philox.java).
    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final int ROUNDS = 10;
    private static final long LO = 0xFFFF_FFFFL;

    // DetMath's constants, copied bit for bit (kernel-cpu's RandomFillTest compares the results
    // with DetMath's over millions of numbers, so a changed digit cannot go unnoticed).
    private static final float LN2_F = 0x1.62e43p-1f;
    private static final float[] ATANH_F = {
        0x1.555556p-2f, 0x1.99999ap-3f, 0x1.24924ap-3f, 0x1.c71c72p-4f, 0x1.745d18p-4f, 0x1.3b13b2p-4f};
    private static final double LN2_D = 0x1.62e42fefa39efp-1;
    private static final double[] ATANH_D = {
        0x1.5555555555555p-2, 0x1.999999999999ap-3, 0x1.2492492492492p-3, 0x1.c71c71c71c71cp-4,
        0x1.745d1745d1746p-4, 0x1.3b13b13b13b14p-4, 0x1.1111111111111p-4, 0x1.e1e1e1e1e1e1ep-5,
        0x1.af286bca1af28p-5, 0x1.8618618618618p-5, 0x1.642c8590b2164p-5, 0x1.47ae147ae147bp-5};
    private static final float PI_2_F = 0x1.921fb6p0f;
    private static final float[] SIN_F = {-0x1.555556p-3f, 0x1.111112p-7f, -0x1.a01a02p-13f, 0x1.71de3ap-19f};
    private static final float[] COS_F = {0x1.555556p-5f, -0x1.6c16c2p-10f, 0x1.a01a02p-16f, -0x1.27e4fcp-22f};
    private static final double PI_2_D = 0x1.921fb54442d18p0;
    private static final double[] SIN_D = {
        -0x1.5555555555555p-3, 0x1.1111111111111p-7, -0x1.a01a01a01a01ap-13, 0x1.71de3a556c734p-19,
        -0x1.ae64567f544e4p-26, 0x1.6124613a86d09p-33, -0x1.ae7f3e733b81fp-41, 0x1.952c77030ad4ap-49};
    private static final double[] COS_D = {
        0x1.5555555555555p-5, -0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-16, -0x1.27e4fb7789f5cp-22,
        0x1.1eed8eff8d898p-29, -0x1.93974a8c07c9dp-37, 0x1.ae7f3e733b81fp-45, -0x1.6827863b97d97p-53};

    /**
     * Bits of the smallest float above √2/2 rounded (√2 rounded, halved, plus one ulp): x − this
     * has the exponent e of DetMath's split in its top bits and m's mantissa offset in the rest.
     */
    private static final int LOG_SPLIT_F = 0x3F35_04F4;
    private static final long LOG_SPLIT_D = 0x3FE6_A09E_667F_3BCEL;
    /** 1.5·2^23 and 1.5·2^52: x + this rounds 0 ≤ x &lt; 2^22 (2^51) to an integer, kept in the low bits. */
    private static final float ROUND_F = 0x1.8p23f;
    private static final double ROUND_D = 0x1.8p52;
    private static final long ROUND_D_BITS = Double.doubleToRawLongBits(ROUND_D);
    /** 1 − 2^-24 and 1 − 2^-53: (1 + k·2^-23) − this = (2k + 1)·2^-24, Philox.uniformF32 (and F64). */
    private static final float UNIFORM_F = 1 - 0x1.0p-24f;
    private static final double UNIFORM_D = 1 - 0x1.0p-53;
    private static final int ONE_F_BITS = 0x3F80_0000;
    /** 4 − 2^-22 and 4 − 2^-51, with 4's bits: 4·u from the same words, exactly. */
    private static final float QUARTERS_F = 4 - 0x1.0p-22f;
    private static final double QUARTERS_D = 4 - 0x1.0p-51;
    private static final int FOUR_F_BITS = 0x4080_0000;
    private static final long FOUR_D_BITS = 0x4010_0000_0000_0000L;
    private static final long ONE_D_BITS = 0x3FF0_0000_0000_0000L;
    private static final long MANTISSA_D = 0x000F_FFFF_FFFF_FFFFL;

    private RandomFill() {
    }

    /** out[i] = mean + std·z_i, computed as fma(std, z, mean) in the dtype, like the reference. */
    static void gaussian(WorkerPool pool, MemorySegment out, DType dtype, long size, RandomStream rs, double mean,
                         double std) {
        run(pool, dtype == DType.F32 ? Kind.NORMAL_F32 : Kind.NORMAL_F64, out, size, rs, mean, std);
    }

    /** out[i] = lo + (hi − lo)·u_i, computed as fma(hi − lo, u, lo) in the dtype, like the reference. */
    static void uniform(WorkerPool pool, MemorySegment out, DType dtype, long size, RandomStream rs, double lo,
                        double hi) {
        run(pool, dtype == DType.F32 ? Kind.UNIFORM_F32 : Kind.UNIFORM_F64, out, size, rs, lo, hi);
    }

    private enum Kind {
        NORMAL_F32(4, Philox.TAG_NORMAL_F32),
        NORMAL_F64(2, Philox.TAG_NORMAL_F64),
        UNIFORM_F32(4, Philox.TAG_UNIFORM_F32),
        UNIFORM_F64(2, Philox.TAG_UNIFORM_F64);

        /** Numbers per Philox block. */
        final int perBlock;
        final int tag;

        Kind(int perBlock, int tag) {
            this.perBlock = perBlock;
            this.tag = tag;
        }
    }

    /** One worker's arrays: a span's Philox words, two longs per block, and one group's numbers. */
    private static final class Scratch {
        /** One group more than a span: the pipelined Box–Muller kernels read one group ahead. */
        final long[] a = new long[(SPAN + 1) * BLOCKS];
        final long[] b = new long[(SPAN + 1) * BLOCKS];
        final long[] edge = new long[2 * BLOCKS];
        final MemorySegment edgeBytes = MemorySegment.ofArray(edge);
    }

    private static void run(WorkerPool pool, Kind kind, MemorySegment out, long size, RandomStream rs, double p,
                            double q) {
        Scratch[] scratch = new Scratch[pool.threads()];
        pool.run(Math.toIntExact((size + CHUNK - 1) / CHUNK), (w, t) -> {
            if (scratch[w] == null) {
                scratch[w] = new Scratch();
            }
            long i0 = (long) t * CHUNK;
            fill(kind, out, i0, (int) Math.min(CHUNK, size - i0), rs, p, q, scratch[w]);
        });
    }

    /** Elements i0 .. i0 + n − 1, from the groups of blocks that cover them, a span at a time. */
    private static void fill(Kind kind, MemorySegment out, long i0, int n, RandomStream rs, double p, double q,
                             Scratch s) {
        long e0 = rs.offset() + i0;
        long firstBlock = e0 / kind.perBlock;
        int perGroup = kind.perBlock * BLOCKS;
        int at = (int) (firstBlock * kind.perBlock - e0); // where the first group's first number lands, ≤ 0
        int groups = (n - at + perGroup - 1) / perGroup;
        for (int g = 0; g < groups; g += SPAN) {
            int count = Math.min(SPAN, groups - g);
            philox(rs.seed(), rs.stream(), kind, firstBlock + (long) g * BLOCKS, count, s.a, s.b);
            int from = at + g * perGroup;
            switch (kind) {
                case NORMAL_F32 -> normalsF32(s, count, out, i0, n, from, (float) p, (float) q);
                case NORMAL_F64 -> normalsF64(s, count, out, i0, n, from, p, q);
                case UNIFORM_F32 -> uniformsF32(s, count, out, i0, n, from, (float) p, (float) q - (float) p);
                case UNIFORM_F64 -> uniformsF64(s, count, out, i0, n, from, p, q - p);
            }
        }
    }

    /**
     * Philox4x32-10 of blocks first .. first + groups·BLOCKS − 1 (groups rounded up to a multiple
     * of 4), one block per lane; its words w0..w3 go to a[j] and b[j] (j = block − first), paired
     * for the kind: fp32 normals (w0, w2) and (w1, w3) as (low, high) halves, fp32 uniforms
     * (w0, w1) and (w2, w3), fp64 the 64-bit numbers w0:w1 and w2:w3.
     */
    private static void philox(long seed, int stream, Kind kind, long first, int groups, long[] a, long[] b) {
        LongVector iota = LongVector.zero(I64).addIndex(1);
        LongVector m0 = LongVector.broadcast(I64, M0).and(LO);
        LongVector m1 = LongVector.broadcast(I64, M1).and(LO);
        long[] keys = new long[2 * ROUNDS];
        for (int round = 0, k0 = (int) seed, k1 = (int) (seed >>> 32); round < ROUNDS; round++, k0 += W0, k1 += W1) {
            keys[2 * round] = k0 & LO;
            keys[2 * round + 1] = k1 & LO;
        }
        // Round 0 multiplies the stream word, the same in every lane: its product is a scalar.
        long streamProduct = (stream & LO) * M1;
        long xorC0 = (streamProduct >>> 32) ^ keys[0];
        LongVector lowC1 = LongVector.broadcast(I64, streamProduct & LO);
        long xorC2 = (kind.tag & LO) ^ keys[1];
        // Four groups at a time: a round is a chain of dependent operations (mask, multiply, shift,
        // xor; ~12 cycles), and four independent chains keep the vector units busy where two did not.
        for (int g = 0; g < groups; g += 4) {
            LongVector c0 = iota.add(first + (long) g * BLOCKS);
            LongVector d0 = iota.add(first + (long) (g + 1) * BLOCKS);
            LongVector e0 = iota.add(first + (long) (g + 2) * BLOCKS);
            LongVector f0 = iota.add(first + (long) (g + 3) * BLOCKS);
            LongVector p0 = c0.and(LO).mul(m0);
            LongVector q0 = d0.and(LO).mul(m0);
            LongVector r0 = e0.and(LO).mul(m0);
            LongVector t0 = f0.and(LO).mul(m0);
            c0 = c0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, xorC0);
            LongVector c1 = lowC1;
            LongVector c2 = p0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, xorC2);
            LongVector c3 = p0;
            d0 = d0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, xorC0);
            LongVector d1 = lowC1;
            LongVector d2 = q0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, xorC2);
            LongVector d3 = q0;
            e0 = e0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, xorC0);
            LongVector e1 = lowC1;
            LongVector e2 = r0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, xorC2);
            LongVector e3 = r0;
            f0 = f0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, xorC0);
            LongVector f1 = lowC1;
            LongVector f2 = t0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, xorC2);
            LongVector f3 = t0;
            for (int round = 1; round < ROUNDS; round++) {
                long key0 = keys[2 * round];
                long key1 = keys[2 * round + 1];
                p0 = c0.and(LO).mul(m0);
                LongVector p1 = c2.and(LO).mul(m1);
                q0 = d0.and(LO).mul(m0);
                LongVector q1 = d2.and(LO).mul(m1);
                r0 = e0.and(LO).mul(m0);
                LongVector r1 = e2.and(LO).mul(m1);
                t0 = f0.and(LO).mul(m0);
                LongVector t1 = f2.and(LO).mul(m1);
                c0 = p1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c1)
                        .lanewise(VectorOperators.XOR, key0);
                c1 = p1;
                c2 = p0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c3)
                        .lanewise(VectorOperators.XOR, key1);
                c3 = p0;
                d0 = q1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, d1)
                        .lanewise(VectorOperators.XOR, key0);
                d1 = q1;
                d2 = q0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, d3)
                        .lanewise(VectorOperators.XOR, key1);
                d3 = q0;
                e0 = r1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, e1)
                        .lanewise(VectorOperators.XOR, key0);
                e1 = r1;
                e2 = r0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, e3)
                        .lanewise(VectorOperators.XOR, key1);
                e3 = r0;
                f0 = t1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, f1)
                        .lanewise(VectorOperators.XOR, key0);
                f1 = t1;
                f2 = t0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, f3)
                        .lanewise(VectorOperators.XOR, key1);
                f3 = t0;
            }
            int j = g * BLOCKS;
            if (kind == Kind.NORMAL_F32) {
                c0.and(LO).or(c2.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j);
                c1.and(LO).or(c3.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j);
                d0.and(LO).or(d2.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j + BLOCKS);
                d1.and(LO).or(d3.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j + BLOCKS);
                e0.and(LO).or(e2.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j + 2 * BLOCKS);
                e1.and(LO).or(e3.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j + 2 * BLOCKS);
                f0.and(LO).or(f2.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j + 3 * BLOCKS);
                f1.and(LO).or(f3.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j + 3 * BLOCKS);
            } else if (kind == Kind.UNIFORM_F32) {
                c0.and(LO).or(c1.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j);
                c2.and(LO).or(c3.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j);
                d0.and(LO).or(d1.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j + BLOCKS);
                d2.and(LO).or(d3.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j + BLOCKS);
                e0.and(LO).or(e1.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j + 2 * BLOCKS);
                e2.and(LO).or(e3.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j + 2 * BLOCKS);
                f0.and(LO).or(f1.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j + 3 * BLOCKS);
                f2.and(LO).or(f3.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j + 3 * BLOCKS);
            } else {
                c1.and(LO).or(c0.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j);
                c3.and(LO).or(c2.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j);
                d1.and(LO).or(d0.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j + BLOCKS);
                d3.and(LO).or(d2.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j + BLOCKS);
                e1.and(LO).or(e0.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j + 2 * BLOCKS);
                e3.and(LO).or(e2.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j + 2 * BLOCKS);
                f1.and(LO).or(f0.lanewise(VectorOperators.LSHL, 32)).intoArray(a, j + 3 * BLOCKS);
                f3.and(LO).or(f2.lanewise(VectorOperators.LSHL, 32)).intoArray(b, j + 3 * BLOCKS);
            }
        }
    }

    /**
     * fp32 normals of the span in s (pairs (w0, w2), (w1, w3)): group g's 4·BLOCKS numbers go to
     * elements i0 + at + 4·BLOCKS·g onwards, those in i0 .. i0 + n − 1 only.
     */
    private static void normalsF32(Scratch sc, int groups, MemorySegment out, long i0, int n, int at, float mean,
                                   float std) {
        long[] a = sc.a;
        long[] b = sc.b;
        IntVector zipLo = zipInts(0);
        IntVector zipHi = zipInts(I32.length() / 2);
        // DetMath's constants as vectors, made once (C2 does not hoist loads from the static arrays).
        FloatVector a0 = FloatVector.broadcast(F32, ATANH_F[0]);
        FloatVector a1 = FloatVector.broadcast(F32, ATANH_F[1]);
        FloatVector a2 = FloatVector.broadcast(F32, ATANH_F[2]);
        FloatVector a3 = FloatVector.broadcast(F32, ATANH_F[3]);
        FloatVector a4 = FloatVector.broadcast(F32, ATANH_F[4]);
        FloatVector a5 = FloatVector.broadcast(F32, ATANH_F[5]);
        FloatVector ln2 = FloatVector.broadcast(F32, LN2_F);
        FloatVector s0 = FloatVector.broadcast(F32, SIN_F[0]);
        FloatVector s1 = FloatVector.broadcast(F32, SIN_F[1]);
        FloatVector s2 = FloatVector.broadcast(F32, SIN_F[2]);
        FloatVector s3 = FloatVector.broadcast(F32, SIN_F[3]);
        FloatVector k0 = FloatVector.broadcast(F32, COS_F[0]);
        FloatVector k1 = FloatVector.broadcast(F32, COS_F[1]);
        FloatVector k2 = FloatVector.broadcast(F32, COS_F[2]);
        FloatVector k3 = FloatVector.broadcast(F32, COS_F[3]);
        FloatVector minusHalf = FloatVector.broadcast(F32, -0.5f);
        FloatVector one = FloatVector.broadcast(F32, 1f);
        // Software-pipelined by one group: iteration g computes the radii of group g beside the
        // angles and numbers of group g − 1, whose radii the previous iteration computed. Two
        // independent chains of ~30 dependent operations each are then in flight, which the core
        // overlaps. Iteration 0's numbers (group −1, on the angle words of group 0) are not stored;
        // the last iteration's radii (group `groups`, on whatever its slot holds) are not used.
        FloatVector radius = FloatVector.zero(F32);
        for (int g = 0; g <= groups; g++, at += 4 * BLOCKS) {
            // r = sqrt(−2·log u0): DetMath.log(float). u as in Philox.uniformF32: (2·(x ≫ 9) + 1)·2^-24
            // = (1 + (x ≫ 9)·2^-23) − (1 − 2^-24), exactly.
            FloatVector u0 = LongVector.fromArray(I64, a, g * BLOCKS).reinterpretAsInts()
                    .lanewise(VectorOperators.LSHR, 9).or(ONE_F_BITS).reinterpretAsFloats().sub(UNIFORM_F);
            IntVector split = u0.reinterpretAsInts().sub(LOG_SPLIT_F);
            FloatVector e = (FloatVector) split.lanewise(VectorOperators.ASHR, 23).convert(VectorOperators.I2F, 0);
            FloatVector m = split.and(0x007F_FFFF).add(LOG_SPLIT_F).reinterpretAsFloats();
            FloatVector s = m.sub(1f).div(m.add(1f));
            FloatVector z = s.mul(s);
            FloatVector p = a5.fma(z, a4).fma(z, a3).fma(z, a2).fma(z, a1).fma(z, a0);
            FloatVector twoS = s.add(s);
            FloatVector lnm = twoS.fma(z.mul(p), twoS);
            FloatVector nextRadius = e.fma(ln2, lnm).mul(-2f).sqrt();

            // sin and cos of 2π·u1 for group g − 1: DetMath.sinCos2pi(float), from
            // t = 4·u1 = (4 + (x ≫ 9)·2^-21) − (4 − 2^-22).
            FloatVector t = LongVector.fromArray(I64, b, Math.max(g - 1, 0) * BLOCKS).reinterpretAsInts()
                    .lanewise(VectorOperators.LSHR, 9).or(FOUR_F_BITS).reinterpretAsFloats().sub(QUARTERS_F);
            FloatVector rounded = t.add(ROUND_F);
            FloatVector x = t.sub(rounded.sub(ROUND_F)).mul(PI_2_F);
            FloatVector x2 = x.mul(x);
            FloatVector ps = s3.fma(x2, s2).fma(x2, s1).fma(x2, s0);
            FloatVector pc = k3.fma(x2, k2).fma(x2, k1).fma(x2, k0);
            IntVector sinX = x.mul(x2).fma(ps, x).reinterpretAsInts();
            IntVector cosX = x2.fma(x2.fma(pc, minusHalf), one).reinterpretAsInts();
            // Quadrant q: sin(qπ/2 + x) is ±sin x (q even) or ±cos x (q odd), negated for q = 2, 3
            // (bit 1 of q); cos(qπ/2 + x) likewise, negated for q = 1, 2 (bit 1 xor bit 0). Bitwise
            // selects and sign flips, each one VPTERNLOG.
            IntVector q = rounded.reinterpretAsInts();
            IntVector bit0 = q.lanewise(VectorOperators.LSHL, 31);
            IntVector bit1 = q.lanewise(VectorOperators.LSHL, 30);
            IntVector odd = bit0.lanewise(VectorOperators.ASHR, 31);
            FloatVector sin = sinX.lanewise(VectorOperators.XOR, sinX.lanewise(VectorOperators.XOR, cosX).and(odd))
                    .lanewise(VectorOperators.XOR, bit1.and(Integer.MIN_VALUE)).reinterpretAsFloats();
            FloatVector cos = cosX.lanewise(VectorOperators.XOR, cosX.lanewise(VectorOperators.XOR, sinX).and(odd))
                    .lanewise(VectorOperators.XOR, bit1.lanewise(VectorOperators.XOR, bit0).and(Integer.MIN_VALUE))
                    .reinterpretAsFloats();

            // Lane pairs hold numbers (0, 2) and (1, 3) of a block: zipped, they are in stream order.
            IntVector first = radius.mul(cos).fma(std, mean).reinterpretAsInts();
            IntVector second = radius.mul(sin).fma(std, mean).reinterpretAsInts();
            IntVector lo = zipLo.selectFrom(first, second);
            IntVector hi = zipHi.selectFrom(first, second);
            int numbersAt = at - 4 * BLOCKS;
            if (g > 0 && numbersAt >= 0 && numbersAt + 4 * BLOCKS <= n) {
                long byteAt = (i0 + numbersAt) * Float.BYTES;
                lo.intoMemorySegment(out, byteAt, NATIVE);
                hi.intoMemorySegment(out, byteAt + VECTOR_BYTES, NATIVE);
            } else if (g > 0) {
                lo.reinterpretAsLongs().intoArray(sc.edge, 0);
                hi.reinterpretAsLongs().intoArray(sc.edge, BLOCKS);
                storeEdge(sc, out, i0, n, numbersAt, Float.BYTES);
            }
            radius = nextRadius;
        }
    }

    /**
     * fp64 normals of the span in s (numbers w0:w1 and w2:w3): group g's 2·BLOCKS numbers go to
     * elements i0 + at + 2·BLOCKS·g onwards, those in i0 .. i0 + n − 1 only.
     */
    private static void normalsF64(Scratch sc, int groups, MemorySegment out, long i0, int n, int at, double mean,
                                   double std) {
        long[] a = sc.a;
        long[] b = sc.b;
        LongVector zipLo = zipLongs(0);
        LongVector zipHi = zipLongs(BLOCKS / 2);
        DoubleVector[] atanh = broadcast(ATANH_D);
        DoubleVector a0 = atanh[0];
        DoubleVector a1 = atanh[1];
        DoubleVector a2 = atanh[2];
        DoubleVector a3 = atanh[3];
        DoubleVector a4 = atanh[4];
        DoubleVector a5 = atanh[5];
        DoubleVector a6 = atanh[6];
        DoubleVector a7 = atanh[7];
        DoubleVector a8 = atanh[8];
        DoubleVector a9 = atanh[9];
        DoubleVector a10 = atanh[10];
        DoubleVector a11 = atanh[11];
        DoubleVector ln2 = DoubleVector.broadcast(F64, LN2_D);
        DoubleVector[] sinC = broadcast(SIN_D);
        DoubleVector s0 = sinC[0];
        DoubleVector s1 = sinC[1];
        DoubleVector s2 = sinC[2];
        DoubleVector s3 = sinC[3];
        DoubleVector s4 = sinC[4];
        DoubleVector s5 = sinC[5];
        DoubleVector s6 = sinC[6];
        DoubleVector s7 = sinC[7];
        DoubleVector[] cosC = broadcast(COS_D);
        DoubleVector k0 = cosC[0];
        DoubleVector k1 = cosC[1];
        DoubleVector k2 = cosC[2];
        DoubleVector k3 = cosC[3];
        DoubleVector k4 = cosC[4];
        DoubleVector k5 = cosC[5];
        DoubleVector k6 = cosC[6];
        DoubleVector k7 = cosC[7];
        DoubleVector minusHalf = DoubleVector.broadcast(F64, -0.5);
        DoubleVector one = DoubleVector.broadcast(F64, 1.0);
        // Software-pipelined by one group, as in normalsF32.
        DoubleVector radius = DoubleVector.zero(F64);
        for (int g = 0; g <= groups; g++, at += 2 * BLOCKS) {
            // r = sqrt(−2·log u0): DetMath.log(double). u as in Philox.uniformF64: (2m + 1)·2^-53
            // with m = hi:lo ≫ 12, which is (1 + m·2^-52) − (1 − 2^-53), exactly.
            DoubleVector u0 = LongVector.fromArray(I64, a, g * BLOCKS).lanewise(VectorOperators.LSHR, 12)
                    .or(ONE_D_BITS).reinterpretAsDoubles().sub(UNIFORM_D);
            LongVector split = u0.reinterpretAsLongs().sub(LOG_SPLIT_D);
            DoubleVector e = split.lanewise(VectorOperators.ASHR, 52).add(ROUND_D_BITS).reinterpretAsDoubles()
                    .sub(ROUND_D);
            DoubleVector m = split.and(MANTISSA_D).add(LOG_SPLIT_D).reinterpretAsDoubles();
            DoubleVector s = m.sub(1.0).div(m.add(1.0));
            DoubleVector z = s.mul(s);
            DoubleVector p = a11.fma(z, a10).fma(z, a9).fma(z, a8).fma(z, a7).fma(z, a6).fma(z, a5).fma(z, a4)
                    .fma(z, a3).fma(z, a2).fma(z, a1).fma(z, a0);
            DoubleVector twoS = s.add(s);
            DoubleVector lnm = twoS.fma(z.mul(p), twoS);
            DoubleVector nextRadius = e.fma(ln2, lnm).mul(-2.0).sqrt();

            // sin and cos of 2π·u1 for group g − 1: DetMath.sinCos2pi(double), from
            // t = 4·u1 = (4 + m·2^-50) − (4 − 2^-51).
            DoubleVector t = LongVector.fromArray(I64, b, Math.max(g - 1, 0) * BLOCKS)
                    .lanewise(VectorOperators.LSHR, 12).or(FOUR_D_BITS).reinterpretAsDoubles().sub(QUARTERS_D);
            DoubleVector rounded = t.add(ROUND_D);
            DoubleVector x = t.sub(rounded.sub(ROUND_D)).mul(PI_2_D);
            DoubleVector x2 = x.mul(x);
            DoubleVector ps = s7.fma(x2, s6).fma(x2, s5).fma(x2, s4).fma(x2, s3).fma(x2, s2).fma(x2, s1)
                    .fma(x2, s0);
            DoubleVector pc = k7.fma(x2, k6).fma(x2, k5).fma(x2, k4).fma(x2, k3).fma(x2, k2).fma(x2, k1)
                    .fma(x2, k0);
            LongVector sinX = x.mul(x2).fma(ps, x).reinterpretAsLongs();
            LongVector cosX = x2.fma(x2.fma(pc, minusHalf), one).reinterpretAsLongs();
            // Quadrant as in normalsF32.
            LongVector q = rounded.reinterpretAsLongs();
            LongVector bit0 = q.lanewise(VectorOperators.LSHL, 63);
            LongVector bit1 = q.lanewise(VectorOperators.LSHL, 62);
            LongVector odd = bit0.lanewise(VectorOperators.ASHR, 63);
            DoubleVector sin = sinX.lanewise(VectorOperators.XOR, sinX.lanewise(VectorOperators.XOR, cosX).and(odd))
                    .lanewise(VectorOperators.XOR, bit1.and(Long.MIN_VALUE)).reinterpretAsDoubles();
            DoubleVector cos = cosX.lanewise(VectorOperators.XOR, cosX.lanewise(VectorOperators.XOR, sinX).and(odd))
                    .lanewise(VectorOperators.XOR, bit1.lanewise(VectorOperators.XOR, bit0).and(Long.MIN_VALUE))
                    .reinterpretAsDoubles();

            LongVector first = radius.mul(cos).fma(std, mean).reinterpretAsLongs();
            LongVector second = radius.mul(sin).fma(std, mean).reinterpretAsLongs();
            LongVector lo = zipLo.selectFrom(first, second);
            LongVector hi = zipHi.selectFrom(first, second);
            int numbersAt = at - 2 * BLOCKS;
            if (g > 0 && numbersAt >= 0 && numbersAt + 2 * BLOCKS <= n) {
                long byteAt = (i0 + numbersAt) * Double.BYTES;
                lo.intoMemorySegment(out, byteAt, NATIVE);
                hi.intoMemorySegment(out, byteAt + VECTOR_BYTES, NATIVE);
            } else if (g > 0) {
                lo.intoArray(sc.edge, 0);
                hi.intoArray(sc.edge, BLOCKS);
                storeEdge(sc, out, i0, n, numbersAt, Double.BYTES);
            }
            radius = nextRadius;
        }
    }

    /** fp32 uniforms of the span in s (pairs (w0, w1), (w2, w3)); placed as in {@link #normalsF32}. */
    private static void uniformsF32(Scratch sc, int groups, MemorySegment out, long i0, int n, int at, float low,
                                    float width) {
        LongVector zipLo = zipLongs(0);
        LongVector zipHi = zipLongs(BLOCKS / 2);
        for (int g = 0; g < groups; g++, at += 4 * BLOCKS) {
            LongVector first = LongVector.fromArray(I64, sc.a, g * BLOCKS);
            LongVector second = LongVector.fromArray(I64, sc.b, g * BLOCKS);
            // Zipped, the words are in stream order; u as in normalsF32.
            IntVector lo = zipLo.selectFrom(first, second).reinterpretAsInts().lanewise(VectorOperators.LSHR, 9)
                    .or(ONE_F_BITS).reinterpretAsFloats().sub(UNIFORM_F).fma(width, low).reinterpretAsInts();
            IntVector hi = zipHi.selectFrom(first, second).reinterpretAsInts().lanewise(VectorOperators.LSHR, 9)
                    .or(ONE_F_BITS).reinterpretAsFloats().sub(UNIFORM_F).fma(width, low).reinterpretAsInts();
            if (at >= 0 && at + 4 * BLOCKS <= n) {
                long byteAt = (i0 + at) * Float.BYTES;
                lo.intoMemorySegment(out, byteAt, NATIVE);
                hi.intoMemorySegment(out, byteAt + VECTOR_BYTES, NATIVE);
            } else {
                lo.reinterpretAsLongs().intoArray(sc.edge, 0);
                hi.reinterpretAsLongs().intoArray(sc.edge, BLOCKS);
                storeEdge(sc, out, i0, n, at, Float.BYTES);
            }
        }
    }

    /** fp64 uniforms of the span in s (numbers w0:w1 and w2:w3); placed as in {@link #normalsF64}. */
    private static void uniformsF64(Scratch sc, int groups, MemorySegment out, long i0, int n, int at, double low,
                                    double width) {
        LongVector zipLo = zipLongs(0);
        LongVector zipHi = zipLongs(BLOCKS / 2);
        for (int g = 0; g < groups; g++, at += 2 * BLOCKS) {
            // u as in normalsF64.
            LongVector first = LongVector.fromArray(I64, sc.a, g * BLOCKS).lanewise(VectorOperators.LSHR, 12)
                    .or(ONE_D_BITS).reinterpretAsDoubles().sub(UNIFORM_D).fma(width, low).reinterpretAsLongs();
            LongVector second = LongVector.fromArray(I64, sc.b, g * BLOCKS).lanewise(VectorOperators.LSHR, 12)
                    .or(ONE_D_BITS).reinterpretAsDoubles().sub(UNIFORM_D).fma(width, low).reinterpretAsLongs();
            LongVector lo = zipLo.selectFrom(first, second);
            LongVector hi = zipHi.selectFrom(first, second);
            if (at >= 0 && at + 2 * BLOCKS <= n) {
                long byteAt = (i0 + at) * Double.BYTES;
                lo.intoMemorySegment(out, byteAt, NATIVE);
                hi.intoMemorySegment(out, byteAt + VECTOR_BYTES, NATIVE);
            } else {
                lo.intoArray(sc.edge, 0);
                hi.intoArray(sc.edge, BLOCKS);
                storeEdge(sc, out, i0, n, at, Double.BYTES);
            }
        }
    }

    /**
     * Copies the part of a group's numbers in sc.edge (element i0 + at onwards) that falls in
     * elements i0 .. i0 + n − 1: the group at a chunk's start or end.
     */
    private static void storeEdge(Scratch sc, MemorySegment out, long i0, int n, int at, int bytes) {
        int count = 2 * VECTOR_BYTES / bytes;
        int from = Math.max(0, -at);
        int to = Math.min(count, n - at);
        if (from < to) {
            MemorySegment.copy(sc.edgeBytes, (long) from * bytes, out, (i0 + at + from) * bytes,
                    (long) (to - from) * bytes);
        }
    }

    private static DoubleVector[] broadcast(double[] values) {
        DoubleVector[] v = new DoubleVector[values.length];
        for (int i = 0; i < values.length; i++) {
            v[i] = DoubleVector.broadcast(F64, values[i]);
        }
        return v;
    }

    /**
     * Indexes for {@code selectFrom(a, b)} that interleave lanes from {@code from} on:
     * a[from], b[from], a[from + 1], b[from + 1], …
     */
    private static IntVector zipInts(int from) {
        int[] index = new int[I32.length()];
        for (int j = 0; j < index.length; j++) {
            index[j] = (j % 2) * index.length + from + j / 2;
        }
        return IntVector.fromArray(I32, index, 0);
    }

    private static LongVector zipLongs(int from) {
        long[] index = new long[I64.length()];
        for (int j = 0; j < index.length; j++) {
            index[j] = (j % 2) * index.length + from + j / 2;
        }
        return LongVector.fromArray(I64, index, 0);
    }
}
