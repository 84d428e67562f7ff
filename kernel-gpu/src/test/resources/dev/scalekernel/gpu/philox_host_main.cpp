// Prints philox.cuh's results for many inputs, one line each with the inputs, as hex bits, for
// PhiloxTwinHostTest to compare with the Java Philox and DetMath. Built with -ffp-contract=off
// on x86-64 (SSE arithmetic, glibc's correctly rounded fma), where C's + - * / sqrt fma round
// exactly as Java's and CUDA's .rn instructions do.
#include "philox_host_shim.h"
#include "philox.cuh"
#include <cstdio>

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint64_t next() { // splitmix64: the inputs only need to be spread out
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t fbits(float f) { return (uint32_t) __float_as_int(f); }
static uint64_t dbits(double d) { return (uint64_t) __double_as_longlong(d); }

int main() {
    for (int i = 0; i < 2000; i++) {
        uint64_t seed = next();
        uint32_t stream = (uint32_t) next() & 0xFFFF;
        uint64_t b = i < 4 ? (uint64_t) i : next() >> (i % 40);
        uint32_t k0 = (uint32_t) seed;
        uint32_t k1 = (uint32_t) (seed >> 32);
        sk::Words w = sk::philox(b, stream, sk::TAG_UNIFORM_F32, k0, k1);
        std::printf("P %llx %x %llx %x %x %x %x\n", (unsigned long long) seed, stream, (unsigned long long) b,
                    w.w[0], w.w[1], w.w[2], w.w[3]);
        float nf[4];
        sk::normalBlockF32(b, stream, k0, k1, nf);
        std::printf("NF %llx %x %llx %x %x %x %x\n", (unsigned long long) seed, stream, (unsigned long long) b,
                    fbits(nf[0]), fbits(nf[1]), fbits(nf[2]), fbits(nf[3]));
        double nd[2];
        sk::normalBlockF64(b, stream, k0, k1, nd);
        std::printf("ND %llx %x %llx %llx %llx\n", (unsigned long long) seed, stream, (unsigned long long) b,
                    (unsigned long long) dbits(nd[0]), (unsigned long long) dbits(nd[1]));
        std::printf("UF %x %x\n", w.w[0], fbits(sk::uniformF32(w.w[0])));
        std::printf("UD %x %x %llx\n", w.w[1], w.w[2], (unsigned long long) dbits(sk::uniformF64(w.w[1], w.w[2])));
    }
    // log, sin(2πu), cos(2πu) on uniforms and on the edges: the extremes and quadrant boundaries.
    float edgesF[] = {0x1p-24f, 1.0f - 0x1p-24f, 0.125f, 0.25f - 0x1p-24f, 0.25f, 0.25f + 0x1p-24f, 0.5f,
                      0.75f - 0x1p-24f, 0.75f, 0.875f + 0x1p-24f, 0.70710677f, 0.70710683f};
    for (int i = 0; i < 12 + 5000; i++) {
        float u = i < 12 ? edgesF[i] : sk::uniformF32((uint32_t) next());
        float s, c;
        sk::detSinCos2pi(u, &s, &c);
        std::printf("F %x %x %x %x\n", fbits(u), fbits(sk::detLog(u)), fbits(s), fbits(c));
    }
    double edgesD[] = {0x1p-53, 1.0 - 0x1p-53, 0.125, 0.25 - 0x1p-53, 0.25, 0.25 + 0x1p-53, 0.5, 0.75,
                       0.7071067811865476, 0.7071067811865475};
    for (int i = 0; i < 10 + 5000; i++) {
        double u = i < 10 ? edgesD[i] : sk::uniformF64((uint32_t) next(), (uint32_t) next());
        double s, c;
        sk::detSinCos2pi(u, &s, &c);
        std::printf("D %llx %llx %llx %llx\n", (unsigned long long) dbits(u), (unsigned long long) dbits(sk::detLog(u)),
                    (unsigned long long) dbits(s), (unsigned long long) dbits(c));
    }
    return 0;
}
