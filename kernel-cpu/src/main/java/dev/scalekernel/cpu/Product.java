package dev.scalekernel.cpu;

import dev.scalekernel.api.Activation;

import java.lang.foreign.MemorySegment;

/**
 * One product C = σ(α·op(A)·op(B) + β·C) for the blocked GEMM kernels. All three matrices are
 * row-major and dense (leading dimension = columns): A is m×k (k×m when transA), B is k×n (n×k
 * when transB), C is m×n. β = 0 means C is not read. When {@code symmetric} the caller promises
 * op(A)·op(B) is symmetric (m = n): only tiles touching the upper triangle are computed and the
 * lower triangle is then copied from it, so the result is exactly symmetric.
 */
record Product(boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
               MemorySegment b, double beta, MemorySegment c, Activation activation, boolean symmetric) {

    /** C = α·op(A)·op(B) + β·C. */
    static Product gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                        MemorySegment b, double beta, MemorySegment c) {
        return new Product(transA, transB, m, n, k, alpha, a, b, beta, c, Activation.IDENTITY, false);
    }
}
