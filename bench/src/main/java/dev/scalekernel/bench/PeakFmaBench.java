package dev.scalekernel.bench;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
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

import java.util.concurrent.TimeUnit;

/**
 * The machine's FMA peak as this JVM reaches it: a register-only loop of {@link #ACCUMULATORS}
 * independent fused multiply–add chains on vectors of {@code bits} bits (the preferred species,
 * passed in by BenchMain), on {@code threads} threads. FLOPs per call =
 * threads · {@link #ITERATIONS} · 12 · lanes · 2. Every "% of peak" in the report divides by this,
 * measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PeakFmaBench {

    /** Independent accumulators: more than latency × throughput (4 × 2 on Zen 4/5) so the pipes never wait. */
    public static final int ACCUMULATORS = 12;
    /** Loop trips per thread and call: about 10–40 ms. */
    public static final int ITERATIONS = 1 << 23;

    @Param({"f32"})
    public String dtype;
    @Param({"1"})
    public int threads;
    @Param({"512"})
    public int bits;

    private Pool pool;
    private double[] sink;

    @Setup(Level.Trial)
    public void setup() {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits != preferred) {
            throw new IllegalStateException("bits = " + bits + " but this JVM prefers " + preferred + "-bit vectors");
        }
        pool = new Pool(threads);
        sink = new double[threads];
        if (!("f32".equals(dtype) || "f64".equals(dtype))) {
            throw new IllegalArgumentException("dtype must be f32 or f64, got " + dtype);
        }
        fma();
        for (double v : sink) {
            if (!Double.isFinite(v)) {
                throw new IllegalStateException("FMA loop produced " + v);
            }
        }
        System.out.println("# peak FMA loop: " + ACCUMULATORS + " accumulators x " + bits + "-bit " + dtype + ", "
                + threads + " thread(s)");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public double fma() {
        boolean f32 = "f32".equals(dtype);
        pool.run(p -> sink[p] = f32 ? loopF32(ITERATIONS, 0.5f + p) : loopF64(ITERATIONS, 0.5 + p));
        return sink[0];
    }

    static float loopF32(int iterations, float seed) {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        // a ← a·x + y converges to y/(1 − x) = 1: no overflow, no denormals, nothing to fold.
        FloatVector x = FloatVector.broadcast(s, 0.999_999f);
        FloatVector y = FloatVector.broadcast(s, 1e-6f);
        FloatVector a0 = FloatVector.broadcast(s, seed);
        FloatVector a1 = FloatVector.broadcast(s, seed + 0.01f);
        FloatVector a2 = FloatVector.broadcast(s, seed + 0.02f);
        FloatVector a3 = FloatVector.broadcast(s, seed + 0.03f);
        FloatVector a4 = FloatVector.broadcast(s, seed + 0.04f);
        FloatVector a5 = FloatVector.broadcast(s, seed + 0.05f);
        FloatVector a6 = FloatVector.broadcast(s, seed + 0.06f);
        FloatVector a7 = FloatVector.broadcast(s, seed + 0.07f);
        FloatVector a8 = FloatVector.broadcast(s, seed + 0.08f);
        FloatVector a9 = FloatVector.broadcast(s, seed + 0.09f);
        FloatVector a10 = FloatVector.broadcast(s, seed + 0.10f);
        FloatVector a11 = FloatVector.broadcast(s, seed + 0.11f);
        for (int i = 0; i < iterations; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }

    static double loopF64(int iterations, double seed) {
        VectorSpecies<Double> s = DoubleVector.SPECIES_PREFERRED;
        DoubleVector x = DoubleVector.broadcast(s, 0.999_999);
        DoubleVector y = DoubleVector.broadcast(s, 1e-6);
        DoubleVector a0 = DoubleVector.broadcast(s, seed);
        DoubleVector a1 = DoubleVector.broadcast(s, seed + 0.01);
        DoubleVector a2 = DoubleVector.broadcast(s, seed + 0.02);
        DoubleVector a3 = DoubleVector.broadcast(s, seed + 0.03);
        DoubleVector a4 = DoubleVector.broadcast(s, seed + 0.04);
        DoubleVector a5 = DoubleVector.broadcast(s, seed + 0.05);
        DoubleVector a6 = DoubleVector.broadcast(s, seed + 0.06);
        DoubleVector a7 = DoubleVector.broadcast(s, seed + 0.07);
        DoubleVector a8 = DoubleVector.broadcast(s, seed + 0.08);
        DoubleVector a9 = DoubleVector.broadcast(s, seed + 0.09);
        DoubleVector a10 = DoubleVector.broadcast(s, seed + 0.10);
        DoubleVector a11 = DoubleVector.broadcast(s, seed + 0.11);
        for (int i = 0; i < iterations; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** The preferred vector width of this JVM in bits. */
    public static int preferredBits() {
        return VectorShape.preferredShape().vectorBitSize();
    }
}
