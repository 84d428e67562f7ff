package dev.scalekernel.bench;

import jdk.incubator.vector.DoubleVector;
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

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The machine's memory bandwidth as this JVM reaches it: the STREAM triad a = b + s·c on three
 * arrays of {@code mib} MiB of doubles each (far beyond the last-level cache), on {@code threads}
 * threads, each thread on its own contiguous slice. Bytes per call follow STREAM's
 * convention, 3 · 8 bytes per element (two reads, one write; write-allocate traffic not counted).
 * Every bandwidth percentage in the report divides by this, measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class StreamBench {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    @Param({"1"})
    public int threads;
    @Param({"256"})
    public int mib;

    private double[] a;
    private double[] b;
    private double[] c;
    private Pool pool;

    @Setup(Level.Trial)
    public void setup() {
        int n = mib * (1 << 20) / Double.BYTES;
        a = new double[n];
        b = new double[n];
        c = new double[n];
        Arrays.fill(a, 1.0);
        Arrays.fill(b, 2.0);
        Arrays.fill(c, 0.5);
        pool = new Pool(threads);
        triad();
        if (a[0] != 2.0 + 3.0 * 0.5 || a[n - 1] != a[0]) {
            throw new IllegalStateException("triad computed " + a[0] + ", expected 3.5");
        }
        System.out.println("# STREAM triad: 3 x " + mib + " MiB of doubles, " + threads + " thread(s)");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public double triad() {
        int n = a.length;
        int t = pool.threads();
        pool.run(p -> {
            // Slices aligned to a vector so that only the last one has a tail.
            int per = (n / t) / S.length() * S.length();
            int from = p * per;
            int to = p == t - 1 ? n : from + per;
            kernel(a, b, c, 3.0, from, to);
        });
        return a[n - 1];
    }

    static void kernel(double[] a, double[] b, double[] c, double s, int from, int to) {
        int i = from;
        int bound = from + S.loopBound(to - from);
        DoubleVector vs = DoubleVector.broadcast(S, s);
        for (; i < bound; i += S.length()) {
            DoubleVector.fromArray(S, c, i).fma(vs, DoubleVector.fromArray(S, b, i)).intoArray(a, i);
        }
        for (; i < to; i++) {
            a[i] = Math.fma(c[i], s, b[i]);
        }
    }
}
