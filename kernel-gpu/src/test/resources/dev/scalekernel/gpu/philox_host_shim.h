// Lets philox.cuh compile as host C++ (PhiloxTwinHostTest): the CUDA qualifiers vanish and the
// device intrinsics it uses get their exact host meanings. Included before philox.cuh.
#include <cmath>
#include <cstdint>
#include <cstring>
#define __device__
#define __constant__
static inline uint32_t __umulhi(uint32_t a, uint32_t b) { return (uint32_t) (((uint64_t) a * b) >> 32); }
static inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, sizeof i); return i; }
static inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, sizeof f); return f; }
static inline long long __double_as_longlong(double d) { long long l; std::memcpy(&l, &d, sizeof l); return l; }
static inline double __longlong_as_double(long long l) { double d; std::memcpy(&d, &l, sizeof d); return d; }
