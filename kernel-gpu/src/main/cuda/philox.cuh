// The device twin of dev.scalekernel.api.random.Philox and DetMath: the same constants and the
// same operations in the same order, so that a fill on the GPU gives the bits of the Java
// reference. Only correctly rounded operations appear (+ - * /, sqrt, fma, exact conversions);
// build.sh compiles with -fmad=false so that no a*b+c is contracted into an fma that Java does not
// do, and without fast math so that / and sqrt stay IEEE (div.rn, sqrt.rn) and denormals are kept.
#pragma once
#include <stdint.h>

namespace sk {

// Philox4x32-10 (Salmon et al., SC'11), as in Random123.
constexpr uint32_t PHILOX_M0 = 0xD2511F53u;
constexpr uint32_t PHILOX_M1 = 0xCD9E8D57u;
constexpr uint32_t PHILOX_W0 = 0x9E3779B9u;
constexpr uint32_t PHILOX_W1 = 0xBB67AE85u;

// Counter word 3 per (distribution, dtype): Philox.TAG_*.
constexpr uint32_t TAG_UNIFORM_F32 = 0x00010020u;
constexpr uint32_t TAG_UNIFORM_F64 = 0x00010040u;
constexpr uint32_t TAG_NORMAL_F32 = 0x00020020u;
constexpr uint32_t TAG_NORMAL_F64 = 0x00020040u;

struct Words {
    uint32_t w[4];
};

// Block b of a stream: counter (b lo, b hi, stream, tag), key (seed lo, seed hi).
__device__ inline Words philox(uint64_t b, uint32_t stream, uint32_t tag, uint32_t k0, uint32_t k1) {
    uint32_t c0 = (uint32_t) b;
    uint32_t c1 = (uint32_t) (b >> 32);
    uint32_t c2 = stream;
    uint32_t c3 = tag;
    for (int round = 0; round < 10; round++) {
        uint32_t hi0 = __umulhi(PHILOX_M0, c0);
        uint32_t lo0 = PHILOX_M0 * c0;
        uint32_t hi1 = __umulhi(PHILOX_M1, c2);
        uint32_t lo1 = PHILOX_M1 * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    return Words{{c0, c1, c2, c3}};
}

// (2·(x >> 9) + 1)·2^-24: a 24-bit odd integer, converted exactly, times a power of two.
__device__ inline float uniformF32(uint32_t x) {
    return (float) (((x >> 9) << 1) | 1u) * 0x1p-24f;
}

// (2·m + 1)·2^-53 with m the top 52 bits of hi:lo.
__device__ inline double uniformF64(uint32_t hi, uint32_t lo) {
    uint64_t m = ((uint64_t) hi << 20) | ((uint64_t) lo >> 12);
    return (double) ((m << 1) | 1u) * 0x1p-53;
}

// ---- DetMath: log, sin(2πu), cos(2πu) --------------------------------------------------------

__constant__ float ATANH_F[6] = {
    0x1.555556p-2f, 0x1.99999ap-3f, 0x1.24924ap-3f, 0x1.c71c72p-4f, 0x1.745d18p-4f, 0x1.3b13b2p-4f};
__constant__ double ATANH_D[12] = {
    0x1.5555555555555p-2, 0x1.999999999999ap-3, 0x1.2492492492492p-3, 0x1.c71c71c71c71cp-4,
    0x1.745d1745d1746p-4, 0x1.3b13b13b13b14p-4, 0x1.1111111111111p-4, 0x1.e1e1e1e1e1e1ep-5,
    0x1.af286bca1af28p-5, 0x1.8618618618618p-5, 0x1.642c8590b2164p-5, 0x1.47ae147ae147bp-5};
__constant__ float SIN_F[4] = {-0x1.555556p-3f, 0x1.111112p-7f, -0x1.a01a02p-13f, 0x1.71de3ap-19f};
__constant__ float COS_F[4] = {0x1.555556p-5f, -0x1.6c16c2p-10f, 0x1.a01a02p-16f, -0x1.27e4fcp-22f};
__constant__ double SIN_D[8] = {
    -0x1.5555555555555p-3, 0x1.1111111111111p-7, -0x1.a01a01a01a01ap-13, 0x1.71de3a556c734p-19,
    -0x1.ae64567f544e4p-26, 0x1.6124613a86d09p-33, -0x1.ae7f3e733b81fp-41, 0x1.952c77030ad4ap-49};
__constant__ double COS_D[8] = {
    0x1.5555555555555p-5, -0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-16, -0x1.27e4fb7789f5cp-22,
    0x1.1eed8eff8d898p-29, -0x1.93974a8c07c9dp-37, 0x1.ae7f3e733b81fp-45, -0x1.6827863b97d97p-53};

constexpr float SQRT2_F = 0x1.6a09e6p0f;
constexpr float LN2_F = 0x1.62e43p-1f;
constexpr double SQRT2_D = 0x1.6a09e667f3bcdp0;
constexpr double LN2_D = 0x1.62e42fefa39efp-1;
constexpr float PI_2_F = 0x1.921fb6p0f;
constexpr double PI_2_D = 0x1.921fb54442d18p0;

__device__ inline float detLog(float x) {
    int bits = __float_as_int(x);
    int e = ((bits >> 23) & 0xFF) - 127;
    float m = __int_as_float((bits & 0x007FFFFF) | 0x3F800000);
    if (m > SQRT2_F) {
        m *= 0.5f;
        e += 1;
    }
    float s = (m - 1.0f) / (m + 1.0f);
    float z = s * s;
    float p = ATANH_F[5];
    for (int i = 4; i >= 0; i--) {
        p = fmaf(p, z, ATANH_F[i]);
    }
    float twoS = s + s;
    float lnm = fmaf(twoS, z * p, twoS);
    return fmaf((float) e, LN2_F, lnm);
}

__device__ inline double detLog(double x) {
    long long bits = __double_as_longlong(x);
    int e = (int) ((bits >> 52) & 0x7FF) - 1023;
    double m = __longlong_as_double((bits & 0x000FFFFFFFFFFFFFLL) | 0x3FF0000000000000LL);
    if (m > SQRT2_D) {
        m *= 0.5;
        e += 1;
    }
    double s = (m - 1.0) / (m + 1.0);
    double z = s * s;
    double p = ATANH_D[11];
    for (int i = 10; i >= 0; i--) {
        p = fma(p, z, ATANH_D[i]);
    }
    double twoS = s + s;
    double lnm = fma(twoS, z * p, twoS);
    return fma((double) e, LN2_D, lnm);
}

// sin/cos of qπ/2 + x from sin x and cos x (DetMath.quadrant).
template <typename T>
__device__ inline void quadrant(int q, T s, T c, T* sinOut, T* cosOut) {
    switch (q) {
        case 0: *sinOut = s; *cosOut = c; break;
        case 1: *sinOut = c; *cosOut = -s; break;
        case 2: *sinOut = -s; *cosOut = -c; break;
        default: *sinOut = -c; *cosOut = s; break;
    }
}

// 4u = q + r exactly, x = r·π/2, Taylor polynomials in x, then the quadrant rotates (sin, cos).
__device__ inline void detSinCos2pi(float u, float* sinOut, float* cosOut) {
    float t = 4.0f * u;
    float q = rintf(t);
    float x = (t - q) * PI_2_F;
    float z = x * x;
    float ps = SIN_F[3];
    for (int i = 2; i >= 0; i--) {
        ps = fmaf(ps, z, SIN_F[i]);
    }
    float pc = COS_F[3];
    for (int i = 2; i >= 0; i--) {
        pc = fmaf(pc, z, COS_F[i]);
    }
    float s = fmaf(x * z, ps, x);
    float c = fmaf(z, fmaf(z, pc, -0.5f), 1.0f);
    quadrant<float>((int) q & 3, s, c, sinOut, cosOut);
}

__device__ inline void detSinCos2pi(double u, double* sinOut, double* cosOut) {
    double t = 4.0 * u;
    double q = rint(t);
    double x = (t - q) * PI_2_D;
    double z = x * x;
    double ps = SIN_D[7];
    for (int i = 6; i >= 0; i--) {
        ps = fma(ps, z, SIN_D[i]);
    }
    double pc = COS_D[7];
    for (int i = 6; i >= 0; i--) {
        pc = fma(pc, z, COS_D[i]);
    }
    double s = fma(x * z, ps, x);
    double c = fma(z, fma(z, pc, -0.5), 1.0);
    quadrant<double>((int) q & 3, s, c, sinOut, cosOut);
}

// The four fp32 normals of block b (Philox.normalBlockF32): pairs (u0, u1) and (u2, u3).
__device__ inline void normalBlockF32(uint64_t b, uint32_t stream, uint32_t k0, uint32_t k1, float out[4]) {
    Words w = philox(b, stream, TAG_NORMAL_F32, k0, k1);
    for (int pair = 0; pair < 2; pair++) {
        float u0 = uniformF32(w.w[2 * pair]);
        float u1 = uniformF32(w.w[2 * pair + 1]);
        // Java: (float) Math.sqrt(-2.0f * log(u0)), a correctly rounded float sqrt like sqrtf.
        float r = sqrtf(-2.0f * detLog(u0));
        float s;
        float c;
        detSinCos2pi(u1, &s, &c);
        out[2 * pair] = r * c;
        out[2 * pair + 1] = r * s;
    }
}

// The two fp64 normals of block b (Philox.normalBlockF64).
__device__ inline void normalBlockF64(uint64_t b, uint32_t stream, uint32_t k0, uint32_t k1, double out[2]) {
    Words w = philox(b, stream, TAG_NORMAL_F64, k0, k1);
    double u0 = uniformF64(w.w[0], w.w[1]);
    double u1 = uniformF64(w.w[2], w.w[3]);
    double r = sqrt(-2.0 * detLog(u0));
    double s;
    double c;
    detSinCos2pi(u1, &s, &c);
    out[0] = r * c;
    out[1] = r * s;
}

} // namespace sk
