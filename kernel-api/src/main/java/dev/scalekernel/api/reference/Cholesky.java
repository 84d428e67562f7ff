package dev.scalekernel.api.reference;

/** Dense Cholesky factorisation and solve in double, for the reference ridge solve. */
public final class Cholesky {

    private Cholesky() {
    }

    /**
     * Solves G X = B for symmetric positive definite G (n×n) in place: on return g holds L (lower)
     * and b holds X. A pivot at or below n·2^-52·max(diag G) means G is not numerically positive
     * definite, and an {@link ArithmeticException} names the system and the pivot.
     */
    public static void solveInPlace(double[][] g, double[][] b, String what) {
        int n = g.length;
        double maxDiag = 0;
        for (int i = 0; i < n; i++) {
            maxDiag = Math.max(maxDiag, Math.abs(g[i][i]));
        }
        double threshold = n * 0x1.0p-52 * maxDiag;
        for (int j = 0; j < n; j++) {
            double d = g[j][j];
            for (int k = 0; k < j; k++) {
                d -= g[j][k] * g[j][k];
            }
            if (!(d > threshold)) {
                throw new ArithmeticException("ridgeSolve: the " + what + " is not numerically positive definite (pivot "
                        + j + " is " + d + "); use a ridge > 0 or fewer features than samples");
            }
            double ljj = Math.sqrt(d);
            g[j][j] = ljj;
            for (int i = j + 1; i < n; i++) {
                double s = g[i][j];
                for (int k = 0; k < j; k++) {
                    s -= g[i][k] * g[j][k];
                }
                g[i][j] = s / ljj;
            }
        }
        int cols = n == 0 ? 0 : b[0].length;
        for (int c = 0; c < cols; c++) {
            for (int i = 0; i < n; i++) { // L z = b
                double s = b[i][c];
                for (int k = 0; k < i; k++) {
                    s -= g[i][k] * b[k][c];
                }
                b[i][c] = s / g[i][i];
            }
            for (int i = n - 1; i >= 0; i--) { // Lᵀ x = z
                double s = b[i][c];
                for (int k = i + 1; k < n; k++) {
                    s -= g[k][i] * b[k][c];
                }
                b[i][c] = s / g[i][i];
            }
        }
    }
}
