package dev.scalekernel.cpu;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;

/**
 * A quick GFLOP/s reading of the GEMM-shaped ops, for tuning by hand; not a test (surefire does not
 * pick it up) and not the JMH benchmarks of the bench module. Run from kernel-cpu after
 * {@code ../mvnw -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt}:
 * <pre>$JDK25/bin/java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     dev.scalekernel.cpu.CpuKernelsSmokeBench [n=2048] [threads=2] [reps=5] [ops=sgemm,dgemm,...]</pre>
 * An op is s (fp32) or d (fp64) followed by gemm (NN), gemmtt (TT), syrk (symmetric gramRows) or
 * feature (featureMap with relu), all n×n×n; or csr: featureMapSparse with relu of a (n/2)×n CSR input with
 * round(0.01·n) non-zeros per row and an n×n F, the bench module's shape, reported in GB/s of
 * (nnz·N + P·N)·dtype bytes; or gdK: 4 gradient-descent steps (5 passes over Φ) on P×N = 8n×n with k
 * right-hand sides, reported as 4·P·N·k FLOP per step.
 * Each op is warmed up once, then timed {@code reps} times; the median and best are printed.
 */
public final class CpuKernelsSmokeBench {

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        String ops = args.length > 3 ? args[3] : "sgemm,dgemm,ssyrk,dsyrk,sfeature";
        try (Backend b = new CpuBackend(BackendOptions.defaults().withThreads(threads))) {
            System.out.println(b.info().description() + ", n = " + n);
            for (String op : ops.split(",")) {
                if (op.substring(1).startsWith("gd")) {
                    gd(b, op.startsWith("s") ? DType.F32 : DType.F64, n, Integer.parseInt(op.substring(3)), reps);
                    continue;
                }
                if (op.endsWith("csr")) {
                    csr(b, op.startsWith("s") ? DType.F32 : DType.F64, n, reps);
                    continue;
                }
                DType dtype = op.startsWith("s") ? DType.F32 : DType.F64;
                try (Matrix x = b.allocate(n, n, dtype);
                     Matrix y = b.allocate(n, n, dtype);
                     Matrix c = b.allocate(n, n, dtype)) {
                    b.fillGaussian(x, RandomStream.of(1, 0), 0, 1);
                    b.fillGaussian(y, RandomStream.of(1, 1), 0, 1);
                    Runnable call = switch (op.substring(1)) {
                        case "gemm" -> () -> b.gemm(false, false, 1, x, y, 0, c);
                        case "gemmtt" -> () -> b.gemm(true, true, 1, x, y, 0, c);
                        case "syrk" -> () -> b.gramRows(1, x, x, c);
                        case "feature" -> () -> b.featureMap(1, x, y, Activation.RELU, c);
                        default -> throw new IllegalArgumentException("unknown op " + op);
                    };
                    // SYRK counts its useful work, n(n+1)·n, as in perf-anchors.md.
                    double flops = op.endsWith("syrk") ? (double) n * (n + 1) * n : 2.0 * n * n * n;
                    print(op, "GFLOP/s", flops, time(call, reps));
                }
            }
        }
    }

    private static void csr(Backend b, DType dtype, int n, int reps) {
        int p = n / 2;
        int k = Math.max(1, Math.round(0.01f * n));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(41);
        int[] rowStart = new int[p + 1];
        int[] columns = new int[p * k];
        double[] values = new double[p * k];
        for (int i = 0; i < p; i++) {
            int[] cols = rnd.ints(0, n).distinct().limit(k).sorted().toArray();
            System.arraycopy(cols, 0, columns, i * k, k);
            for (int q = 0; q < k; q++) {
                values[i * k + q] = 2 * rnd.nextDouble() - 1;
            }
            rowStart[i + 1] = (i + 1) * k;
        }
        try (var x = b.upload(new dev.scalekernel.api.Csr(p, n, rowStart, columns, values), dtype);
             Matrix f = b.allocate(n, n, dtype);
             Matrix out = b.allocate(p, n, dtype)) {
            b.fillGaussian(f, RandomStream.of(1, 0), 0, 1);
            Runnable call = () -> b.featureMapSparse(1, x, f, Activation.RELU, out);
            print((dtype == DType.F32 ? "s" : "d") + "csr", "GB/s", ((double) p * k * n + (double) p * n) * dtype.bytes(),
                    time(call, reps));
        }
    }

    private static void gd(Backend b, DType dtype, int n, int k, int reps) {
        int p = 8 * n;
        int steps = 4;
        try (Matrix phi = b.allocate(p, n, dtype);
             Matrix y = b.allocate(p, k, dtype);
             Matrix w = b.allocate(n, k, dtype)) {
            b.fillGaussian(phi, RandomStream.of(1, 0), 0, 1);
            b.fillGaussian(y, RandomStream.of(1, 1), 0, 1);
            double[] eta = new double[k];
            java.util.Arrays.fill(eta, 0.1 / n);
            var options = new dev.scalekernel.api.GdOptions(steps, new long[] {0, steps},
                    dev.scalekernel.api.GdOptions.DEFAULT_DIVERGENCE_FACTOR);
            Runnable call = () -> b.gradientDescent(phi, y, w, eta, options);
            print((dtype == DType.F32 ? "s" : "d") + "gd" + k, "GFLOP/s", 4.0 * p * n * k * steps, time(call, reps));
        }
    }

    /** One warm-up call, then {@code reps} timed ones, sorted (seconds). */
    static double[] time(Runnable call, int reps) {
        call.run();
        double[] seconds = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            call.run();
            seconds[r] = (System.nanoTime() - t0) * 1e-9;
        }
        java.util.Arrays.sort(seconds);
        return seconds;
    }

    private static void print(String op, String unit, double work, double[] seconds) {
        System.out.printf("%-9s median %7.1f %s  best %7.1f %s  (%.1f ms)%n", op, work / seconds[seconds.length / 2] * 1e-9,
                unit, work / seconds[0] * 1e-9, unit, seconds[seconds.length / 2] * 1e3);
    }
}
