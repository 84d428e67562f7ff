package dev.scalekernel.gpu;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;

import java.util.Locale;

/**
 * A small timing table for a lent GPU, run by gpu-bundle/run.sh (no JMH there): the backend's fp32
 * GEMM, row Gram and feature map against a bare {@code cublasSgemm} of the same shape issued on
 * the same device thread, stream and handle, in the same run; and the per-step time of gradient
 * descent (k = 1) against one pass over Φ (a dot product of Φ with itself, which reads Φ once).
 * Each timing is the best of {@value #REPEATS} after {@value #WARMUP} warm-up calls, with the
 * device synchronised around it.
 */
public final class GpuBenchmark {

    private static final int WARMUP = 3;
    private static final int REPEATS = 10;

    private GpuBenchmark() {
    }

    public static void main(String[] args) {
        try (Backend backend = new GpuProvider().open(BackendOptions.defaults())) {
            GpuBackend gpu = (GpuBackend) backend;
            System.out.println("# " + backend.info().description());
            System.out.printf(Locale.ROOT, "%-14s %-22s %12s %12s %8s %10s%n", "op", "shape", "backend ms", "baseline ms",
                    "ratio", "TFLOP/s");
            for (int n : new int[] {1024, 2048, 4096, 8192}) {
                products(gpu, n);
            }
            for (int[] s : new int[][] {{16384, 4096}, {65536, 8192}}) {
                gradientDescent(gpu, s[0], s[1]);
            }
            System.out.println("# ratio: baseline/backend for the products (the issue's target: >= 0.9);"
                    + " time per GD step / one pass over Φ for gd (target: <= 1.3)");
        }
    }

    private static void products(GpuBackend gpu, int n) {
        try (Matrix a = gpu.allocate(n, n, DType.F32);
             Matrix b = gpu.allocate(n, n, DType.F32);
             Matrix c = gpu.allocate(n, n, DType.F32)) {
            gpu.fillGaussian(a, RandomStream.of(1, 0), 0, 1);
            gpu.fillGaussian(b, RandomStream.of(1, 1), 0, 1);
            double flops = 2.0 * n * n * n;
            double bare = best(gpu, () -> gpu.device().call(() -> {
                gpu.device().cublas().gemm(true, Cublas.OP_N, Cublas.OP_N, n, n, n, 1, GpuBackend.address(b), n,
                        GpuBackend.address(a), n, 0, GpuBackend.address(c), n);
                return null;
            }));
            row("gemm f32", n + "x" + n + "x" + n, best(gpu, () -> gpu.gemm(false, false, 1, a, b, 0, c)), bare, flops);
            row("gramRows f32", n + "x" + n + " (syrk)", best(gpu, () -> gpu.gramRows(1, a, a, c)), bare, flops);
            row("featureMap", n + "x" + n + " relu", best(gpu, () -> gpu.featureMap(1, a, b, Activation.RELU, c)), bare,
                    flops);
        }
    }

    private static void gradientDescent(GpuBackend gpu, int p, int n) {
        int steps = 50;
        try (Matrix phi = gpu.allocate(p, n, DType.F32);
             Matrix y = gpu.allocate(p, 1, DType.F32);
             Matrix w = gpu.allocate(n, 1, DType.F32)) {
            gpu.fillGaussian(phi, RandomStream.of(2, 0), 0, 1.0 / Math.sqrt(n));
            gpu.fillGaussian(y, RandomStream.of(2, 1), 0, 1);
            double pass = best(gpu, () -> gpu.dot(phi, phi));
            double run = best(gpu, () -> gpu.gradientDescent(phi, y, w, new double[] {0.1}, new GdOptions(steps,
                    new long[] {0, steps}, GdOptions.DEFAULT_DIVERGENCE_FACTOR)));
            double perStep = run / steps;
            System.out.printf(Locale.ROOT, "%-14s %-22s %12.4f %12.4f %8.2f %10s   (baseline: one pass over Φ, %.0f GB/s)%n",
                    "gd f32 k=1", p + "x" + n + " /step", perStep, pass, perStep / pass, "-",
                    4.0 * p * n / (pass * 1e-3) / 1e9);
        }
    }

    private static void row(String op, String shape, double ms, double bareMs, double flops) {
        System.out.printf(Locale.ROOT, "%-14s %-22s %12.4f %12.4f %8.2f %10.1f%n", op, shape, ms, bareMs, bareMs / ms,
                flops / (ms * 1e-3) / 1e12);
    }

    /** Milliseconds of the fastest of REPEATS calls, each synchronised before and after. */
    private static double best(Backend backend, Runnable call) {
        for (int i = 0; i < WARMUP; i++) {
            call.run();
        }
        backend.sync();
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < REPEATS; i++) {
            long t0 = System.nanoTime();
            call.run();
            backend.sync();
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        return best;
    }
}
