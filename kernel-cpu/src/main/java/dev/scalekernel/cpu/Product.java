package dev.scalekernel.cpu;

import dev.scalekernel.api.Activation;

import java.lang.foreign.MemorySegment;

/**
 * One product C = σ(α·op(A)·op(B) + β·C) for the blocked GEMM kernels. All three matrices are
 * row-major with leading dimensions (elements from one row to the next) lda, ldb, ldc: A is m×k
 * (k×m when transA), B is k×n (n×k when transB), C is m×n. Dense operands have lda = their column
 * count; a larger one addresses a block inside a bigger matrix (the Cholesky's trailing update).
 * β = 0 means C is not read. {@code part} says which elements of C are computed.
 */
record Product(boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a, int lda,
               MemorySegment b, int ldb, double beta, MemorySegment c, int ldc, Activation activation, Part part) {

    /** Which elements of C a product computes; UPPER and SYMMETRIC need m = n. */
    enum Part {
        /** Every element. */
        ALL,
        /**
         * Every element on or above the diagonal; register tiles entirely below it are skipped,
         * and the elements below it that tiles crossing the diagonal touch are unspecified.
         * For a caller that needs one triangle of a symmetric result (the Cholesky stores U).
         */
        UPPER,
        /**
         * The caller promises op(A)·op(B) is symmetric: UPPER, then the lower triangle is copied
         * from the upper one, so the result is exactly symmetric at about half the work.
         */
        SYMMETRIC
    }

    /** Dense operands; {@code symmetric} selects {@link Part#SYMMETRIC}, else {@link Part#ALL}. */
    Product(boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a, MemorySegment b,
            double beta, MemorySegment c, Activation activation, boolean symmetric) {
        this(transA, transB, m, n, k, alpha, a, transA ? m : k, b, transB ? k : n, beta, c, n, activation,
                symmetric ? Part.SYMMETRIC : Part.ALL);
    }

    /** C = α·op(A)·op(B) + β·C, dense operands. */
    static Product gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a,
                        MemorySegment b, double beta, MemorySegment c) {
        return new Product(transA, transB, m, n, k, alpha, a, b, beta, c, Activation.IDENTITY, false);
    }

    /** Whether register tiles entirely below the diagonal are skipped. */
    boolean upperOnly() {
        return part != Part.ALL;
    }
}
