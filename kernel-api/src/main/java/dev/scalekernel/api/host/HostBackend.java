package dev.scalekernel.api.host;

import dev.scalekernel.api.AbstractBackend;
import dev.scalekernel.api.Csr;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.SparseMatrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Memory management shared by the backends whose matrices live in host memory. */
public abstract class HostBackend extends AbstractBackend {

    @Override
    protected final Matrix allocateK(int rows, int cols, DType dtype) {
        return new HostMatrix(this, rows, cols, dtype);
    }

    @Override
    protected final Matrix uploadK(float[] data, int rows, int cols) {
        HostMatrix m = new HostMatrix(this, rows, cols, DType.F32);
        MemorySegment.copy(data, 0, m.segment(), ValueLayout.JAVA_FLOAT, 0, data.length);
        return m;
    }

    @Override
    protected final Matrix uploadK(double[] data, int rows, int cols, DType dtype) {
        HostMatrix m = new HostMatrix(this, rows, cols, dtype);
        if (dtype == DType.F64) {
            MemorySegment.copy(data, 0, m.segment(), ValueLayout.JAVA_DOUBLE, 0, data.length);
        } else {
            for (int i = 0; i < data.length; i++) {
                m.set(i, data[i]);
            }
        }
        return m;
    }

    @Override
    protected final SparseMatrix uploadK(Csr csr, DType dtype) {
        return new HostSparseMatrix(this, csr, dtype);
    }

    @Override
    protected final void downloadK(Matrix src, float[] dst) {
        MemorySegment.copy(host(src).segment(), ValueLayout.JAVA_FLOAT, 0, dst, 0, dst.length);
    }

    @Override
    protected final void downloadK(Matrix src, double[] dst) {
        HostMatrix m = host(src);
        if (m.dtype() == DType.F64) {
            MemorySegment.copy(m.segment(), ValueLayout.JAVA_DOUBLE, 0, dst, 0, dst.length);
        } else {
            for (int i = 0; i < dst.length; i++) {
                dst[i] = m.get(i);
            }
        }
    }

    /** The host view of an operand (validated as owned by this backend). */
    protected static HostMatrix host(Matrix m) {
        return (HostMatrix) m;
    }

    protected static HostSparseMatrix host(SparseMatrix m) {
        return (HostSparseMatrix) m;
    }
}
