package dev.scalekernel.api;

import java.util.Arrays;

/**
 * A sparse matrix in compressed sparse row form, on the host, validated on construction.
 * Row i holds the entries {@code values[k]} at columns {@code columns[k]} for
 * {@code rowStart[i] <= k < rowStart[i+1]}; columns within a row are strictly increasing.
 * The arrays are not copied; do not modify them afterwards.
 */
public record Csr(int rows, int cols, int[] rowStart, int[] columns, double[] values) {

    public Csr {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("CSR shape must be non-negative, got " + rows + "x" + cols);
        }
        if (rowStart == null || columns == null || values == null) {
            throw new IllegalArgumentException("CSR arrays must not be null");
        }
        if (rowStart.length != rows + 1) {
            throw new IllegalArgumentException("CSR rowStart must have rows+1 = " + (rows + 1)
                    + " entries, got " + rowStart.length);
        }
        if (rowStart[0] != 0) {
            throw new IllegalArgumentException("CSR rowStart[0] must be 0, got " + rowStart[0]);
        }
        if (columns.length != values.length || rowStart[rows] != columns.length) {
            throw new IllegalArgumentException("CSR rowStart[rows] = " + rowStart[rows] + ", columns.length = "
                    + columns.length + " and values.length = " + values.length + " must be equal");
        }
        for (int i = 0; i < rows; i++) {
            if (rowStart[i + 1] < rowStart[i]) {
                throw new IllegalArgumentException("CSR rowStart must be non-decreasing, but rowStart[" + (i + 1)
                        + "] = " + rowStart[i + 1] + " < rowStart[" + i + "] = " + rowStart[i]);
            }
            for (int k = rowStart[i]; k < rowStart[i + 1]; k++) {
                int c = columns[k];
                if (c < 0 || c >= cols) {
                    throw new IllegalArgumentException("CSR column " + c + " in row " + i + " is outside [0, " + cols + ")");
                }
                if (k > rowStart[i] && c <= columns[k - 1]) {
                    throw new IllegalArgumentException("CSR columns in row " + i + " must be strictly increasing, got "
                            + columns[k - 1] + " then " + c);
                }
                if (!Double.isFinite(values[k])) {
                    throw new IllegalArgumentException("CSR value at row " + i + ", column " + c + " is " + values[k]
                            + "; values must be finite");
                }
            }
        }
    }

    public int nonZeros() {
        return values.length;
    }

    /** The dense row-major form (for tests and small inputs). */
    public double[] toDense() {
        double[] dense = new double[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < rows; i++) {
            for (int k = rowStart[i]; k < rowStart[i + 1]; k++) {
                dense[i * cols + columns[k]] = values[k];
            }
        }
        return dense;
    }

    /** The CSR form of a dense row-major array, keeping exactly the non-zero entries. */
    public static Csr fromDense(double[] dense, int rows, int cols) {
        if (dense.length != (long) rows * cols) {
            throw new IllegalArgumentException("dense array has " + dense.length + " entries, expected " + rows + "x" + cols);
        }
        int[] rowStart = new int[rows + 1];
        int nnz = 0;
        for (double v : dense) {
            if (v != 0.0) {
                nnz++;
            }
        }
        int[] columns = new int[nnz];
        double[] values = new double[nnz];
        int k = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double v = dense[i * cols + j];
                if (v != 0.0) {
                    columns[k] = j;
                    values[k++] = v;
                }
            }
            rowStart[i + 1] = k;
        }
        return new Csr(rows, cols, rowStart, columns, values);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Csr c && rows == c.rows && cols == c.cols && Arrays.equals(rowStart, c.rowStart)
                && Arrays.equals(columns, c.columns) && Arrays.equals(values, c.values);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(rowStart) + Arrays.hashCode(columns)) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "Csr[" + rows + "x" + cols + ", " + nonZeros() + " non-zeros]";
    }
}
