package dev.scalekernel.api;

/** A CSR matrix owned by one backend, created by {@link Backend#upload(Csr, DType)}. */
public abstract class SparseMatrix extends Allocation {
    private final int rows;
    private final int cols;
    private final long nonZeros;
    private final DType dtype;

    protected SparseMatrix(AbstractBackend owner, int rows, int cols, long nonZeros, DType dtype) {
        super(owner);
        this.rows = rows;
        this.cols = cols;
        this.nonZeros = nonZeros;
        this.dtype = dtype;
    }

    public final int rows() {
        return rows;
    }

    public final int cols() {
        return cols;
    }

    public final long nonZeros() {
        return nonZeros;
    }

    public final DType dtype() {
        return dtype;
    }

    @Override
    public String describe() {
        return dtype + " CSR matrix " + rows + "x" + cols + " with " + nonZeros + " non-zeros";
    }

    @Override
    public String toString() {
        return describe() + (isClosed() ? " (closed)" : "");
    }
}
