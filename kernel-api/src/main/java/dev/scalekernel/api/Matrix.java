package dev.scalekernel.api;

/**
 * A dense row-major matrix owned by one backend. Element (i, j) sits at index i·cols + j. Its size
 * may exceed 2^31 elements (backends store it off-heap or on the device). A column vector is a
 * matrix with one column. Created only through {@link Backend#allocate}, {@link Backend#upload}.
 */
public abstract class Matrix extends Allocation {
    private final int rows;
    private final int cols;
    private final DType dtype;

    protected Matrix(AbstractBackend owner, int rows, int cols, DType dtype) {
        super(owner);
        this.rows = rows;
        this.cols = cols;
        this.dtype = dtype;
    }

    public final int rows() {
        return rows;
    }

    public final int cols() {
        return cols;
    }

    public final DType dtype() {
        return dtype;
    }

    /** rows · cols. */
    public final long size() {
        return (long) rows * cols;
    }

    /** "3x4". */
    public final String shape() {
        return rows + "x" + cols;
    }

    @Override
    public String describe() {
        return dtype + " matrix " + shape();
    }

    @Override
    public String toString() {
        return describe() + (isClosed() ? " (closed)" : "");
    }
}
