package dev.scalekernel.bench;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;

import dev.scalekernel.api.host.HostMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * A row-major matrix on the Java heap (float[] for f32, double[] for f64): the inputs every
 * implementation of a benchmark receives (uploaded to a backend, copied into native memory for
 * OpenBLAS, used as is by VectorBLAS) and what the agreement checks read. Its values are already
 * rounded to the dtype, so the double-precision checks see exactly the operands the kernels see.
 */
public final class HostData {

    /** Element (i, j) of some matrix, widened to double. */
    @FunctionalInterface
    public interface Entries {
        double at(int i, int j);
    }

    private final DType dtype;
    private final int rows;
    private final int cols;
    private final float[] f;
    private final double[] d;

    private HostData(DType dtype, int rows, int cols, float[] f, double[] d) {
        this.dtype = dtype;
        this.rows = rows;
        this.cols = cols;
        this.f = f;
        this.d = d;
    }

    public static HostData zeros(DType dtype, int rows, int cols) {
        int n = Math.multiplyExact(rows, cols);
        return dtype == DType.F32 ? new HostData(dtype, rows, cols, new float[n], null)
                : new HostData(dtype, rows, cols, null, new double[n]);
    }

    /** Independent uniform entries on (−half, half), deterministic in {@code seed}. */
    public static HostData uniform(DType dtype, int rows, int cols, long seed, double half) {
        HostData h = zeros(dtype, rows, cols);
        SplittableRandom r = new SplittableRandom(seed);
        if (dtype == DType.F32) {
            for (int i = 0; i < h.f.length; i++) {
                h.f[i] = (float) ((2 * r.nextDouble() - 1) * half);
            }
        } else {
            for (int i = 0; i < h.d.length; i++) {
                h.d[i] = (2 * r.nextDouble() - 1) * half;
            }
        }
        return h;
    }

    /** The contents of a backend matrix (waits for pending work). */
    public static HostData download(Backend backend, Matrix m) {
        HostData h = zeros(m.dtype(), m.rows(), m.cols());
        if (h.f != null) {
            backend.download(m, h.f);
        } else {
            backend.download(m, h.d);
        }
        return h;
    }

    public DType dtype() {
        return dtype;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public float[] floats() {
        return f;
    }

    public double[] doubles() {
        return d;
    }

    public long bytes() {
        return (long) rows * cols * dtype.bytes();
    }

    public double get(long i) {
        return f != null ? f[(int) i] : d[(int) i];
    }

    public double get(int i, int j) {
        return get((long) i * cols + j);
    }

    public void set(int i, int j, double v) {
        int k = i * cols + j;
        if (f != null) {
            f[k] = (float) v;
        } else {
            d[k] = v;
        }
    }

    /** This matrix as op(X) entries: X(i, j), or Xᵀ(i, j) = X(j, i) when {@code transposed}. */
    public Entries entries(boolean transposed) {
        return transposed ? (i, j) -> get(j, i) : this::get;
    }

    /** A new matrix of {@code backend} holding these values. */
    public Matrix upload(Backend backend) {
        return f != null ? backend.upload(f, rows, cols) : backend.upload(d, rows, cols, dtype);
    }

    /** A copy in native memory of {@code arena}, 64-byte aligned (as the CPU backend's matrices). */
    public MemorySegment toSegment(Arena arena) {
        MemorySegment s = allocate(arena, dtype, (long) rows * cols);
        if (f != null) {
            MemorySegment.copy(f, 0, s, ValueLayout.JAVA_FLOAT, 0, f.length);
        } else {
            MemorySegment.copy(d, 0, s, ValueLayout.JAVA_DOUBLE, 0, d.length);
        }
        return s;
    }

    /**
     * count elements of dtype in native memory, zeroed, 64-byte aligned: the OpenBLAS baseline's
     * buffers, from the same allocator as the backends' matrices (huge pages where those get them),
     * so that both sides stream memory through the same pages.
     */
    public static MemorySegment allocate(Arena arena, DType dtype, long count) {
        return HostMemory.allocate(arena, count * dtype.bytes());
    }

    /** Element i of a native segment of dtype, widened to double. */
    public static double get(MemorySegment s, DType dtype, long i) {
        return dtype == DType.F32 ? s.getAtIndex(ValueLayout.JAVA_FLOAT, i) : s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
    }

    /** Row-major entries of a rows×cols matrix in a native segment. */
    public static Entries entries(MemorySegment s, DType dtype, int cols) {
        return (i, j) -> get(s, dtype, (long) i * cols + j);
    }
}
