package dev.scalekernel.api.host;

import dev.scalekernel.api.AbstractBackend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A matrix in off-heap host memory (a {@link MemorySegment} of its own shared arena), so its size
 * is not limited to 2^31 elements and it is freed the moment it is closed. Element i (row-major)
 * sits at byte i·dtype.bytes(), in native byte order.
 */
public final class HostMatrix extends Matrix {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE;

    private final Arena arena;
    private final MemorySegment segment;

    public HostMatrix(AbstractBackend owner, int rows, int cols, DType dtype) {
        super(owner, rows, cols, dtype);
        this.arena = Arena.ofShared();
        long bytes = (long) rows * cols * dtype.bytes();
        this.segment = HostMemory.allocate(arena, bytes);
    }

    /** The elements; valid until {@link #close()}. */
    public MemorySegment segment() {
        return segment;
    }

    public double get(long i) {
        return dtype() == DType.F32 ? segment.getAtIndex(F, i) : segment.getAtIndex(D, i);
    }

    public double get(int row, int col) {
        return get((long) row * cols() + col);
    }

    /** Stores v rounded to the dtype. */
    public void set(long i, double v) {
        if (dtype() == DType.F32) {
            segment.setAtIndex(F, i, (float) v);
        } else {
            segment.setAtIndex(D, i, v);
        }
    }

    public void set(int row, int col, double v) {
        set((long) row * cols() + col, v);
    }

    @Override
    protected void free() {
        arena.close();
    }
}
