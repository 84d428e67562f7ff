package dev.scalekernel.bench;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import org.bytedeco.javacpp.DoublePointer;
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
import java.util.concurrent.TimeUnit;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasUpper;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_dsyrk;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_ssyrk;

/**
 * Symmetric kernel Gram K = A·Aᵀ of a P×N feature matrix (P×P out): a backend's
 * {@code gramRows(1, a, a, out)} (one triangle computed, then mirrored) against OpenBLAS
 * {@code cblas_?syrk} (upper triangle only). Useful FLOPs per call: P(P+1)N, the standard SYRK count.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class GramBench {

    @Param({"cpu"})
    public String impl;
    @Param({"f32"})
    public String dtype;
    @Param({"2001"})
    public int p;
    @Param({"1000"})
    public int n;
    @Param({"2"})
    public int threads;

    private Runnable op;
    private AutoCloseable resources;

    @Setup(Level.Trial)
    public void setup() {
        Impls.requireThreads(impl, threads);
        DType dt = DType.parse(dtype);
        HostData a = HostData.uniform(dt, p, n, 21, 1.0);
        HostData.Entries out;
        boolean upperOnly = false;
        if (Impls.isBackend(impl)) {
            Backend be = Impls.open(impl, threads);
            resources = be;
            Matrix ma = a.upload(be);
            Matrix k = be.allocate(p, p, dt);
            op = () -> {
                be.gramRows(1.0, ma, ma, k);
                be.sync();
            };
            op.run();
            out = HostData.download(be, k).entries(false);
        } else if (Impls.OPENBLAS.equals(impl)) {
            OpenBlas.useThreads(threads);
            System.out.println("# OpenBLAS: " + OpenBlas.describe());
            Arena arena = Arena.ofShared();
            resources = arena::close;
            MemorySegment sa = a.toSegment(arena);
            MemorySegment sk = HostData.allocate(arena, dt, (long) p * p);
            if (dt == DType.F32) {
                FloatPointer pa = OpenBlas.floats(sa);
                FloatPointer pk = OpenBlas.floats(sk);
                op = () -> cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, p, n, 1f, pa, n, 0f, pk, p);
            } else {
                DoublePointer pa = OpenBlas.doubles(sa);
                DoublePointer pk = OpenBlas.doubles(sk);
                op = () -> cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, p, n, 1, pa, n, 0, pk, p);
            }
            op.run();
            out = HostData.entries(sk, dt, p);
            upperOnly = true;
        } else {
            throw new IllegalArgumentException("GramBench has no implementation '" + impl + "'");
        }
        Check.product("gram " + impl + " " + dtype + " P=" + p + " N=" + n, dt, p, p, n, a.entries(false),
                a.entries(true), 1.0, Activation.IDENTITY, out, upperOnly);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        resources.close();
    }

    @Benchmark
    public void gram() {
        op.run();
    }
}
