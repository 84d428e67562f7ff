package dev.scalekernel.bench;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.Matrix;
import org.bytedeco.javacpp.FloatPointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemv;

/**
 * Full-batch gradient descent on (1/P)‖ΦW − Y‖², Φ P×N (entries of variance 1), k right-hand
 * sides, η = 1/(1.5·(1 + √(N/P))²) (stable: about 2/3 of the edge for such Φ).
 *
 * <p>Backends: one call is {@code gradientDescent} with {@link #steps} steps from W = 0, which reads
 * Φ steps + 1 times (the last pass only evaluates the final loss), so the report takes
 * time / (steps + 1) as the time per step. OpenBLAS: one call is one step written the way an
 * OpenBLAS user would, R = ΦW − Y then W ← W − (η/P)·ΦᵀR: two {@code cblas_sgemv} calls for
 * k = 1, two {@code cblas_sgemm} calls for k > 1 (fp32 only).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class GdBench {

    @Param({"cpu"})
    public String impl;
    @Param({"f32"})
    public String dtype;
    @Param({"8192"})
    public int p;
    @Param({"2048"})
    public int n;
    @Param({"1"})
    public int k;
    @Param({"4"})
    public int steps;
    @Param({"2"})
    public int threads;

    private Runnable op;
    private AutoCloseable resources;

    /** The learning rate used for every right-hand side. */
    public static double eta(int p, int n) {
        double edge = Math.pow(1 + Math.sqrt((double) n / p), 2);
        return 1 / (1.5 * edge);
    }

    @Setup(Level.Trial)
    public void setup() {
        Impls.requireThreads(impl, threads);
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        DType dt = DType.parse(dtype);
        HostData phi = HostData.uniform(dt, p, n, 51, Math.sqrt(3));
        HostData y = HostData.uniform(dt, p, k, 52, 1.0);
        HostData w0 = HostData.uniform(dt, n, k, 53, 1 / Math.sqrt(n));
        double[] eta = new double[k];
        Arrays.fill(eta, eta(p, n));
        HostData.Entries w1;
        if (Impls.isBackend(impl)) {
            Backend be = Impls.open(impl, threads);
            resources = be;
            Matrix mphi = phi.upload(be);
            Matrix my = y.upload(be);
            Matrix mw = w0.upload(be);
            be.gradientDescent(mphi, my, mw, eta, new GdOptions(1, new long[] {0, 1}, GdOptions.DEFAULT_DIVERGENCE_FACTOR));
            w1 = HostData.download(be, mw).entries(false);
            double[] zeros = new double[k];
            GdOptions options = new GdOptions(steps, new long[] {0, steps}, GdOptions.DEFAULT_DIVERGENCE_FACTOR);
            op = () -> {
                be.scaleColumns(mw, zeros); // W = 0: every call does the same work
                var result = be.gradientDescent(mphi, my, mw, eta, options);
                if (result.diverged(0)) {
                    throw new IllegalStateException("gradient descent diverged; the benchmark's eta is too large");
                }
            };
        } else if (Impls.OPENBLAS.equals(impl)) {
            if (dt != DType.F32) {
                throw new IllegalArgumentException("the OpenBLAS GD baseline is fp32 only");
            }
            OpenBlas.useThreads(threads);
            System.out.println("# OpenBLAS: " + OpenBlas.describe());
            Arena arena = Arena.ofShared();
            resources = arena::close;
            MemorySegment sphi = phi.toSegment(arena);
            MemorySegment sy = y.toSegment(arena);
            MemorySegment sw = w0.toSegment(arena);
            MemorySegment sr = HostData.allocate(arena, dt, (long) p * k);
            FloatPointer pphi = OpenBlas.floats(sphi);
            FloatPointer pw = OpenBlas.floats(sw);
            FloatPointer pr = OpenBlas.floats(sr);
            float step = (float) (eta[0] / p);
            if (k == 1) {
                op = () -> {
                    MemorySegment.copy(sy, 0, sr, 0, sy.byteSize());
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, p, n, 1f, pphi, n, pw, 1, -1f, pr, 1);
                    cblas_sgemv(CblasRowMajor, CblasTrans, p, n, -step, pphi, n, pr, 1, 1f, pw, 1);
                };
            } else {
                op = () -> {
                    MemorySegment.copy(sy, 0, sr, 0, sy.byteSize());
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p, k, n, 1f, pphi, n, pw, k, -1f, pr, k);
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, k, p, -step, pphi, n, pr, k, 1f, pw, k);
                };
            }
            op.run();
            w1 = HostData.entries(sw, dt, k);
        } else {
            throw new IllegalArgumentException("GdBench has no implementation '" + impl + "'");
        }
        int[] columns = k == 1 ? new int[] {0} : new int[] {0, k - 1};
        Check.gradientStep("gd " + impl + " " + dtype + " P=" + p + " N=" + n + " k=" + k, phi, y, w0, eta, w1,
                columns, Check.SAMPLES / columns.length);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        resources.close();
    }

    @Benchmark
    public void gd() {
        op.run();
    }
}
