package dev.scalekernel.bench;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;
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

import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasUpper;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_ssyrk;

/**
 * The reduced path's inner loop, fp32: accumulating the M×M latent Gram S = Σ_t X_tᵀX_t over
 * {@code tiles} row tiles of 2^22/M rows. {@code accumulate}: each tile drawn from the Philox
 * stream ({@code fillGaussian}) and summed by {@code gramColumns} with β = 1, as the harness does;
 * {@code syrk}: the same SYRK calls on a tile drawn once, so accumulate/syrk is the cost of the
 * generation, and syrk against OpenBLAS {@code cblas_ssyrk} (β = 1, the same tile) is the SYRK's
 * own ratio. Useful FLOPs per call: tiles·rows·M(M+1).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LatentGramBench {

    public static final long TILE_ELEMENTS = 1L << 22;

    @Param({"cpu"})
    public String impl;
    @Param({"4096"})
    public int m;
    @Param({"2"})
    public int tiles;
    @Param({"2"})
    public int threads;

    private Runnable accumulate;
    private Runnable syrk;
    private AutoCloseable resources;

    public static int rows(int m) {
        return (int) (TILE_ELEMENTS / m);
    }

    @Setup(Level.Trial)
    public void setup() {
        Impls.requireThreads(impl, threads);
        int rows = rows(m);
        if (Impls.isBackend(impl)) {
            Backend be = Impls.open(impl, threads);
            resources = be;
            Matrix tile = be.allocate(rows, m, DType.F32);
            Matrix s = be.allocate(m, m, DType.F32);
            accumulate = () -> {
                for (int t = 0; t < tiles; t++) {
                    be.fillGaussian(tile, new RandomStream(2026, 2, (long) t * rows * m), 0, 1);
                    be.gramColumns(1, tile, t == 0 ? 0 : 1, s);
                }
                be.sync();
            };
            syrk = () -> {
                for (int t = 0; t < tiles; t++) {
                    be.gramColumns(1, tile, t == 0 ? 0 : 1, s);
                }
                be.sync();
            };
            // Check: after accumulate, S is the Gram of all tiles (drawn again into one matrix).
            accumulate.run();
            HostData out = HostData.download(be, s);
            HostData all;
            try (Matrix whole = be.allocate(tiles * rows, m, DType.F32)) {
                be.fillGaussian(whole, new RandomStream(2026, 2, 0), 0, 1);
                all = HostData.download(be, whole);
            }
            Check.product("latent gram " + impl + " M=" + m, DType.F32, m, m, tiles * rows, all.entries(true),
                    all.entries(false), 1.0, Activation.IDENTITY, out.entries(false), false);
        } else if (Impls.OPENBLAS.equals(impl)) {
            OpenBlas.useThreads(threads);
            System.out.println("# OpenBLAS: " + OpenBlas.describe());
            Arena arena = Arena.ofShared();
            resources = arena::close;
            HostData a = HostData.uniform(DType.F32, rows, m, 31, 1.0);
            MemorySegment sa = a.toSegment(arena);
            MemorySegment ss = HostData.allocate(arena, DType.F32, (long) m * m);
            FloatPointer pa = OpenBlas.floats(sa);
            FloatPointer ps = OpenBlas.floats(ss);
            syrk = () -> {
                for (int t = 0; t < tiles; t++) {
                    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, m, rows, 1f, pa, m, t == 0 ? 0f : 1f, ps, m);
                }
            };
            syrk.run();
            HostData all = stacked(a, tiles);
            Check.product("latent gram openblas M=" + m, DType.F32, m, m, tiles * rows, all.entries(true),
                    all.entries(false), 1.0, Activation.IDENTITY, HostData.entries(ss, DType.F32, m), true);
        } else {
            throw new IllegalArgumentException("LatentGramBench has no implementation '" + impl + "'");
        }
    }

    /** The tile repeated {@code times} times, row-wise (what the OpenBLAS loop sums). */
    private static HostData stacked(HostData tile, int times) {
        HostData out = HostData.zeros(DType.F32, tile.rows() * times, tile.cols());
        for (int t = 0; t < times; t++) {
            for (int i = 0; i < tile.rows(); i++) {
                for (int j = 0; j < tile.cols(); j++) {
                    out.set(t * tile.rows() + i, j, tile.get(i, j));
                }
            }
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        resources.close();
    }

    @Benchmark
    public void accumulate() {
        if (accumulate == null) {
            throw new IllegalStateException("accumulate needs a backend (Philox generation); OpenBLAS runs syrk only");
        }
        accumulate.run();
    }

    @Benchmark
    public void syrk() {
        syrk.run();
    }
}
