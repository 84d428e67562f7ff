package dev.scalekernel.api.random;

import dev.scalekernel.api.RandomStream;

/**
 * The Philox4x32-10 counter-based generator (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC'11) and the one mapping from its output to uniform and normal numbers that every
 * backend reproduces bit for bit.
 *
 * <p><b>Counter layout.</b> Number e of a stream comes from the Philox block
 * counter = (b mod 2^32, b div 2^32, stream, tag), key = (seed mod 2^32, seed div 2^32), where
 * b = e div 4 for fp32 (four 32-bit words give four numbers) and b = e div 2 for fp64 (two words per
 * uniform). The tag separates dtypes and distributions, so a uniform and a normal fill of the
 * same stream are independent.
 *
 * <p><b>Uniforms</b> are exact: fp32 u = (2·(x ≫ 9) + 1)·2^-24, fp64 u = (2·m + 1)·2^-53 with m the
 * top 52 bits of (x_hi, x_lo). Both lie strictly inside (0, 1), so log(u) is finite.
 *
 * <p><b>Normals</b> by Box–Muller: fp32 pairs (u0, u1) and (u2, u3) of one block give
 * (r·cos 2πu1, r·sin 2πu1) with r = sqrt(−2 log u0), and the same for (u2, u3); fp64 takes the two
 * uniforms of one block. log, sin and cos are {@link DetMath}'s polynomials with explicit FMA, so
 * that a CUDA kernel compiled without contraction computes identical bits.
 */
public final class Philox {

    static final int M0 = 0xD2511F53;
    static final int M1 = 0xCD9E8D57;
    static final int W0 = 0x9E3779B9;
    static final int W1 = 0xBB67AE85;

    /** Counter word 3 for each (dtype, distribution). */
    public static final int TAG_UNIFORM_F32 = 0x0001_0020;
    public static final int TAG_UNIFORM_F64 = 0x0001_0040;
    public static final int TAG_NORMAL_F32 = 0x0002_0020;
    public static final int TAG_NORMAL_F64 = 0x0002_0040;

    private Philox() {
    }

    /** One Philox4x32-10 block: counter (c0..c3), key (k0, k1); writes four words into out[0..3]. */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFF_FFFFL) * (c0 & 0xFFFF_FFFFL);
            long p1 = (M1 & 0xFFFF_FFFFL) * (c2 & 0xFFFF_FFFFL);
            int hi0 = (int) (p0 >>> 32);
            int lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32);
            int lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** The block b of a stream with the given tag. */
    public static void block(long seed, int stream, int tag, long b, int[] out) {
        block((int) b, (int) (b >>> 32), stream, tag, (int) seed, (int) (seed >>> 32), out);
    }

    /** fp32 uniform in (0, 1) from one word: (2·(x ≫ 9) + 1)·2^-24, exact. */
    public static float uniformF32(int x) {
        return (((x >>> 9) << 1) | 1) * 0x1.0p-24f;
    }

    /** fp64 uniform in (0, 1) from two words: (2·m + 1)·2^-53 with m the top 52 bits of hi:lo, exact. */
    public static double uniformF64(int hi, int lo) {
        long m = ((hi & 0xFFFF_FFFFL) << 20) | ((lo & 0xFFFF_FFFFL) >>> 12);
        return ((m << 1) | 1) * 0x1.0p-53;
    }

    /** Number e of the fp32 uniform stream. */
    public static float uniformF32(long seed, int stream, long e) {
        int[] w = new int[4];
        block(seed, stream, TAG_UNIFORM_F32, e >>> 2, w);
        return uniformF32(w[(int) (e & 3)]);
    }

    /** Number e of the fp64 uniform stream. */
    public static double uniformF64(long seed, int stream, long e) {
        int[] w = new int[4];
        block(seed, stream, TAG_UNIFORM_F64, e >>> 1, w);
        int lane = (int) (e & 1);
        return uniformF64(w[2 * lane], w[2 * lane + 1]);
    }

    /** The four fp32 normals of block b, written to out[0..3]. */
    public static void normalBlockF32(long seed, int stream, long b, int[] scratch, float[] out) {
        block(seed, stream, TAG_NORMAL_F32, b, scratch);
        boxMullerF32(uniformF32(scratch[0]), uniformF32(scratch[1]), out, 0);
        boxMullerF32(uniformF32(scratch[2]), uniformF32(scratch[3]), out, 2);
    }

    /** The two fp64 normals of block b, written to out[0..1]. */
    public static void normalBlockF64(long seed, int stream, long b, int[] scratch, double[] out) {
        block(seed, stream, TAG_NORMAL_F64, b, scratch);
        double u0 = uniformF64(scratch[0], scratch[1]);
        double u1 = uniformF64(scratch[2], scratch[3]);
        double r = Math.sqrt(-2.0 * DetMath.log(u0));
        out[0] = r * DetMath.cos2pi(u1);
        out[1] = r * DetMath.sin2pi(u1);
    }

    /** Number e of the fp32 normal stream. */
    public static float normalF32(long seed, int stream, long e) {
        float[] out = new float[4];
        normalBlockF32(seed, stream, e >>> 2, new int[4], out);
        return out[(int) (e & 3)];
    }

    /** Number e of the fp64 normal stream. */
    public static double normalF64(long seed, int stream, long e) {
        double[] out = new double[2];
        normalBlockF64(seed, stream, e >>> 1, new int[4], out);
        return out[(int) (e & 1)];
    }

    /** Number {@code rs.offset() + i} of the normal stream of the given precision, widened to double. */
    public static double normal(RandomStream rs, long i, boolean f32) {
        long e = rs.offset() + i;
        return f32 ? normalF32(rs.seed(), rs.stream(), e) : normalF64(rs.seed(), rs.stream(), e);
    }

    private static void boxMullerF32(float u0, float u1, float[] out, int at) {
        // Float sqrt is correctly rounded when done in double and rounded once (2p+2 <= 53).
        float r = (float) Math.sqrt(-2.0f * DetMath.log(u0));
        out[at] = r * DetMath.cos2pi(u1);
        out[at + 1] = r * DetMath.sin2pi(u1);
    }
}
