package dev.scalekernel.api.host;

import dev.scalekernel.api.AbstractBackend;
import dev.scalekernel.api.Csr;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.SparseMatrix;

/** A CSR matrix on the host: the validated {@link Csr} arrays with values rounded to the dtype. */
public final class HostSparseMatrix extends SparseMatrix {
    private final int[] rowStart;
    private final int[] columns;
    private final double[] values;

    public HostSparseMatrix(AbstractBackend owner, Csr csr, DType dtype) {
        super(owner, csr.rows(), csr.cols(), csr.nonZeros(), dtype);
        this.rowStart = csr.rowStart().clone();
        this.columns = csr.columns().clone();
        this.values = new double[csr.nonZeros()];
        for (int k = 0; k < values.length; k++) {
            values[k] = dtype.round(csr.values()[k]);
        }
    }

    /** Row i spans [rowStart[i], rowStart[i+1]). Do not modify. */
    public int[] rowStart() {
        return rowStart;
    }

    /** Column of each non-zero. Do not modify. */
    public int[] columns() {
        return columns;
    }

    /** Value of each non-zero, already rounded to the dtype. Do not modify. */
    public double[] values() {
        return values;
    }

    @Override
    protected void free() {
        // Heap arrays: nothing to release.
    }
}
