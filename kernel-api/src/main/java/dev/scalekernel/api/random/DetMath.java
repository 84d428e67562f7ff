package dev.scalekernel.api.random;

/**
 * log, sin(2πu) and cos(2πu) built only from correctly rounded operations (+, −, ×, /, fma and
 * exact bit manipulation), in a fixed order, so that Java and a CUDA kernel compiled with
 * {@code -fmad=false} produce the same bits. The JDK's Math.log/sin/cos may differ from CUDA's
 * libdevice by an ulp, which would make the random streams differ between backends.
 *
 * <p>Accuracy: a few ulps over the domain used by {@link Philox} (arguments in (0, 1)).
 * Constants are hex literals of 1/n!, 1/(2k+1), ln 2, π/2 and √2 rounded to nearest.
 */
public final class DetMath {

    private DetMath() {
    }

    // ---- log -----------------------------------------------------------------------------
    // x = m·2^e with m in [√2/2, √2]; ln m = 2·atanh(s), s = (m−1)/(m+1), |s| <= 0.1716, so
    // s² <= 0.0295: the series 2s·(1 + s²/3 + s⁴/5 + …) needs terms up to s^12 for fp32 and
    // s^24 for fp64 to reach the last bit.

    private static final float SQRT2_F = 0x1.6a09e6p0f;
    private static final float LN2_F = 0x1.62e43p-1f;
    private static final float[] ATANH_F = {
        0x1.555556p-2f, 0x1.99999ap-3f, 0x1.24924ap-3f, 0x1.c71c72p-4f, 0x1.745d18p-4f, 0x1.3b13b2p-4f};

    private static final double SQRT2_D = 0x1.6a09e667f3bcdp0;
    private static final double LN2_D = 0x1.62e42fefa39efp-1;
    private static final double[] ATANH_D = {
        0x1.5555555555555p-2, 0x1.999999999999ap-3, 0x1.2492492492492p-3, 0x1.c71c71c71c71cp-4,
        0x1.745d1745d1746p-4, 0x1.3b13b13b13b14p-4, 0x1.1111111111111p-4, 0x1.e1e1e1e1e1e1ep-5,
        0x1.af286bca1af28p-5, 0x1.8618618618618p-5, 0x1.642c8590b2164p-5, 0x1.47ae147ae147bp-5};

    /** Natural log of a positive normal float. */
    public static float log(float x) {
        int bits = Float.floatToRawIntBits(x);
        int e = ((bits >>> 23) & 0xFF) - 127;
        float m = Float.intBitsToFloat((bits & 0x007F_FFFF) | 0x3F80_0000);
        if (m > SQRT2_F) {
            m *= 0.5f;
            e += 1;
        }
        float s = (m - 1f) / (m + 1f);
        float z = s * s;
        float p = ATANH_F[ATANH_F.length - 1];
        for (int i = ATANH_F.length - 2; i >= 0; i--) {
            p = Math.fma(p, z, ATANH_F[i]);
        }
        float twoS = s + s;
        float lnm = Math.fma(twoS, z * p, twoS);
        return Math.fma((float) e, LN2_F, lnm);
    }

    /** Natural log of a positive normal double. */
    public static double log(double x) {
        long bits = Double.doubleToRawLongBits(x);
        int e = (int) ((bits >>> 52) & 0x7FF) - 1023;
        double m = Double.longBitsToDouble((bits & 0x000F_FFFF_FFFF_FFFFL) | 0x3FF0_0000_0000_0000L);
        if (m > SQRT2_D) {
            m *= 0.5;
            e += 1;
        }
        double s = (m - 1.0) / (m + 1.0);
        double z = s * s;
        double p = ATANH_D[ATANH_D.length - 1];
        for (int i = ATANH_D.length - 2; i >= 0; i--) {
            p = Math.fma(p, z, ATANH_D[i]);
        }
        double twoS = s + s;
        double lnm = Math.fma(twoS, z * p, twoS);
        return Math.fma((double) e, LN2_D, lnm);
    }

    // ---- sin(2πu), cos(2πu) ----------------------------------------------------------------
    // 4u = q + r exactly, with q = rint(4u) and r in [−1/2, 1/2]; x = r·π/2 in [−π/4, π/4]; Taylor
    // polynomials in x (fp32 through x^9 / x^10, fp64 through x^17 / x^18: the first omitted
    // term is below half an ulp); then the quadrant q rotates (sin x, cos x).

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

    public static float sin2pi(float u) {
        return sinCos2pi(u, true);
    }

    public static float cos2pi(float u) {
        return sinCos2pi(u, false);
    }

    public static double sin2pi(double u) {
        return sinCos2pi(u, true);
    }

    public static double cos2pi(double u) {
        return sinCos2pi(u, false);
    }

    private static float sinCos2pi(float u, boolean wantSin) {
        float t = 4f * u;
        float q = (float) Math.rint(t);
        float x = (t - q) * PI_2_F;
        float z = x * x;
        float ps = SIN_F[SIN_F.length - 1];
        for (int i = SIN_F.length - 2; i >= 0; i--) {
            ps = Math.fma(ps, z, SIN_F[i]);
        }
        float pc = COS_F[COS_F.length - 1];
        for (int i = COS_F.length - 2; i >= 0; i--) {
            pc = Math.fma(pc, z, COS_F[i]);
        }
        float s = Math.fma(x * z, ps, x);
        float c = Math.fma(z, Math.fma(z, pc, -0.5f), 1f);
        return quadrant((int) q & 3, s, c, wantSin);
    }

    private static double sinCos2pi(double u, boolean wantSin) {
        double t = 4.0 * u;
        double q = Math.rint(t);
        double x = (t - q) * PI_2_D;
        double z = x * x;
        double ps = SIN_D[SIN_D.length - 1];
        for (int i = SIN_D.length - 2; i >= 0; i--) {
            ps = Math.fma(ps, z, SIN_D[i]);
        }
        double pc = COS_D[COS_D.length - 1];
        for (int i = COS_D.length - 2; i >= 0; i--) {
            pc = Math.fma(pc, z, COS_D[i]);
        }
        double s = Math.fma(x * z, ps, x);
        double c = Math.fma(z, Math.fma(z, pc, -0.5), 1.0);
        return quadrant((int) q & 3, s, c, wantSin);
    }

    /** sin/cos of qπ/2 + x from sin x and cos x. */
    private static float quadrant(int q, float s, float c, boolean wantSin) {
        return switch (q) {
            case 0 -> wantSin ? s : c;
            case 1 -> wantSin ? c : -s;
            case 2 -> wantSin ? -s : -c;
            default -> wantSin ? -c : s;
        };
    }

    private static double quadrant(int q, double s, double c, boolean wantSin) {
        return switch (q) {
            case 0 -> wantSin ? s : c;
            case 1 -> wantSin ? c : -s;
            case 2 -> wantSin ? -s : -c;
            default -> wantSin ? -c : s;
        };
    }
}
