package dev.scalekernel.bench;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
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
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

/**
 * Dense feature map Φ = ReLU(s·X Fᵀ), X P×M, F N×M, Φ P×N, s = 1/√M; 2·P·M·N FLOPs per call.
 * {@link #featureMap}: a backend's fused {@code featureMap}, or for OpenBLAS {@code cblas_?gemm}
 * (NoTrans, Trans) followed by a ReLU pass (Vector API, same thread count), which is what a user
 * of OpenBLAS would write. {@link #gemm}: the same product without the activation (a backend's
 * {@code gemm(false, true, s, X, F, 0, Φ)}, OpenBLAS's gemm alone), so the report can give the
 * cost of the fused activation as the time ratio featureMap / gemm of the same backend.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class FeatureMapBench {

    @Param({"cpu"})
    public String impl;
    @Param({"f32"})
    public String dtype;
    @Param({"2048"})
    public int p;
    @Param({"257"})
    public int m;
    @Param({"2048"})
    public int n;
    @Param({"2"})
    public int threads;

    private Runnable mapOp;
    private Runnable gemmOp;
    private AutoCloseable resources;

    @Setup(Level.Trial)
    public void setup() {
        Impls.requireThreads(impl, threads);
        DType dt = DType.parse(dtype);
        double s = 1 / Math.sqrt(m);
        HostData x = HostData.uniform(dt, p, m, 31, 1.0);
        HostData f = HostData.uniform(dt, n, m, 32, 1.0);
        HostData.Entries[] out = new HostData.Entries[1];
        Runnable read;
        if (Impls.isBackend(impl)) {
            Backend be = Impls.open(impl, threads);
            resources = be;
            Matrix mx = x.upload(be);
            Matrix mf = f.upload(be);
            Matrix phi = be.allocate(p, n, dt);
            mapOp = () -> {
                be.featureMap(s, mx, mf, Activation.RELU, phi);
                be.sync();
            };
            gemmOp = () -> {
                be.gemm(false, true, s, mx, mf, 0.0, phi);
                be.sync();
            };
            read = () -> out[0] = HostData.download(be, phi).entries(false);
        } else if (Impls.OPENBLAS.equals(impl)) {
            OpenBlas.useThreads(threads);
            System.out.println("# OpenBLAS: " + OpenBlas.describe());
            Arena arena = Arena.ofShared();
            Pool pool = new Pool(threads);
            resources = () -> {
                pool.close();
                arena.close();
            };
            MemorySegment sx = x.toSegment(arena);
            MemorySegment sf = f.toSegment(arena);
            MemorySegment sphi = HostData.allocate(arena, dt, (long) p * n);
            if (dt == DType.F32) {
                FloatPointer px = OpenBlas.floats(sx);
                FloatPointer pf = OpenBlas.floats(sf);
                FloatPointer pphi = OpenBlas.floats(sphi);
                float sf32 = (float) s;
                gemmOp = () -> cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, p, n, m, sf32, px, m, pf, m, 0f,
                        pphi, n);
            } else {
                DoublePointer px = OpenBlas.doubles(sx);
                DoublePointer pf = OpenBlas.doubles(sf);
                DoublePointer pphi = OpenBlas.doubles(sphi);
                gemmOp = () -> cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, p, n, m, s, px, m, pf, m, 0,
                        pphi, n);
            }
            Runnable relu = () -> pool.run(part -> relu(sphi, dt, (long) p * n, part, pool.threads()));
            mapOp = () -> {
                gemmOp.run();
                relu.run();
            };
            read = () -> out[0] = HostData.entries(sphi, dt, n);
        } else {
            throw new IllegalArgumentException("FeatureMapBench has no implementation '" + impl + "'");
        }
        String what = "featureMap " + impl + " " + dtype + " P=" + p + " M=" + m + " N=" + n;
        gemmOp.run();
        read.run();
        Check.product(what + " (gemm)", dt, p, n, m, x.entries(false), f.entries(true), s, Activation.IDENTITY,
                out[0], false);
        mapOp.run();
        read.run();
        Check.product(what + " (relu)", dt, p, n, m, x.entries(false), f.entries(true), s, Activation.RELU, out[0],
                false);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        resources.close();
    }

    @Benchmark
    public void featureMap() {
        mapOp.run();
    }

    @Benchmark
    public void gemm() {
        gemmOp.run();
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    /** max(v, 0) in place over part {@code part} of {@code parts} of count elements. */
    static void relu(MemorySegment s, DType dt, long count, int part, int parts) {
        int lanes = dt == DType.F32 ? F.length() : D.length();
        long per = (count / parts) / lanes * lanes;
        long from = part * per;
        long to = part == parts - 1 ? count : from + per;
        long bytes = dt.bytes();
        long i = from;
        ByteOrder order = ByteOrder.nativeOrder();
        if (dt == DType.F32) {
            for (; i + lanes <= to; i += lanes) {
                FloatVector.fromMemorySegment(F, s, i * bytes, order).max(0f).intoMemorySegment(s, i * bytes, order);
            }
            for (; i < to; i++) {
                float v = s.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
                s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, Math.max(v, 0f));
            }
        } else {
            for (; i + lanes <= to; i += lanes) {
                DoubleVector.fromMemorySegment(D, s, i * bytes, order).max(0.0).intoMemorySegment(s, i * bytes, order);
            }
            for (; i < to; i++) {
                double v = s.getAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE, i);
                s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE, i, Math.max(v, 0.0));
            }
        }
    }
}
