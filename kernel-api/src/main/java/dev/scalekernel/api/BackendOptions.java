package dev.scalekernel.api;

/**
 * Tunables a backend runs with; recorded in {@link BackendInfo} so every result says how it was
 * computed. Backends ignore what does not apply to them.
 *
 * @param threads   worker threads; 0 means all available processors
 * @param fma       whether kernels may use fused multiply-add (AUTO: when the hardware has it)
 * @param syncEachOp wait for each operation to finish and check it (GPU; on in tests)
 * @param device    which device to open, by index (GPU: the CUDA device ordinal; a Spark task passes
 *                  the GPU it was assigned); backends with a single device ignore it
 */
public record BackendOptions(int threads, Fma fma, boolean syncEachOp, int device) {

    public enum Fma { AUTO, ON, OFF }

    public BackendOptions {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0 = all processors), got " + threads);
        }
        if (fma == null) {
            throw new IllegalArgumentException("fma must be AUTO, ON or OFF");
        }
        if (device < 0) {
            throw new IllegalArgumentException("device must be >= 0 (a device index), got " + device);
        }
    }

    public static BackendOptions defaults() {
        return new BackendOptions(0, Fma.AUTO, false, 0);
    }

    public BackendOptions withThreads(int n) {
        return new BackendOptions(n, fma, syncEachOp, device);
    }

    public BackendOptions withFma(Fma mode) {
        return new BackendOptions(threads, mode, syncEachOp, device);
    }

    public BackendOptions withSyncEachOp(boolean sync) {
        return new BackendOptions(threads, fma, sync, device);
    }

    public BackendOptions withDevice(int index) {
        return new BackendOptions(threads, fma, syncEachOp, index);
    }

    /** The thread count actually used: {@code threads}, or the available processors when 0. */
    public int resolvedThreads() {
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }
}
