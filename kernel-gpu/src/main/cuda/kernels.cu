// scalekernel's own CUDA kernels, one translation unit so that one fatbin holds them all (see
// build.sh). Matrices are row-major; element (i, j) of an r×c matrix sits at i·c + j. Every
// kernel takes 64-bit element counts and loops grid-stride, so that matrices beyond 2^31
// elements work with any grid. The whole file is compiled with -fmad=false (the Philox twin needs
// it); where a fused multiply-add is wanted it is written as fma().
//
// Reductions are deterministic: each block sums a fixed set of elements in a fixed order, the
// grid size depends only on the shape (never on the device), the block partials are added in
// block order by one thread, and no floating-point atomics are used. Partial sums are in double
// for both dtypes.
#include "philox.cuh"
#include <math_constants.h>

#define SK_THREADS 256

namespace sk {

// Activation ids: the ordinal of dev.scalekernel.api.Activation.
constexpr int ACT_IDENTITY = 0;
constexpr int ACT_RELU = 1;
constexpr int ACT_TANH = 2;
constexpr int ACT_ERF = 3;

__device__ inline float activate(float z, int act) {
    switch (act) {
        case ACT_RELU: return z > 0.0f ? z : 0.0f;
        case ACT_TANH: return tanhf(z);
        case ACT_ERF: return erff(z);
        case ACT_IDENTITY:
        default: return z;
    }
}

__device__ inline double activate(double z, int act) {
    switch (act) {
        case ACT_RELU: return z > 0.0 ? z : 0.0;
        case ACT_TANH: return tanh(z);
        case ACT_ERF: return erf(z);
        case ACT_IDENTITY:
        default: return z;
    }
}

__device__ inline uint64_t globalThread() {
    return (uint64_t) blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ inline uint64_t gridThreads() {
    return (uint64_t) gridDim.x * blockDim.x;
}

// Sum of one value per thread of the block, in a fixed tree order; the result is valid in thread 0.
__device__ inline double blockSum(double v) {
    __shared__ double scratch[SK_THREADS];
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (int half = SK_THREADS / 2; half > 0; half >>= 1) {
        if (threadIdx.x < half) {
            scratch[threadIdx.x] += scratch[threadIdx.x + half];
        }
        __syncthreads();
    }
    double total = scratch[0];
    __syncthreads(); // scratch may be reused by the caller's next blockSum
    return total;
}

// max(|x|) that keeps a NaN once seen, like the reference's Math.max.
__device__ inline double maxAbsNan(double m, double x) {
    double a = fabs(x);
    return (a != a || a > m) ? a : m;
}

__device__ inline double blockMaxAbs(double v) {
    __shared__ double scratch[SK_THREADS];
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (int half = SK_THREADS / 2; half > 0; half >>= 1) {
        if (threadIdx.x < half) {
            scratch[threadIdx.x] = maxAbsNan(scratch[threadIdx.x], scratch[threadIdx.x + half]);
        }
        __syncthreads();
    }
    double total = scratch[0];
    __syncthreads();
    return total;
}

// ---- random fills ------------------------------------------------------------------------------
// Element i is number e = offset + i of the stream. One thread per Philox block: it computes the
// block once and writes those of its 4 (fp32) or 2 (fp64) numbers that fall inside [offset, offset+n).

template <typename T, int PER_BLOCK>
__device__ inline void storeBlock(T* out, uint64_t n, uint64_t offset, uint64_t b, const T* values) {
    for (int lane = 0; lane < PER_BLOCK; lane++) {
        uint64_t e = b * PER_BLOCK + lane;
        if (e >= offset && e - offset < n) {
            out[e - offset] = values[lane];
        }
    }
}

} // namespace sk

using namespace sk;

extern "C" __global__ void sk_fill_normal_f32(float* out, uint64_t n, uint64_t offset, uint32_t k0, uint32_t k1,
                                              uint32_t stream, float mean, float stdev) {
    uint64_t first = offset >> 2;
    uint64_t blocks = n == 0 ? 0 : ((offset + n - 1) >> 2) - first + 1;
    for (uint64_t t = globalThread(); t < blocks; t += gridThreads()) {
        float z[4];
        normalBlockF32(first + t, stream, k0, k1, z);
        for (int lane = 0; lane < 4; lane++) {
            z[lane] = fmaf(stdev, z[lane], mean); // Math.fma((float) std, z, (float) mean)
        }
        storeBlock<float, 4>(out, n, offset, first + t, z);
    }
}

extern "C" __global__ void sk_fill_normal_f64(double* out, uint64_t n, uint64_t offset, uint32_t k0, uint32_t k1,
                                              uint32_t stream, double mean, double stdev) {
    uint64_t first = offset >> 1;
    uint64_t blocks = n == 0 ? 0 : ((offset + n - 1) >> 1) - first + 1;
    for (uint64_t t = globalThread(); t < blocks; t += gridThreads()) {
        double z[2];
        normalBlockF64(first + t, stream, k0, k1, z);
        for (int lane = 0; lane < 2; lane++) {
            z[lane] = fma(stdev, z[lane], mean);
        }
        storeBlock<double, 2>(out, n, offset, first + t, z);
    }
}

// out = lo + span·u with span = hi − lo computed by the caller in the dtype, as the reference does.
extern "C" __global__ void sk_fill_uniform_f32(float* out, uint64_t n, uint64_t offset, uint32_t k0, uint32_t k1,
                                               uint32_t stream, float lo, float span) {
    uint64_t first = offset >> 2;
    uint64_t blocks = n == 0 ? 0 : ((offset + n - 1) >> 2) - first + 1;
    for (uint64_t t = globalThread(); t < blocks; t += gridThreads()) {
        Words w = philox(first + t, stream, TAG_UNIFORM_F32, k0, k1);
        float v[4];
        for (int lane = 0; lane < 4; lane++) {
            v[lane] = fmaf(span, uniformF32(w.w[lane]), lo);
        }
        storeBlock<float, 4>(out, n, offset, first + t, v);
    }
}

extern "C" __global__ void sk_fill_uniform_f64(double* out, uint64_t n, uint64_t offset, uint32_t k0, uint32_t k1,
                                               uint32_t stream, double lo, double span) {
    uint64_t first = offset >> 1;
    uint64_t blocks = n == 0 ? 0 : ((offset + n - 1) >> 1) - first + 1;
    for (uint64_t t = globalThread(); t < blocks; t += gridThreads()) {
        Words w = philox(first + t, stream, TAG_UNIFORM_F64, k0, k1);
        double v[2];
        for (int lane = 0; lane < 2; lane++) {
            v[lane] = fma(span, uniformF64(w.w[2 * lane], w.w[2 * lane + 1]), lo);
        }
        storeBlock<double, 2>(out, n, offset, first + t, v);
    }
}

// ---- element-wise ------------------------------------------------------------------------------

#define SK_ELEMENTWISE(T, SUFFIX)                                                                             \
    /* a[i][j] *= factors[j] */                                                                               \
    extern "C" __global__ void sk_scale_columns_##SUFFIX(T* a, uint64_t n, uint32_t cols, const T* factors) { \
        for (uint64_t i = globalThread(); i < n; i += gridThreads()) {                                        \
            a[i] = a[i] * factors[i % cols];                                                                  \
        }                                                                                                     \
    }                                                                                                         \
    /* a = beta·a, or 0 when beta is 0 (so that NaN in a is not read, as BLAS does for beta = 0) */          \
    extern "C" __global__ void sk_scale_##SUFFIX(T* a, uint64_t n, T beta) {                                  \
        for (uint64_t i = globalThread(); i < n; i += gridThreads()) {                                        \
            a[i] = beta == (T) 0 ? (T) 0 : beta * a[i];                                                       \
        }                                                                                                     \
    }                                                                                                         \
    /* a = σ(a), the feature maps' epilogue after the GEMM that computed s·X Fᵀ */                           \
    extern "C" __global__ void sk_activate_##SUFFIX(T* a, uint64_t n, int act) {                              \
        for (uint64_t i = globalThread(); i < n; i += gridThreads()) {                                        \
            a[i] = activate(a[i], act);                                                                       \
        }                                                                                                     \
    }                                                                                                         \
    /* Row-major lower triangle ← upper triangle (what cuBLAS syrk wrote), so a Gram is exactly symmetric. */ \
    extern "C" __global__ void sk_mirror_upper_##SUFFIX(T* a, uint32_t n) {                                   \
        uint64_t total = (uint64_t) n * n;                                                                    \
        for (uint64_t idx = globalThread(); idx < total; idx += gridThreads()) {                              \
            uint64_t i = idx / n;                                                                             \
            uint64_t j = idx % n;                                                                             \
            if (i > j) {                                                                                      \
                a[idx] = a[j * n + i];                                                                        \
            }                                                                                                 \
        }                                                                                                     \
    }                                                                                                         \
    /* out (cols×rows) = inᵀ (in rows×cols), through a 32×33 shared tile so both sides are coalesced */      \
    extern "C" __global__ void sk_transpose_##SUFFIX(const T* in, uint32_t rows, uint32_t cols, T* out) {     \
        __shared__ T tile[32][33];                                                                            \
        uint32_t tilesY = (rows + 31) / 32;                                                                   \
        for (uint32_t by = blockIdx.y; by < tilesY; by += gridDim.y) {                                        \
            uint32_t col = blockIdx.x * 32 + threadIdx.x;                                                     \
            for (uint32_t r = threadIdx.y; r < 32; r += blockDim.y) {                                         \
                uint32_t row = by * 32 + r;                                                                   \
                if (row < rows && col < cols) {                                                               \
                    tile[r][threadIdx.x] = in[(uint64_t) row * cols + col];                                   \
                }                                                                                             \
            }                                                                                                 \
            __syncthreads();                                                                                  \
            uint32_t outCol = by * 32 + threadIdx.x;                                                          \
            for (uint32_t r = threadIdx.y; r < 32; r += blockDim.y) {                                         \
                uint32_t outRow = blockIdx.x * 32 + r;                                                        \
                if (outRow < cols && outCol < rows) {                                                         \
                    out[(uint64_t) outRow * rows + outCol] = tile[threadIdx.x][r];                            \
                }                                                                                             \
            }                                                                                                 \
            __syncthreads();                                                                                  \
        }                                                                                                     \
    }                                                                                                         \
    /* Sparse feature map: out[i][j] = σ(s·Σ_k x_ik·Fᵀ[col_k][j]) over the non-zeros of row i, with Fᵀ    \
       (M×N) formed once so that the threads of a block (consecutive j) read consecutive addresses.        \
       The sum runs over the non-zeros in CSR order with fma: one fixed order, no atomics. */              \
    extern "C" __global__ void sk_csr_map_##SUFFIX(const int* rowStart, const int* columns, const T* values,  \
                                                   const T* ft, uint32_t rows, uint32_t n, T scale, int act,  \
                                                   T* out) {                                                  \
        uint32_t j = blockIdx.x * blockDim.x + threadIdx.x;                                                   \
        if (j >= n) {                                                                                         \
            return;                                                                                           \
        }                                                                                                     \
        for (uint32_t i = blockIdx.y; i < rows; i += gridDim.y) {                                             \
            T acc = 0;                                                                                        \
            for (int k = rowStart[i]; k < rowStart[i + 1]; k++) {                                             \
                acc = fma(values[k], ft[(uint64_t) columns[k] * n + j], acc);                                 \
            }                                                                                                 \
            out[(uint64_t) i * n + j] = activate(scale * acc, act);                                           \
        }                                                                                                     \
    }

