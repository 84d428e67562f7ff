package dev.scalekernel.gpu;

/**
 * cuBLAS argument sets for this project's row-major matrices. cuBLAS is column-major, and a
 * row-major r×c matrix read column-major is its c×r transpose with leading dimension c, so:
 * <ul>
 *   <li>C = op(A)·op(B) (row-major) is Cᵀ = op(B)ᵀ·op(A)ᵀ (column-major): the same memory, with the
 *       operands swapped and each transpose flag kept (the column-major view already supplies one
 *       transpose);</li>
 *   <li>y = op(A)·x uses the opposite flag, with m and n being A's columns and rows;</li>
 *   <li>a row Gram A·Aᵀ is syrk with {@code CUBLAS_OP_T} on the column-major Aᵀ, a column Gram
 *       AᵀA is syrk with {@code CUBLAS_OP_N}; the column-major lower triangle that syrk writes is
 *       the row-major upper triangle (column ≥ row).</li>
 * </ul>
 * Leading dimensions are at least 1, as BLAS requires even for empty matrices. Pure functions,
 * tested on the host against a column-major reference (ColumnMajorTest).
 */
final class ColumnMajor {

    private ColumnMajor() {
    }

    /**
     * One cublas?gemm_v2 call. The first matrix argument is the row-major B, the second the
     * row-major A; m, n, k are cuBLAS's (m = columns of C, n = rows of C).
     */
    record Gemm(int opFirst, int opSecond, int m, int n, int k, int ldFirst, int ldSecond, int ldc) {
    }

    /** One cublas?gemv_v2 call on the column-major view (m×n = cols×rows) of a row-major matrix. */
    record Gemv(int op, int m, int n, int lda) {
    }

    /** One cublas?syrk_v2 call; it fills the column-major {@code uplo} triangle of an n×n result. */
    record Syrk(int uplo, int op, int n, int k, int lda, int ldc) {
    }

    /**
     * C (m×n) = α·op(A)·op(B) + β·C, all row-major, op(A) m×k, op(B) k×n.
     *
     * @param aCols columns of A as stored; bCols of B; C has n columns
     */
    static Gemm gemm(boolean transA, boolean transB, int m, int n, int k, int aCols, int bCols) {
        return new Gemm(op(transB), op(transA), n, m, k, ld(bCols), ld(aCols), ld(n));
    }

    /** y = α·op(A)·x + β·y for a row-major A of rows×cols. */
    static Gemv gemv(boolean trans, int rows, int cols) {
        return new Gemv(op(!trans), cols, rows, ld(cols));
    }

    /** A·Aᵀ (rows×rows) for a row-major A of rows×cols; fills the row-major upper triangle. */
    static Syrk rowGram(int rows, int cols) {
        return new Syrk(Cublas.FILL_MODE_LOWER, Cublas.OP_T, rows, cols, ld(cols), ld(rows));
    }

    /** AᵀA (cols×cols) for a row-major A of rows×cols; fills the row-major upper triangle. */
    static Syrk columnGram(int rows, int cols) {
        return new Syrk(Cublas.FILL_MODE_LOWER, Cublas.OP_N, cols, rows, ld(cols), ld(cols));
    }

    private static int op(boolean transpose) {
        return transpose ? Cublas.OP_T : Cublas.OP_N;
    }

    private static int ld(int cols) {
        return Math.max(1, cols);
    }
}
