package dev.scalekernel.gpu;

/**
 * A CUDA or cuBLAS call failed during a backend operation. The message names the operation, its
 * operands' dtypes and shapes, and the CUDA or cuBLAS error; the cause is the original exception.
 * With {@code BackendOptions.syncEachOp} the error of an asynchronous kernel is attributed to the
 * operation that launched it; without it, to the first operation that waits for the device.
 */
public final class GpuException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    GpuException(String message, Throwable cause) {
        super(message, cause);
    }
}
