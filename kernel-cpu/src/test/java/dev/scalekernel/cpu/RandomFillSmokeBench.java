package dev.scalekernel.cpu;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;

/**
 * Random numbers per second of fillGaussian and fillUniform, for tuning by hand; not a test
 * (surefire does not pick it up). Run from kernel-cpu after
 * {@code ../mvnw -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt}:
 * <pre>$JDK25/bin/java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     dev.scalekernel.cpu.RandomFillSmokeBench [n=10000] [threads=2] [reps=3] [ops=sgauss,dgauss,sunif,dunif]</pre>
 * Each op fills an n×n matrix (offset 1, so no fill starts on a Philox block), once to warm up,
 * then {@code reps} times; the best and median rates are printed.
 */
public final class RandomFillSmokeBench {

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        String ops = args.length > 3 ? args[3] : "sgauss,dgauss,sunif,dunif";
        try (Backend b = new CpuBackend(BackendOptions.defaults().withThreads(threads))) {
            System.out.println(b.info().description() + ", " + n + "x" + n);
            for (String op : ops.split(",")) {
                DType dtype = op.startsWith("s") ? DType.F32 : DType.F64;
                boolean gauss = op.endsWith("gauss");
                try (Matrix m = b.allocate(n, n, dtype)) {
                    RandomStream rs = new RandomStream(42, 7, 1);
                    Runnable call = gauss ? () -> b.fillGaussian(m, rs, 0, 1) : () -> b.fillUniform(m, rs, -1, 1);
                    double[] seconds = CpuKernelsSmokeBench.time(call, reps);
                    double count = (double) n * n;
                    System.out.printf("%-6s best %.3g numbers/s  median %.3g numbers/s  (%.1f ms)%n", op,
                            count / seconds[0], count / seconds[reps / 2], seconds[0] * 1e3);
                }
            }
        }
    }
}
