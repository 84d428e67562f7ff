package dev.scalekernel.bench;

import dev.ludovic.netlib.blas.JavaBLAS;
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
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

/**
 * Square GEMM C = A·B (n×n, row-major), 2n³ FLOPs per call. impl: a backend's {@code gemm},
 * OpenBLAS {@code cblas_?gemm} (row-major), or VectorBLAS {@code ?gemm} (column-major: it computes
 * Cᵀ = Bᵀ·Aᵀ, which is C in row-major order).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class GemmBench {

    @Param({"cpu"})
    public String impl;
    @Param({"f32"})
    public String dtype;
    @Param({"1001"})
    public int n;
    @Param({"2"})
    public int threads;

    private Runnable op;
    private AutoCloseable resources;

    @Setup(Level.Trial)
    public void setup() {
        Impls.requireThreads(impl, threads);
        DType dt = DType.parse(dtype);
        HostData a = HostData.uniform(dt, n, n, 11, 1.0);
        HostData b = HostData.uniform(dt, n, n, 12, 1.0);
        HostData.Entries out;
        if (Impls.isBackend(impl)) {
            Backend be = Impls.open(impl, threads);
            resources = be;
            Matrix ma = a.upload(be);
            Matrix mb = b.upload(be);
            Matrix mc = be.allocate(n, n, dt);
            op = () -> {
                be.gemm(false, false, 1.0, ma, mb, 0.0, mc);
                be.sync();
            };
            op.run();
            out = HostData.download(be, mc).entries(false);
        } else if (Impls.OPENBLAS.equals(impl)) {
            OpenBlas.useThreads(threads);
            System.out.println("# OpenBLAS: " + OpenBlas.describe());
            Arena arena = Arena.ofShared();
            resources = arena::close;
            MemorySegment sa = a.toSegment(arena);
            MemorySegment sb = b.toSegment(arena);
            MemorySegment sc = HostData.allocate(arena, dt, (long) n * n);
            if (dt == DType.F32) {
                FloatPointer pa = OpenBlas.floats(sa);
                FloatPointer pb = OpenBlas.floats(sb);
                FloatPointer pc = OpenBlas.floats(sc);
                op = () -> cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1f, pa, n, pb, n, 0f, pc, n);
            } else {
                DoublePointer pa = OpenBlas.doubles(sa);
                DoublePointer pb = OpenBlas.doubles(sb);
                DoublePointer pc = OpenBlas.doubles(sc);
                op = () -> cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, pa, n, pb, n, 0, pc, n);
            }
            op.run();
            out = HostData.entries(sc, dt, n);
        } else if (Impls.VECTORBLAS.equals(impl)) {
            JavaBLAS blas = Impls.vectorBlas(threads);
            resources = () -> { };
            HostData c = HostData.zeros(dt, n, n);
            if (dt == DType.F32) {
                float[] fa = a.floats();
                float[] fb = b.floats();
                float[] fc = c.floats();
                op = () -> blas.sgemm("N", "N", n, n, n, 1f, fb, n, fa, n, 0f, fc, n);
            } else {
                double[] da = a.doubles();
                double[] db = b.doubles();
                double[] dc = c.doubles();
                op = () -> blas.dgemm("N", "N", n, n, n, 1, db, n, da, n, 0, dc, n);
            }
            op.run();
            out = c.entries(false);
        } else {
            throw new IllegalArgumentException("GemmBench has no implementation '" + impl + "'");
        }
        Check.product("gemm " + impl + " " + dtype + " n=" + n, dt, n, n, n, a.entries(false), b.entries(false), 1.0,
                Activation.IDENTITY, out, false);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        resources.close();
    }

    @Benchmark
    public void gemm() {
        op.run();
    }
}
