package dev.scalekernel.api;

/**
 * Tunables a backend runs with; recorded in {@link BackendInfo} so every result says how it was
 * computed. Backends ignore what does not apply to them.
 *
 * @param threads   worker threads; 0 means all available processors
 * @param fma       whether kernels may use fused multiply-add (AUTO: when the hardware has it)
 * @param syncEachOp wait for each operation to finish and check it (GPU; on in tests)
 */
public record BackendOptions(int threads, Fma fma, boolean syncEachOp) {

    public enum Fma { AUTO, ON, OFF }

    public BackendOptions {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0 = all processors), got " + threads);
        }
        if (fma == null) {
            throw new IllegalArgumentException("fma must be AUTO, ON or OFF");
        }
    }

    public static BackendOptions defaults() {
        return new BackendOptions(0, Fma.AUTO, false);
    }

    public BackendOptions withThreads(int n) {
        return new BackendOptions(n, fma, syncEachOp);
    }

    public BackendOptions withFma(Fma mode) {
        return new BackendOptions(threads, mode, syncEachOp);
    }

    public BackendOptions withSyncEachOp(boolean sync) {
        return new BackendOptions(threads, fma, sync);
    }

    /** The thread count actually used: {@code threads}, or the available processors when 0. */
    public int resolvedThreads() {
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }
}
