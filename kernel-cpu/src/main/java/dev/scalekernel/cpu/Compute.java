package dev.scalekernel.cpu;

/**
 * What every kernel runs with: the backend's workers, and whether multiply–adds are fused
 * (one rounding) or a multiply then an add (two), as {@code BackendOptions.fma} asked.
 */
record Compute(WorkerPool pool, boolean fma) {
}
