package dev.scalekernel.gpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The row-major → column-major mapping, checked without a GPU: each mapped call is executed by a
 * plain column-major BLAS written here from the reference BLAS definitions (with BLAS's argument
 * checks), on the same memory the device would see, and compared with the row-major product
 * computed directly. Data are small integers, so every sum is exact and the comparison is exact.
 */
class ColumnMajorTest {

    private final SplittableRandom random = new SplittableRandom(103);

    private static final int[][] SHAPES = {{1, 1, 1}, {3, 5, 7}, {7, 3, 5}, {5, 7, 3}, {16, 1, 9}, {1, 13, 2},
        {0, 3, 4}, {3, 0, 4}, {4, 3, 0}};

    @Test
    void gemmSwapsTheOperandsForEveryTransposition() {
        for (int[] s : SHAPES) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            for (int variant = 0; variant < 4; variant++) {
                boolean ta = (variant & 1) != 0;
                boolean tb = (variant & 2) != 0;
                int aRows = ta ? k : m;
                int aCols = ta ? m : k;
                int bRows = tb ? n : k;
                int bCols = tb ? k : n;
                double[] a = integers(aRows * aCols);
                double[] b = integers(bRows * bCols);
                double[] c0 = integers(m * n);
                double[] c = c0.clone();
                ColumnMajor.Gemm g = ColumnMajor.gemm(ta, tb, m, n, k, aCols, bCols);
                // The first cuBLAS matrix is the row-major B, the second the row-major A.
                columnMajorGemm(g.opFirst(), g.opSecond(), g.m(), g.n(), g.k(), 2, b, g.ldFirst(), a, g.ldSecond(),
                        -1, c, g.ldc());
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double sum = 0;
                        for (int l = 0; l < k; l++) {
                            sum += (ta ? a[l * aCols + i] : a[i * aCols + l]) * (tb ? b[j * bCols + l] : b[l * bCols + j]);
                        }
                        assertEquals(2 * sum - c0[i * n + j], c[i * n + j], 0.0,
                                "gemm " + m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb + " at " + i + "," + j);
                    }
                }
            }
        }
    }

    @Test
    void gemvUsesTheOppositeFlagOnTheTransposedView() {
        for (int[] s : SHAPES) {
            int rows = s[0];
            int cols = s[1];
            for (boolean trans : new boolean[] {false, true}) {
                int m = trans ? cols : rows;
                int k = trans ? rows : cols;
                double[] a = integers(rows * cols);
                double[] x = integers(k);
                double[] y0 = integers(m);
                double[] y = y0.clone();
                ColumnMajor.Gemv g = ColumnMajor.gemv(trans, rows, cols);
                columnMajorGemv(g.op(), g.m(), g.n(), 3, a, g.lda(), x, 2, y);
                for (int i = 0; i < m; i++) {
                    double sum = 0;
                    for (int l = 0; l < k; l++) {
                        sum += (trans ? a[l * cols + i] : a[i * cols + l]) * x[l];
                    }
                    assertEquals(3 * sum + 2 * y0[i], y[i], 0.0, "gemv " + rows + "x" + cols + " trans=" + trans + " at " + i);
                }
            }
        }
    }

    @Test
    void syrkFillsTheRowMajorUpperTriangleOfBothGrams() {
        for (int[] s : SHAPES) {
            int rows = s[0];
            int cols = s[1];
            double[] a = integers(rows * cols);
            for (boolean rowGram : new boolean[] {true, false}) {
                ColumnMajor.Syrk g = rowGram ? ColumnMajor.rowGram(rows, cols) : ColumnMajor.columnGram(rows, cols);
                int n = rowGram ? rows : cols;
                assertEquals(n, g.n());
                double[] c = new double[n * n];
                java.util.Arrays.fill(c, Double.NaN); // the triangle syrk does not write keeps its poison
                columnMajorSyrk(g.uplo(), g.op(), g.n(), g.k(), 0.5, a, g.lda(), c, g.ldc());
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        if (j < i) {
                            assertTrue(Double.isNaN(c[i * n + j]), "syrk wrote the row-major lower triangle at " + i + "," + j);
                            continue;
                        }
                        double sum = 0;
                        for (int l = 0; l < (rowGram ? cols : rows); l++) {
                            sum += rowGram ? a[i * cols + l] * a[j * cols + l] : a[l * cols + i] * a[l * cols + j];
                        }
                        assertEquals(0.5 * sum, c[i * n + j], 0.0, (rowGram ? "A Aᵀ" : "AᵀA") + " at " + i + "," + j);
                    }
                }
            }
        }
    }

    @Test
    void leadingDimensionsAreAtLeastOne() {
        ColumnMajor.Gemm g = ColumnMajor.gemm(false, false, 0, 0, 0, 0, 0);
        assertEquals(1, g.ldFirst());
        assertEquals(1, g.ldSecond());
        assertEquals(1, g.ldc());
        assertEquals(1, ColumnMajor.gemv(false, 5, 0).lda());
        assertEquals(1, ColumnMajor.rowGram(0, 0).ldc());
    }

    // ---- a column-major reference BLAS (Fortran semantics, 0-based) ------------------------------

    private static void columnMajorGemm(int opA, int opB, int m, int n, int k, double alpha, double[] a, int lda,
                                        double[] b, int ldb, double beta, double[] c, int ldc) {
        int aRows = opA == Cublas.OP_N ? m : k;
        int bRows = opB == Cublas.OP_N ? k : n;
        checkLd("lda", lda, aRows);
        checkLd("ldb", ldb, bRows);
        checkLd("ldc", ldc, m);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int l = 0; l < k; l++) {
                    double x = opA == Cublas.OP_N ? a[l * lda + i] : a[i * lda + l];
                    double y = opB == Cublas.OP_N ? b[j * ldb + l] : b[l * ldb + j];
                    sum += x * y;
                }
                c[j * ldc + i] = alpha * sum + beta * c[j * ldc + i];
            }
        }
    }

    private static void columnMajorGemv(int op, int m, int n, double alpha, double[] a, int lda, double[] x,
                                        double beta, double[] y) {
        checkLd("lda", lda, m);
        int outLength = op == Cublas.OP_N ? m : n;
        int inLength = op == Cublas.OP_N ? n : m;
        assertEquals(inLength, x.length, "x length");
        assertEquals(outLength, y.length, "y length");
        for (int i = 0; i < outLength; i++) {
            double sum = 0;
            for (int l = 0; l < inLength; l++) {
                sum += (op == Cublas.OP_N ? a[l * lda + i] : a[i * lda + l]) * x[l];
            }
            y[i] = alpha * sum + beta * y[i];
        }
    }

    /** C = alpha·op(A)·op(A)ᵀ (op N: A n×k; op T: A k×n) on the lower triangle, beta = 0. */
    private static void columnMajorSyrk(int uplo, int op, int n, int k, double alpha, double[] a, int lda,
                                        double[] c, int ldc) {
        assertEquals(Cublas.FILL_MODE_LOWER, uplo);
        checkLd("lda", lda, op == Cublas.OP_N ? n : k);
        checkLd("ldc", ldc, n);
        for (int j = 0; j < n; j++) {
            for (int i = j; i < n; i++) {
                double sum = 0;
                for (int l = 0; l < k; l++) {
                    sum += op == Cublas.OP_N ? a[l * lda + i] * a[l * lda + j] : a[i * lda + l] * a[j * lda + l];
                }
                c[j * ldc + i] = alpha * sum;
            }
        }
    }

    private static void checkLd(String name, int ld, int rows) {
        assertTrue(ld >= Math.max(1, rows), name + " = " + ld + " < max(1, " + rows + "): cuBLAS would reject it");
    }

    private double[] integers(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextInt(-9, 10);
        }
        return v;
    }
}