SK_ELEMENTWISE(float, f32)
SK_ELEMENTWISE(double, f64)

// fp32 ↔ fp64, for the ridge solve, which forms and solves its system in double (exact widening).
extern "C" __global__ void sk_widen_f32(const float* in, uint64_t n, double* out) {
    for (uint64_t i = globalThread(); i < n; i += gridThreads()) {
        out[i] = (double) in[i];
    }
}

extern "C" __global__ void sk_narrow_f32(const double* in, uint64_t n, float* out) {
    for (uint64_t i = globalThread(); i < n; i += gridThreads()) {
        out[i] = (float) in[i];
    }
}

// ---- reductions --------------------------------------------------------------------------------
// Pass 1 writes one double partial per block (gridDim.x of them); pass 2 (sk_sum_partials or
// sk_max_partials, one block) combines them in block order.

#define SK_REDUCTIONS(T, SUFFIX)                                                                              \
    extern "C" __global__ void sk_dot_partials_##SUFFIX(const T* a, const T* b, uint64_t n, double* partials) { \
        double acc = 0;                                                                                       \
        for (uint64_t i = globalThread(); i < n; i += gridThreads()) {                                        \
            acc = fma((double) a[i], (double) b[i], acc);                                                     \
        }                                                                                                     \
        double total = blockSum(acc);                                                                         \
        if (threadIdx.x == 0) {                                                                               \
            partials[blockIdx.x] = total;                                                                     \
        }                                                                                                     \
    }                                                                                                         \
    extern "C" __global__ void sk_max_abs_partials_##SUFFIX(const T* a, uint64_t n, double* partials) {       \
        double m = 0;                                                                                         \
        for (uint64_t i = globalThread(); i < n; i += gridThreads()) {                                        \
            m = maxAbsNan(m, (double) a[i]);                                                                  \
        }                                                                                                     \
        double total = blockMaxAbs(m);                                                                        \
        if (threadIdx.x == 0) {                                                                               \
            partials[blockIdx.x] = total;                                                                     \
        }                                                                                                     \
    }                                                                                                         \
    /* Σ (a_i / max)², with max = *scale > 0 from the max pass: no overflow for any finite entries */        \
    extern "C" __global__ void sk_scaled_squares_partials_##SUFFIX(const T* a, uint64_t n, const double* scale, \
                                                                  double* partials) {                        \
        double s = *scale;                                                                                    \
        double acc = 0;                                                                                       \
        for (uint64_t i = globalThread(); i < n; i += gridThreads()) {                                        \
            double v = (double) a[i] / s;                                                                     \
            acc = fma(v, v, acc);                                                                             \
        }                                                                                                     \
        double total = blockSum(acc);                                                                         \
        if (threadIdx.x == 0) {                                                                               \
            partials[blockIdx.x] = total;                                                                     \
        }                                                                                                     \
    }                                                                                                         \
    /* Per-column Σ_i (a[i][j] − b[i][jb])² over the rows of chunk blockIdx.x (jb = j, or 0 when b is one   \
       shared column); with writeBack, a[i][j] ← a[i][j] − b[i][jb] as well (the GD residual).             \
       partials[j·gridDim.x + chunk]. */                                                                      \
    extern "C" __global__ void sk_column_sq_diff_##SUFFIX(T* a, const T* b, uint64_t rows, uint32_t k,        \
                                                          uint32_t bCols, int writeBack, uint64_t rowsPerChunk, \
                                                          double* partials) {                                 \
        uint64_t start = (uint64_t) blockIdx.x * rowsPerChunk;                                                \
        uint64_t end = min(rows, start + rowsPerChunk);                                                       \
        for (uint32_t j = 0; j < k; j++) {                                                                    \
            uint32_t jb = bCols == 1 ? 0 : j;                                                                 \
            double acc = 0;                                                                                   \
            for (uint64_t i = start + threadIdx.x; i < end; i += blockDim.x) {                                \
                T d = a[i * k + j] - b[i * bCols + jb];                                                       \
                if (writeBack) {                                                                              \
                    a[i * k + j] = d;                                                                         \
                }                                                                                             \
                acc = fma((double) d, (double) d, acc);                                                       \
            }                                                                                                 \
            double total = blockSum(acc);                                                                     \
            if (threadIdx.x == 0) {                                                                           \
                partials[(uint64_t) j * gridDim.x + blockIdx.x] = total;                                      \
            }                                                                                                 \
        }                                                                                                     \
    }                                                                                                         \
    /* GD: r[i][j] ← active[j] ? negStep[j]·r[i][j] : 0, so that w ← w + Φᵀr is the step −(η_j/P)·Φᵀr on    \
       the active columns and leaves frozen ones exactly as they are (0, not 0·NaN). */                       \
    extern "C" __global__ void sk_gd_scale_residual_##SUFFIX(T* r, uint64_t rows, uint32_t k, const int* active, \
                                                             const T* negStep) {                              \
        uint64_t n = rows * k;                                                                                \
        for (uint64_t idx = globalThread(); idx < n; idx += gridThreads()) {                                  \
            uint32_t j = (uint32_t) (idx % k);                                                                \
            r[idx] = active[j] ? negStep[j] * r[idx] : (T) 0;                                                 \
        }                                                                                                     \
    }

