package dev.scalekernel.bench;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.api.random.Philox;
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
 * Philox normals: {@code fillGaussian} of a rows×4096 matrix (count = rows·4096 numbers), the
 * same bits on every backend; the report gives normals per second and the bytes written per
 * second against the measured memory bandwidth. Checked bit for bit against
 * {@link Philox#normal} before timing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class FillGaussianBench {

    public static final int COLS = 4096;

    @Param({"cpu"})
    public String impl;
    @Param({"f32"})
    public String dtype;
    @Param({"4096"})
    public int rows;
    @Param({"2"})
    public int threads;

    private Backend backend;
    private Matrix out;
    private RandomStream stream;

    @Setup(Level.Trial)
    public void setup() {
        Impls.requireThreads(impl, threads);
        if (!Impls.isBackend(impl)) {
            throw new IllegalArgumentException("FillGaussianBench runs the backends only, not '" + impl + "'");
        }
        DType dt = DType.parse(dtype);
        backend = Impls.open(impl, threads);
        out = backend.allocate(rows, COLS, dt);
        stream = new RandomStream(2026, 7, 12345);
        fillGaussian();
        HostData got = HostData.download(backend, out);
        Check.exact("fillGaussian " + impl + " " + dtype + " " + rows + "x" + COLS, (long) rows * COLS, got::get,
                i -> Philox.normal(stream, i, dt == DType.F32));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public void fillGaussian() {
        backend.fillGaussian(out, stream, 0.0, 1.0);
        backend.sync();
    }
}
