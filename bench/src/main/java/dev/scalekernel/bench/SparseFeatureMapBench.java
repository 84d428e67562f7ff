package dev.scalekernel.bench;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.Csr;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.SparseMatrix;
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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Sparse feature map Φ = ReLU(s·X Fᵀ) with X a P×M CSR matrix holding exactly
 * {@link #perRow}(M, density) non-zeros in every row, F N×M dense, Φ P×N. Bandwidth-bound: the
 * report counts nnz·N·dtype bytes (one row of the transposed projection per non-zero) plus
 * P·N·dtype written. There is no OpenBLAS counterpart (it has no sparse routines).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SparseFeatureMapBench {

    @Param({"cpu"})
    public String impl;
    @Param({"f32"})
    public String dtype;
    @Param({"2048"})
    public int p;
    @Param({"2048"})
    public int m;
    @Param({"2048"})
    public int n;
    @Param({"0.01"})
    public double density;
    @Param({"2"})
    public int threads;

    private Backend backend;
    private SparseMatrix x;
    private Matrix f;
    private Matrix phi;
    private double scale;

    /** Non-zeros in each row: round(M·density), at least 1. */
    public static int perRow(int m, double density) {
        return (int) Math.max(1, Math.min(m, Math.round(m * density)));
    }

    @Setup(Level.Trial)
    public void setup() {
        Impls.requireThreads(impl, threads);
        if (!Impls.isBackend(impl)) {
            throw new IllegalArgumentException("SparseFeatureMapBench runs the backends only, not '" + impl + "'");
        }
        DType dt = DType.parse(dtype);
        Csr csr = randomCsr(p, m, perRow(m, density), dt, 41);
        HostData hf = HostData.uniform(dt, n, m, 42, 1.0);
        scale = 1 / Math.sqrt(perRow(m, density));
        backend = Impls.open(impl, threads);
        x = backend.upload(csr, dt);
        f = hf.upload(backend);
        phi = backend.allocate(p, n, dt);
        featureMapSparse();
        Check.csrProduct("featureMapSparse " + impl + " " + dtype + " P=" + p + " M=" + m + " N=" + n, dt, csr, hf,
                scale, Activation.RELU, HostData.download(backend, phi).entries(false));
    }

    /** Rows with exactly k distinct random columns (sorted) and values uniform on (−1, 1) rounded to dtype. */
    static Csr randomCsr(int rows, int cols, int k, DType dtype, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] rowStart = new int[rows + 1];
        int[] columns = new int[Math.multiplyExact(rows, k)];
        double[] values = new double[columns.length];
        int[] perm = new int[cols];
        for (int i = 0; i < cols; i++) {
            perm[i] = i;
        }
        for (int i = 0; i < rows; i++) {
            // Partial Fisher–Yates: the first k entries of perm become a uniform k-subset.
            for (int q = 0; q < k; q++) {
                int r = q + rnd.nextInt(cols - q);
                int t = perm[q];
                perm[q] = perm[r];
                perm[r] = t;
            }
            int base = i * k;
            System.arraycopy(perm, 0, columns, base, k);
            Arrays.sort(columns, base, base + k);
            for (int q = 0; q < k; q++) {
                values[base + q] = dtype.round(2 * rnd.nextDouble() - 1);
            }
            rowStart[i + 1] = base + k;
        }
        return new Csr(rows, cols, rowStart, columns, values);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public void featureMapSparse() {
        backend.featureMapSparse(scale, x, f, Activation.RELU, phi);
        backend.sync();
    }
}