SK_REDUCTIONS(float, f32)
SK_REDUCTIONS(double, f64)

// out[0] = Σ partials[0..count) in order (one block: fixed per-thread strides, then the tree).
extern "C" __global__ void sk_sum_partials(const double* partials, uint32_t count, double* out) {
    double acc = 0;
    for (uint32_t i = threadIdx.x; i < count; i += blockDim.x) {
        acc += partials[i];
    }
    double total = blockSum(acc);
    if (threadIdx.x == 0) {
        out[0] = total;
    }
}

extern "C" __global__ void sk_max_partials(const double* partials, uint32_t count, double* out) {
    double m = 0;
    for (uint32_t i = threadIdx.x; i < count; i += blockDim.x) {
        m = maxAbsNan(m, partials[i]);
    }
    double total = blockMaxAbs(m);
    if (threadIdx.x == 0) {
        out[0] = total;
    }
}

// out[j] = Σ_c partials[j·chunks + c] / divisor, in chunk order.
extern "C" __global__ void sk_column_sums(const double* partials, uint32_t chunks, uint32_t k, double divisor,
                                          double* out) {
    for (uint64_t j = globalThread(); j < k; j += gridThreads()) {
        double acc = 0;
        for (uint32_t c = 0; c < chunks; c++) {
            acc += partials[j * chunks + c];
        }
        out[j] = acc / divisor;
    }
}

// GD bookkeeping for step t, on the device so that no step needs the host (the reference's rules):
// loss_j = Σ r² / P; at t = 0 it becomes the reference loss; when t is a record step (slot >= 0)
// the loss is recorded, or NaN for a right-hand side frozen earlier; an active right-hand side whose
// loss is not finite or exceeds factor × a positive initial loss is frozen at t. activeCount[0]
// counts the active ones, so the host can stop early (integer atomics: exact in any order).
extern "C" __global__ void sk_gd_observe(const double* partials, uint32_t chunks, uint32_t k, double rows,
                                         int64_t t, int32_t slot, double factor, double* initialLoss, int* active,
                                         int64_t* divergedStep, double* losses, int* activeCount) {
    for (uint64_t j = globalThread(); j < k; j += gridThreads()) {
        double sum = 0;
        for (uint32_t c = 0; c < chunks; c++) {
            sum += partials[j * chunks + c];
        }
        double loss = sum / rows;
        if (t == 0) {
            initialLoss[j] = loss;
        }
        int wasActive = active[j];
        if (slot >= 0) {
            losses[(uint64_t) slot * k + j] = wasActive ? loss : CUDART_NAN;
        }
        if (wasActive && (!isfinite(loss) || (initialLoss[j] > 0 && loss > factor * initialLoss[j]))) {
            active[j] = 0;
            divergedStep[j] = t;
            atomicSub(activeCount, 1);
        }
    }
}
