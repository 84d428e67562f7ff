package dev.scalekernel.api.conformance;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.Csr;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.GdResult;
import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.api.SparseMatrix;
import dev.scalekernel.api.random.Philox;
import dev.scalekernel.api.reference.ReferenceBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The one conformance suite every backend passes. A backend module subclasses it in one line
 * ({@link #open(BackendOptions)}). Inputs are fresh seeded random data per test (the seed is printed
 * on failure; rerun with {@code -Dsk.test.seed=…}); shapes are odd, prime, rectangular, empty and
 * around the vector lengths (16 fp32 / 8 fp64 lanes at 512 bits); outputs are poisoned with NaN
 * before each call; tolerances come from {@link Tolerances}; every test closes what it allocates
 * and the suite checks that no allocation is alive afterwards. {@link #everyOperationHasATest()}
 * fails when a {@link Backend} method has no test.
 */
public abstract class BackendConformanceTest {

    /** Opens the backend under test. */
    protected abstract Backend open(BackendOptions options);

    /** Thread counts whose results must be bit-identical (the suite compares the first with the others). */
    protected int[] threadCounts() {
        return new int[] {1, 2, 3};
    }

    private static final long BASE_SEED = Long.getLong("sk.test.seed", System.nanoTime());

    protected Backend backend;
    private ReferenceBackend reference;
    private long seed;
    private SplittableRandom random;

    @RegisterExtension
    final TestWatcher seedReporter = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            System.err.println("FAILED " + context.getDisplayName() + " with seed " + seed
                    + " (rerun with -Dsk.test.seed=" + BASE_SEED + ")");
        }
    };

    @BeforeEach
    void openBackend(TestInfo info) {
        seed = BASE_SEED ^ info.getDisplayName().hashCode() ^ ((long) info.getTestMethod().map(Method::getName)
                .orElse("").hashCode() << 32);
        random = new SplittableRandom(seed);
        reference = new ReferenceBackend(BackendOptions.defaults());
        backend = open(BackendOptions.defaults().withSyncEachOp(true)); // may abort: no such backend here
    }

    @AfterEach
    void checkNoLeaks() {
        try {
            if (backend != null) {
                assertEquals(0, backend.liveAllocations(), "allocations still alive after the test");
            }
        } finally {
            if (backend != null) {
                backend.close();
            }
            reference.close();
        }
    }

    // ---- coverage ------------------------------------------------------------------------

    @Test
    void everyOperationHasATest() {
        TreeSet<String> covered = new TreeSet<>();
        for (Method m : BackendConformanceTest.class.getDeclaredMethods()) {
            Covers c = m.getAnnotation(Covers.class);
            if (c != null) {
                covered.addAll(Arrays.asList(c.value()));
            }
        }
        TreeSet<String> operations = new TreeSet<>();
        for (Method m : Backend.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                operations.add(m.getName());
            }
        }
        TreeSet<String> missing = new TreeSet<>(operations);
        missing.removeAll(covered);
        assertTrue(missing.isEmpty(), "Backend operations without a conformance test: " + missing);
        TreeSet<String> unknown = new TreeSet<>(covered);
        unknown.removeAll(operations);
        assertTrue(unknown.isEmpty(), "@Covers names that are not Backend operations: " + unknown);
        System.out.println("conformance: " + operations.size() + " operations covered: " + operations);
    }

    // ---- memory and lifecycle ------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"allocate", "upload", "download", "liveAllocations", "close", "info", "sync"})
    void memoryRoundTripsAndIsTracked(DType dtype) {
        assertFalse(backend.info().id().isBlank());
        for (int[] shape : new int[][] {{0, 0}, {0, 5}, {5, 0}, {1, 1}, {7, 17}, {16, 16}, {3, 103}}) {
            int r = shape[0];
            int c = shape[1];
            try (Matrix zeros = backend.allocate(r, c, dtype)) {
                assertEquals(r, zeros.rows());
                assertEquals(c, zeros.cols());
                assertEquals(dtype, zeros.dtype());
                double[] z = new double[r * c];
                Arrays.fill(z, Double.NaN);
                backend.download(zeros, z);
                for (double v : z) {
                    assertEquals(0.0, v, "allocate must zero-fill");
                }
            }
            double[] data = gaussian(r * c);
            try (Matrix m = backend.upload(data, r, c, dtype)) {
                double[] back = new double[r * c];
                backend.download(m, back);
                for (int i = 0; i < data.length; i++) {
                    assertEquals(dtype.round(data[i]), back[i], "round trip at " + i + " (seed " + seed + ")");
                }
                if (dtype == DType.F32) {
                    float[] fl = new float[r * c];
                    backend.download(m, fl);
                    for (int i = 0; i < data.length; i++) {
                        assertEquals((float) data[i], fl[i]);
                    }
                }
            }
        }
        float[] f = {1f, -2f, 3.5f, Float.MIN_VALUE, Float.MAX_VALUE, -0f};
        try (Matrix m = backend.upload(f, 2, 3)) {
            float[] back = new float[6];
            backend.download(m, back);
            assertArrayEquals(f, back);
        }
        Matrix a = backend.allocate(2, 2, dtype);
        Matrix b = backend.allocate(3, 3, dtype);
        assertEquals(2, backend.liveAllocations());
        b.close();
        b.close(); // idempotent
        assertEquals(1, backend.liveAllocations());
        a.close();
        assertEquals(0, backend.liveAllocations());
        backend.sync();
    }

    @Test
    @Covers({"close"})
    void closingTheBackendFreesEverythingAndRejectsUse() {
        Backend other = open(BackendOptions.defaults());
        Matrix a = other.allocate(3, 3, DType.F32);
        Matrix b = other.allocate(2, 5, DType.F64);
        SparseMatrix s = other.upload(Csr.fromDense(new double[] {1, 0, 0, 2}, 2, 2), DType.F32);
        assertEquals(3, other.liveAllocations());
        other.close();
        other.close(); // idempotent
        assertTrue(a.isClosed() && b.isClosed() && s.isClosed());
        assertEquals(0, other.liveAllocations());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> other.allocate(1, 1, DType.F32));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    @Covers({"gemm", "download", "fillGaussian", "featureMap"})
    void misuseFailsWithAClearMessage() {
        try (Matrix a = backend.allocate(3, 4, DType.F32);
             Matrix b = backend.allocate(5, 2, DType.F32);
             Matrix c = backend.allocate(3, 2, DType.F32);
             Matrix d = backend.allocate(4, 2, DType.F64)) {
            assertMessage(IllegalArgumentException.class, "inner dimensions", () -> backend.gemm(false, false, 1, a, b, 0, c));
            assertMessage(IllegalArgumentException.class, "dtype", () -> backend.gemm(false, false, 1, a, d, 0, c));
            assertMessage(IllegalArgumentException.class, "finite", () -> backend.gemm(false, false, Double.NaN, a, a, 0, c));
            assertMessage(IllegalArgumentException.class, "f32", () -> backend.download(d, new float[8]));
            assertMessage(IllegalArgumentException.class, "elements", () -> backend.download(a, new double[11]));
            assertMessage(IllegalArgumentException.class, "non-negative", () -> backend.allocate(-1, 2, DType.F32));
            try (Matrix sq = backend.allocate(3, 3, DType.F32)) {
                assertMessage(IllegalArgumentException.class, "output must not be one of the inputs",
                        () -> backend.gemm(false, false, 1, sq, sq, 0, sq));
            }
            assertMessage(IllegalArgumentException.class, "null", () -> backend.fillGaussian(a, null, 0, 1));
            assertMessage(IllegalArgumentException.class, "columns",
                    () -> backend.featureMap(1, a, b, Activation.RELU, c));
        }
        try (Backend foreign = new ReferenceBackend(BackendOptions.defaults());
             Matrix f = foreign.allocate(4, 2, DType.F32);
             Matrix a = backend.allocate(3, 4, DType.F32);
             Matrix c = backend.allocate(3, 2, DType.F32)) {
            if (foreign.getClass() != backend.getClass()) {
                assertMessage(IllegalArgumentException.class, "belongs to", () -> backend.gemm(false, false, 1, a, f, 0, c));
            }
        }
        Matrix closed = backend.allocate(2, 2, DType.F32);
        closed.close();
        assertMessage(IllegalStateException.class, "closed", () -> backend.download(closed, new float[4]));
    }

    // ---- random numbers ------------------------------------------------------------------

    @Test
    @Covers({"fillGaussian"})
    void philoxMatchesThePublishedKnownAnswers() {
        int[] out = new int[4];
        Philox.block(0, 0, 0, 0, 0, 0, out);
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, out);
        Philox.block(-1, -1, -1, -1, -1, -1, out);
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, out);
        Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, out);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"fillGaussian"})
    void gaussianFillIsTheSameBitsAsThePhiloxTwin(DType dtype) {
        RandomStream rs = new RandomStream(random.nextLong(), random.nextInt(1000), 3); // unaligned offset
        double mean = 0.25;
        double std = 1.5;
        for (int[] shape : new int[][] {{0, 3}, {1, 1}, {7, 9}, {17, 16}, {33, 101}}) {
            try (Matrix m = poisoned(shape[0], shape[1], dtype)) {
                backend.fillGaussian(m, rs, mean, std);
                double[] got = values(m);
                for (int i = 0; i < got.length; i++) {
                    double z = Philox.normal(rs, i, dtype == DType.F32);
                    double expected = dtype == DType.F32
                            ? Math.fma((float) std, (float) z, (float) mean) : Math.fma(std, z, mean);
                    if (Double.doubleToRawLongBits(expected) != Double.doubleToRawLongBits(got[i])) {
                        fail("gaussian element " + i + " of " + shape[0] + "x" + shape[1] + ": expected " + expected
                                + " got " + got[i] + " (seed " + seed + ")");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"fillUniform"})
    void uniformFillIsTheSameBitsAsThePhiloxTwin(DType dtype) {
        RandomStream rs = new RandomStream(random.nextLong(), 7, 5);
        try (Matrix m = poisoned(19, 23, dtype)) {
            backend.fillUniform(m, rs, -2, 3);
            double[] got = values(m);
            for (int i = 0; i < got.length; i++) {
                long e = rs.offset() + i;
                double expected = dtype == DType.F32
                        ? Math.fma(5f, Philox.uniformF32(rs.seed(), rs.stream(), e), -2f)
                        : Math.fma(5.0, Philox.uniformF64(rs.seed(), rs.stream(), e), -2.0);
                assertEquals(expected, got[i], 0.0, "uniform element " + i + " (seed " + seed + ")");
                assertTrue(got[i] >= -2 && got[i] <= 3);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"fillGaussian"})
    void gaussianFillIsStandardNormal(DType dtype) {
        int n = 200_000;
        try (Matrix m = backend.allocate(n, 1, dtype)) {
            backend.fillGaussian(m, RandomStream.of(random.nextLong(), 1), 0, 1);
            double[] v = values(m);
            double mean = Arrays.stream(v).average().orElseThrow();
            double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / (n - 1);
            double tail = Arrays.stream(v).filter(x -> Math.abs(x) > 1.959963984540054).count() / (double) n;
            // Sampling standard errors: mean 1/sqrt(n) = 0.0022, variance sqrt(2/n) = 0.0032,
            // two-sided 5% tail sqrt(0.05·0.95/n) = 0.00049. Bounds at 5 standard errors.
            assertEquals(0, mean, 5 * Math.sqrt(1.0 / n), "mean");
            assertEquals(1, var, 5 * Math.sqrt(2.0 / n), "variance");
            assertEquals(0.05, tail, 5 * Math.sqrt(0.05 * 0.95 / n), "tail mass beyond 1.96");
        }
    }

    // ---- element-wise --------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"scaleColumns"})
    void scaleColumnsScalesEachColumn(DType dtype) {
        int r = 13;
        int c = 17;
        double[] data = gaussian(r * c);
        double[] factors = gaussian(c);
        try (Matrix m = backend.upload(data, r, c, dtype)) {
            double[] stored = values(m);
            backend.scaleColumns(m, factors);
            double[] got = values(m);
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < c; j++) {
                    double exact = stored[i * c + j] * factors[j];
                    assertEquals(exact, got[i * c + j], Tolerances.scaled(dtype, exact), "(" + i + "," + j + ")");
                }
            }
        }
    }

    // ---- products ------------------------------------------------------------------------

    static final int[][] GEMM_SHAPES = {
        {0, 3, 5}, {3, 0, 5}, {3, 5, 0}, {1, 1, 1}, {7, 9, 17}, {16, 16, 16}, {15, 17, 33}, {8, 9, 7}, {103, 37, 64}, {33, 8, 129}};

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"gemm"})
    void gemmMatchesTheOracleForEveryTransposition(DType dtype) {
        for (int[] s : GEMM_SHAPES) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            for (int variant = 0; variant < 8; variant++) {
                boolean ta = (variant & 1) != 0;
                boolean tb = (variant & 2) != 0;
                double alpha = 0.75;
                double beta = (variant & 4) != 0 ? -0.5 : 0.0;
                try (Matrix a = random(ta ? k : m, ta ? m : k, dtype);
                     Matrix b = random(tb ? n : k, tb ? k : n, dtype);
                     Matrix c = beta == 0 ? poisoned(m, n, dtype) : random(m, n, dtype)) {
                    double[] av = values(a);
                    double[] bv = values(b);
                    double[] c0 = values(c);
                    backend.gemm(ta, tb, alpha, a, b, beta, c);
                    double[] got = values(c);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double sum = 0;
                            double abs = 0;
                            for (int l = 0; l < k; l++) {
                                double x = (ta ? av[l * m + i] : av[i * k + l]) * (tb ? bv[j * k + l] : bv[l * n + j]);
                                sum += x;
                                abs += Math.abs(x);
                            }
                            double expected = alpha * sum + (beta == 0 ? 0 : beta * c0[i * n + j]);
                            double bound = Math.abs(alpha) * abs + (beta == 0 ? 0 : Math.abs(beta * c0[i * n + j]));
                            check(got[i * n + j], expected, Tolerances.product(dtype, k, bound, expected),
                                    "gemm " + m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb + " beta=" + beta
                                            + " at (" + i + "," + j + ")");
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"gemv"})
    void gemvMatchesTheOracle(DType dtype) {
        for (int[] s : GEMM_SHAPES) {
            int rows = s[0];
            int cols = s[2];
            for (int variant = 0; variant < 4; variant++) {
                boolean trans = (variant & 1) != 0;
                double beta = (variant & 2) != 0 ? 2.0 : 0.0;
                int m = trans ? cols : rows;
                int k = trans ? rows : cols;
                try (Matrix a = random(rows, cols, dtype);
                     Matrix x = random(k, 1, dtype);
                     Matrix y = beta == 0 ? poisoned(m, 1, dtype) : random(m, 1, dtype)) {
                    double[] av = values(a);
                    double[] xv = values(x);
                    double[] y0 = values(y);
                    backend.gemv(trans, -1.25, a, x, beta, y);
                    double[] got = values(y);
                    for (int i = 0; i < m; i++) {
                        double sum = 0;
                        double abs = 0;
                        for (int l = 0; l < k; l++) {
                            double p = (trans ? av[l * cols + i] : av[i * cols + l]) * xv[l];
                            sum += p;
                            abs += Math.abs(p);
                        }
                        double expected = -1.25 * sum + (beta == 0 ? 0 : beta * y0[i]);
                        double bound = 1.25 * abs + (beta == 0 ? 0 : Math.abs(beta * y0[i]));
                        check(got[i], expected, Tolerances.product(dtype, k, bound, expected),
                                "gemv " + rows + "x" + cols + " trans=" + trans + " beta=" + beta + " at " + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"gramRows"})
    void crossGramIsRectangularAndCorrect(DType dtype) {
        for (int[] s : new int[][] {{0, 4, 3}, {5, 0, 3}, {4, 6, 0}, {9, 13, 17}, {17, 33, 16}, {31, 7, 103}}) {
            try (Matrix a = random(s[0], s[2], dtype);
                 Matrix b = random(s[1], s[2], dtype);
                 Matrix out = poisoned(s[0], s[1], dtype)) {
                backend.gramRows(0.5, a, b, out);
                checkProduct(dtype, values(a), values(b), s[0], s[1], s[2], 0.5, values(out), null, "gramRows " + Arrays.toString(s));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"gramRows"})
    void symmetricGramIsSymmetricAndPositiveSemiDefinite(DType dtype) {
        // 150: rows past the first 64 (backends may mirror blocks above the diagonal wholesale) and a ragged edge
        for (int[] s : new int[][] {{1, 5}, {16, 9}, {17, 3}, {40, 103}, {64, 31}, {150, 7}}) {
            int p = s[0];
            int n = s[1];
            try (Matrix a = random(p, n, dtype);
                 Matrix out = poisoned(p, p, dtype)) {
                backend.gramRows(1.0 / n, a, a, out);
                double[] k = values(out);
                double[] av = values(a);
                checkProduct(dtype, av, av, p, p, n, 1.0 / n, k, null, "symmetric gramRows " + p + "x" + n);
                for (int i = 0; i < p; i++) {
                    for (int j = 0; j < i; j++) {
                        assertEquals(k[i * p + j], k[j * p + i], 0.0, "symmetric gram not exactly symmetric at " + i + "," + j);
                    }
                }
                assertPositiveSemiDefinite(k, p, dtype, n);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"gramColumns"})
    void featureGramMatchesTheOracle(DType dtype) {
        for (int[] s : new int[][] {{0, 4}, {5, 0}, {9, 13}, {33, 17}, {103, 16}, {7, 40}}) {
            int p = s[0];
            int n = s[1];
            try (Matrix phi = random(p, n, dtype);
                 Matrix out = poisoned(n, n, dtype)) {
                backend.gramColumns(2.0, phi, 0, out);
                double[] pv = values(phi);
                double[] transposed = transpose(pv, p, n);
                double[] k = values(out);
                checkProduct(dtype, transposed, transposed, n, n, p, 2.0, k, null, "gramColumns " + p + "x" + n);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < i; j++) {
                        assertEquals(k[i * n + j], k[j * n + i], 0.0, "feature gram not exactly symmetric");
                    }
                }
            }
        }
    }

    /** Row tiles summed with β = 1 give the Gram of the whole matrix (a SYRK); β scales the old upper triangle. */
    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"gramColumns"})
    void featureGramAccumulatesOverRowTiles(DType dtype) {
        int n = 37;
        int[] tiles = {0, 19, 1, 64};
        int p = Arrays.stream(tiles).sum();
        double[] all = new double[p * n];
        double[] g = gaussian(n * n);
        double[] upper = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                upper[i * n + j] = i <= j ? g[i * n + j] : Double.NaN;
            }
        }
        // The start is scaled by β = −0.5 on the first tile; its lower triangle is NaN: only the upper one may be read.
        try (Matrix out = backend.upload(upper, n, n, dtype)) {
            double[] start = values(out);
            int row = 0;
            for (int t = 0; t < tiles.length; t++) {
                try (Matrix tile = random(tiles[t], n, dtype)) {
                    System.arraycopy(values(tile), 0, all, row * n, tiles[t] * n);
                    backend.gramColumns(2.0, tile, t == 0 ? -0.5 : 1, out);
                }
                row += tiles[t];
            }
            double[] k = values(out);
            double[] transposed = transpose(all, p, n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    double abs = 0;
                    for (int l = 0; l < p; l++) {
                        double x = transposed[i * p + l] * transposed[j * p + l];
                        sum += x;
                        abs += Math.abs(x);
                    }
                    double old = start[Math.min(i, j) * n + Math.max(i, j)];
                    double expected = 2 * sum - 0.5 * old;
                    double tol = Tolerances.product(dtype, p + tiles.length, 2 * abs + 0.5 * Math.abs(old), expected);
                    check(k[i * n + j], expected, tol, "accumulated gramColumns at (" + i + "," + j + ")");
                    assertEquals(k[i * n + j], k[j * n + i], 0.0, "accumulated feature gram not exactly symmetric");
                }
            }
        }
    }

    // ---- feature maps --------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"featureMap"})
    void denseFeatureMapMatchesTheOracleForEveryActivation(DType dtype) {
        for (Activation act : Activation.values()) {
            for (int[] s : new int[][] {{0, 3, 4}, {3, 0, 4}, {3, 4, 0}, {7, 9, 17}, {16, 17, 15}, {37, 33, 64}}) {
                int p = s[0];
                int n = s[1];
                int m = s[2];
                try (Matrix x = random(p, m, dtype);
                     Matrix f = random(n, m, dtype);
                     Matrix out = poisoned(p, n, dtype)) {
                    double scale = 1 / Math.sqrt(Math.max(m, 1));
                    backend.featureMap(scale, x, f, act, out);
                    checkProduct(dtype, values(x), values(f), p, n, m, scale, values(out), act,
                            "featureMap " + act + " " + Arrays.toString(s));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"featureMapSparse", "upload"})
    void sparseFeatureMapAgreesWithTheDenseMap(DType dtype) {
        // n = 19 and 70: one part-filled block of columns, and several blocks with a short last one
        for (int n : new int[] {19, 70}) {
            sparseFeatureMapAgreesWithTheDenseMap(dtype, 23, 41, n);
        }
        try (SparseMatrix empty = backend.upload(new Csr(0, 5, new int[] {0}, new int[0], new double[0]), dtype);
             Matrix f = random(3, 5, dtype);
             Matrix out = backend.allocate(0, 3, dtype)) {
            backend.featureMapSparse(1, empty, f, Activation.RELU, out);
        }
    }

    private void sparseFeatureMapAgreesWithTheDenseMap(DType dtype, int p, int m, int n) {
        double[] dense = new double[p * m];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < m; j++) {
                boolean keep = switch (i % 4) {
                    case 0 -> false;                          // a row with no non-zeros
                    case 1 -> true;                           // a row with all non-zeros
                    default -> random.nextDouble() < 0.1;     // a sparse row
                };
                dense[i * m + j] = keep ? random.nextGaussian() : 0;
            }
        }
        Csr csr = Csr.fromDense(dense, p, m);
        for (Activation act : Activation.values()) {
            try (SparseMatrix xs = backend.upload(csr, dtype);
                 Matrix xd = backend.upload(dense, p, m, dtype);
                 Matrix f = random(n, m, dtype);
                 Matrix sparseOut = poisoned(p, n, dtype);
                 Matrix denseOut = poisoned(p, n, dtype)) {
                assertEquals(csr.nonZeros(), xs.nonZeros());
                backend.featureMapSparse(0.3, xs, f, act, sparseOut);
                backend.featureMap(0.3, xd, f, act, denseOut);
                double[] xv = values(xd);
                checkProduct(dtype, xv, values(f), p, n, m, 0.3, values(sparseOut), act, "featureMapSparse " + act);
                checkProduct(dtype, xv, values(f), p, n, m, 0.3, values(denseOut), act, "featureMap on CSR data " + act);
            }
        }
    }

    // ---- gradient descent ----------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"gradientDescent"})
    void gradientDescentFollowsTheClosedFormTrajectory(DType dtype) {
        for (int[] s : new int[][] {{31, 17}, {16, 40}, {9, 9}}) {
            int p = s[0];
            int n = s[1];
            try (Matrix phi = random(p, n, dtype);
                 Matrix y = random(p, 1, dtype);
                 Matrix w = backend.allocate(n, 1, dtype)) {
                double[] pv = values(phi);
                double[] yv = values(y);
                double lambda = exactLambdaMax(pv, p, n);
                double eta = 1.6 / lambda; // η·λ_max = 1.6 < 2: stable, with oscillating modes
                int steps = 60;
                GdResult result = backend.gradientDescent(phi, y, w, new double[] {eta}, GdOptions.everyStep(steps));
                assertFalse(result.diverged(0), "diverged below the stability threshold");
                // Exact trajectory in double: w_{t+1} = w_t − (η/P)·Φᵀ(Φw_t − y).
                double frob = Math.sqrt(sumSquares(pv));
                double normY = Math.sqrt(sumSquares(yv));
                double[] wt = new double[n];
                double[] stepBounds = new double[steps + 1];
                for (int t = 0; t <= steps; t++) {
                    double[] r = residual(pv, wt, yv, p, n);
                    double normR = Math.sqrt(sumSquares(r));
                    double normW = Math.sqrt(sumSquares(wt));
                    double loss = normR * normR / p;
                    double tol = Tolerances.gdLoss(dtype, p, n, frob, stepBounds, t, normW, normY, normR);
                    check(result.losses()[0][t], loss, tol, "GD loss at step " + t + " for " + p + "x" + n);
                    if (t > 0) {
                        assertTrue(result.losses()[0][t] <= result.losses()[0][t - 1] + 2 * tol,
                                "loss increased at step " + t + " below η = 2/λ_max");
                    }
                    if (t == steps) {
                        break;
                    }
                    stepBounds[t] = Tolerances.gdStep(dtype, p, n, frob, eta, normW, normY);
                    double[] g = transposeTimes(pv, r, p, n);
                    for (int l = 0; l < n; l++) {
                        wt[l] -= eta / p * g[l];
                    }
                }
                double[] wFinal = values(w);
                double[] fBackend = times(pv, wFinal, p, n);
                double[] fExact = times(pv, wt, p, n);
                double diff = 0;
                for (int i = 0; i < p; i++) {
                    diff += (fBackend[i] - fExact[i]) * (fBackend[i] - fExact[i]);
                }
                double accumulated = Arrays.stream(stepBounds).limit(steps).sum();
                assertTrue(Math.sqrt(diff) <= frob * accumulated + Tolerances.gamma(n + 1, dtype.unitRoundoff()) * frob
                                * Math.sqrt(sumSquares(wt)) + Double.MIN_NORMAL,
                        "final predictions Φw differ from the closed form by " + Math.sqrt(diff));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"gradientDescent"})
    void gradientDescentReportsDivergencePerRightHandSide(DType dtype) {
        // k = 4 and 9: a batch with fewer right-hand sides than vector lanes, and one wider than a
        // vector of fp64 and part-filling one of fp32 (backends may batch right-hand sides by lanes)
        for (int k : new int[] {4, 9}) {
            gradientDescentReportsDivergencePerRightHandSide(dtype, k);
        }
    }

    private void gradientDescentReportsDivergencePerRightHandSide(DType dtype, int k) {
        int p = 29;
        int n = 13;
        try (Matrix phi = random(p, n, dtype);
             Matrix y = random(p, k, dtype);
             Matrix w = backend.allocate(n, k, dtype)) {
            double lambda = exactLambdaMax(values(phi), p, n);
            double[] factors = {0.5, 2.5, 1.0, 4.0};
            double[] eta = new double[k];
            for (int j = 0; j < k; j++) {
                eta[j] = factors[j % 4] / lambda;
            }
            GdOptions options = GdOptions.logSpaced(2000, 5);
            GdResult result = backend.gradientDescent(phi, y, w, eta, options);
            assertEquals(k, result.rightHandSides());
            for (int j = 0; j < k; j++) {
                if (j % 2 == 0) {
                    assertFalse(result.diverged(j), "η·λ_max ≤ 1 must not diverge (k = " + k + ", j = " + j + ")");
                } else {
                    assertTrue(result.diverged(j), "η·λ_max = " + factors[j % 4] * 2 + " must diverge (k = " + k + ")");
                }
            }
            assertTrue(result.divergedStep()[3] <= result.divergedStep()[1], "a larger step diverges no later");
            for (int j = 1; j < k; j += 2) {
                for (int r = 0; r < options.records(); r++) {
                    if (options.recordStep(r) > result.divergedStep()[j]) {
                        assertTrue(Double.isNaN(result.losses()[j][r]), "records after divergence must be NaN");
                    }
                }
            }
            // Each right-hand side is independent of the others: rerun column 2 (and the last) alone.
            for (int j : k > 4 ? new int[] {2, k - 1} : new int[] {2}) {
                try (Matrix y2 = backend.upload(column(values(y), p, k, j), p, 1, dtype);
                     Matrix w2 = backend.allocate(n, 1, dtype)) {
                    GdResult alone = backend.gradientDescent(phi, y2, w2, new double[] {eta[j]}, options);
                    double frob2 = sumSquares(values(phi));
                    for (int r = 0; r < options.records(); r++) {
                        double a = alone.losses()[0][r];
                        double b = result.losses()[j][r];
                        // Same data, same steps: only the summation order may differ between a batched and a
                        // single call (a reduction of length P+N per step), bounded like one GD run against another.
                        double tol = 2 * Tolerances.reduction(dtype, (long) (p + n) * (options.recordStep(r) + 1),
                                frob2 * (1 + sumSquares(values(y2))));
                        check(a, b, tol, "right-hand side " + j + " of " + k + " batched vs alone at record " + r);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"gradientDescent"})
    void gradientDescentSharesOneTargetAcrossLearningRates(DType dtype) {
        int p = 21;
        int n = 11;
        try (Matrix phi = random(p, n, dtype);
             Matrix y = random(p, 1, dtype);
             Matrix w = backend.allocate(n, 3, dtype);
             Matrix w1 = backend.allocate(n, 1, dtype)) {
            double lambda = exactLambdaMax(values(phi), p, n);
            // Each eigen-mode of the residual contracts by |1 - eta * lambda_i| per step. For eta <= 1 / lambdaMax
            // that factor falls as eta grows, for every mode, so the larger step's loss is lower at every step.
            // Above 1 / lambdaMax it does not (the top mode contracts by 0.9 at 1.9 / lambdaMax and by 0.8 at
            // 0.2 / lambdaMax), but below 2 / lambdaMax every mode still contracts: the loss never rises.
            double[] eta = {0.2 / lambda, 0.9 / lambda, 1.9 / lambda};
            GdResult shared = backend.gradientDescent(phi, y, w, eta, GdOptions.everyStep(25));
            GdResult single = backend.gradientDescent(phi, y, w1, new double[] {eta[1]}, GdOptions.everyStep(25));
            double scale = sumSquares(values(phi)) * sumSquares(values(y)) + 1e-300;
            // Slack for the rounding of two computed losses, each a sum of reductions of length P + N
            // (relative error <= (P + N) u each). In exact arithmetic the smaller step's loss is higher by
            // >= 0.28 % at every step t >= 1 here (2,000 random draws of this shape), far above the slack.
            double slack = 2 * (p + n) * dtype.unitRoundoff();
            double[][] losses = shared.losses();
            for (int t = 0; t <= 25; t++) {
                double tol = Tolerances.reduction(dtype, (long) (p + n) * (t + 1), scale);
                assertEquals(single.losses()[0][t], losses[1][t], tol, "shared target, step " + t);
                assertTrue(losses[1][t] <= losses[0][t] * (1 + slack),
                        "a larger step below 1/lambdaMax reaches a lower loss at step " + t + ": " + losses[1][t]
                                + " vs " + losses[0][t] + " (seed " + seed + ")");
                if (t > 0) {
                    assertTrue(losses[2][t] <= losses[2][t - 1] * (1 + slack),
                            "a step below 2/lambdaMax never raises the loss, step " + t + ": " + losses[2][t]
                                    + " after " + losses[2][t - 1] + " (seed " + seed + ")");
                }
            }
        }
    }

    // ---- spectra and solves --------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"lambdaMax"})
    void lambdaMaxMatchesTheExactEigenvalue(DType dtype) {
        LambdaMaxOptions options = new LambdaMaxOptions(500, 1e-15, random.nextLong());
        for (int[] s : new int[][] {{1, 1}, {40, 7}, {7, 40}, {64, 64}, {103, 33}}) {
            int p = s[0];
            int n = s[1];
            try (Matrix phi = random(p, n, dtype)) {
                double[] pv = values(phi);
                double expected = exactLambdaMax(pv, p, n);
                double got = backend.lambdaMax(phi, options);
                check(got, expected, Tolerances.lambdaMax(dtype, p, n, sumSquares(pv)), "lambdaMax " + p + "x" + n);
            }
        }
        // Rank one: Φ = u vᵀ has λ_max(ΦᵀΦ/P) = ‖u‖²‖v‖²/P exactly.
        double[] u = gaussian(37);
        double[] v = gaussian(11);
        double[] outer = new double[37 * 11];
        for (int i = 0; i < 37; i++) {
            for (int j = 0; j < 11; j++) {
                outer[i * 11 + j] = u[i] * v[j];
            }
        }
        try (Matrix phi = backend.upload(outer, 37, 11, dtype)) {
            double[] pv = values(phi);
            check(backend.lambdaMax(phi, options), exactLambdaMax(pv, 37, 11),
                    Tolerances.lambdaMax(dtype, 37, 11, sumSquares(pv)), "rank-one lambdaMax");
        }
        try (Matrix empty = backend.allocate(5, 0, dtype)) {
            assertEquals(0.0, backend.lambdaMax(empty, options));
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"ridgeSolve"})
    void ridgeSolveMatchesTheOracleOnBothSides(DType dtype) {
        for (int[] s : new int[][] {{40, 13, 1}, {13, 40, 2}, {33, 33, 3}, {1, 5, 1}}) {
            int p = s[0];
            int n = s[1];
            int k = s[2];
            double ridge = 0.05;
            try (Matrix phi = random(p, n, dtype);
                 Matrix y = random(p, k, dtype);
                 Matrix w = poisoned(n, k, dtype);
                 Matrix rphi = reference.upload(values(phi), p, n, dtype);
                 Matrix ry = reference.upload(values(y), p, k, dtype);
                 Matrix rw = reference.allocate(n, k, dtype)) {
                backend.ridgeSolve(phi, y, ridge, w);
                reference.ridgeSolve(rphi, ry, ridge, rw);
                double[] got = values(w);
                double[] expected = new double[n * k];
                reference.download(rw, expected);
                double kappa = (exactLambdaMax(values(phi), p, n) + ridge) / ridge;
                double diff = 0;
                for (int i = 0; i < got.length; i++) {
                    diff += (got[i] - expected[i]) * (got[i] - expected[i]);
                }
                double tol = Tolerances.ridge(dtype, p, n, kappa, Math.sqrt(sumSquares(expected)));
                assertTrue(Math.sqrt(diff) <= tol, "ridge " + p + "x" + n + "x" + k + ": ‖ΔW‖ = " + Math.sqrt(diff)
                        + " exceeds " + tol + " (seed " + seed + ")");
                // The normal equations hold: Φᵀ(Φw − y) + ridge·P·w = 0 (checked in double for the oracle's w).
                double[] pv = values(phi);
                double[] yv = values(y);
                for (int j = 0; j < k; j++) {
                    double[] wj = column(expected, n, k, j);
                    double[] g = transposeTimes(pv, residual(pv, wj, column(yv, p, k, j), p, n), p, n);
                    for (int l = 0; l < n; l++) {
                        double normal = g[l] + ridge * p * wj[l];
                        assertEquals(0, normal, 1e-6 * (1 + sumSquares(pv)) * (1 + Math.sqrt(sumSquares(wj))) * kappa,
                                "normal equations at " + l);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"ridgeSolve"})
    void ridgelessSolveOfARankDeficientSystemIsAnArithmeticError(DType dtype) {
        int p = 20;
        int n = 6;
        double[] data = gaussian(p * n);
        for (int i = 0; i < p; i++) {
            data[i * n + 5] = data[i * n + 4]; // two equal columns: ΦᵀΦ is singular
        }
        try (Matrix phi = backend.upload(data, p, n, dtype);
             Matrix y = random(p, 1, dtype);
             Matrix w = backend.allocate(n, 1, dtype)) {
            assertMessage(ArithmeticException.class, "positive definite", () -> backend.ridgeSolve(phi, y, 0, w));
        }
    }

    // ---- reductions ----------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"dot", "norm", "meanSquaredError"})
    void reductionsMatchTheOracle(DType dtype) {
        for (int[] s : new int[][] {{1, 1}, {7, 3}, {16, 16}, {103, 17}, {1000, 1}}) {
            int r = s[0];
            int c = s[1];
            try (Matrix a = random(r, c, dtype);
                 Matrix b = random(r, c, dtype);
                 Matrix t = random(r, 1, dtype)) {
                double[] av = values(a);
                double[] bv = values(b);
                double[] tv = values(t);
                double dot = 0;
                double abs = 0;
                for (int i = 0; i < av.length; i++) {
                    dot += av[i] * bv[i];
                    abs += Math.abs(av[i] * bv[i]);
                }
                check(backend.dot(a, b), dot, Tolerances.reduction(dtype, av.length, abs), "dot " + r + "x" + c);
                double ss = sumSquares(av);
                check(backend.norm(a), Math.sqrt(ss), Tolerances.reduction(dtype, av.length, ss) / Math.sqrt(ss)
                        + dtype.unitRoundoff() * Math.sqrt(ss), "norm");
                double[] mse = backend.meanSquaredError(a, b);
                double[] mseShared = backend.meanSquaredError(a, t);
                for (int j = 0; j < c; j++) {
                    double e = 0;
                    double es = 0;
                    for (int i = 0; i < r; i++) {
                        e += (av[i * c + j] - bv[i * c + j]) * (av[i * c + j] - bv[i * c + j]);
                        es += (av[i * c + j] - tv[i]) * (av[i * c + j] - tv[i]);
                    }
                    check(mse[j], e / r, Tolerances.reduction(dtype, 3L * r, e / r), "mse column " + j);
                    check(mseShared[j], es / r, Tolerances.reduction(dtype, 3L * r, es / r), "mse shared target column " + j);
                }
            }
        }
        // Large entries must not overflow the norm.
        double big = dtype == DType.F32 ? 1e30 : 1e200;
        try (Matrix m = backend.upload(new double[] {big, big, -big, big}, 2, 2, dtype)) {
            check(backend.norm(m), 2 * dtype.round(big), 4 * dtype.unitRoundoff() * 2 * big, "norm without overflow");
        }
    }

    // ---- determinism ---------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(DType.class)
    @Covers({"featureMap", "gramRows", "gramColumns", "gemm", "gradientDescent", "lambdaMax", "fillGaussian"})
    void resultsDoNotDependOnTheThreadCount(DType dtype) {
        double[] first = null;
        for (int threads : threadCounts()) {
            try (Backend b = open(BackendOptions.defaults().withThreads(threads))) {
                double[] all = runPipeline(b, dtype);
                if (first == null) {
                    first = all;
                } else {
                    for (int i = 0; i < all.length; i++) {
                        if (Double.doubleToRawLongBits(first[i]) != Double.doubleToRawLongBits(all[i])) {
                            fail("result " + i + " differs with " + threads + " threads: " + first[i] + " vs " + all[i]);
                        }
                    }
                }
            }
        }
    }

    private double[] runPipeline(Backend b, DType dtype) {
        long s = seed;
        try (Matrix x = b.allocate(67, 45, dtype);
             Matrix f = b.allocate(130, 45, dtype);
             Matrix phi = b.allocate(67, 130, dtype);
             Matrix k = b.allocate(67, 67, dtype);
             Matrix g = b.allocate(130, 130, dtype);
             Matrix c = b.allocate(67, 45, dtype);
             Matrix y = b.allocate(67, 2, dtype);
             Matrix w = b.allocate(130, 2, dtype)) {
            b.fillGaussian(x, RandomStream.of(s, 0), 0, 1);
            b.fillGaussian(f, RandomStream.of(s, 1), 0, 1);
            b.fillGaussian(y, RandomStream.of(s, 2), 0, 1);
            b.featureMap(1 / Math.sqrt(45), x, f, Activation.RELU, phi);
            b.gramRows(1.0 / 130, phi, phi, k);
            b.gramColumns(1.0 / 67, phi, 0, g);
            b.gemm(false, false, 1, phi, f, 0, c);
            double lambda = b.lambdaMax(phi, LambdaMaxOptions.defaults(s));
            GdResult gd = b.gradientDescent(phi, y, w, new double[] {1 / lambda, 1.5 / lambda}, GdOptions.logSpaced(200, 4));
            List<Double> all = new ArrayList<>();
            for (Matrix m : new Matrix[] {phi, k, g, c, w}) {
                double[] v = new double[(int) m.size()];
                b.download(m, v);
                for (double d : v) {
                    all.add(d);
                }
            }
            all.add(lambda);
            for (double[] l : gd.losses()) {
                for (double d : l) {
                    all.add(d);
                }
            }
            return all.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    // ---- helpers -------------------------------------------------------------------------

    private double[] gaussian(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextGaussian();
        }
        return v;
    }

    private Matrix random(int rows, int cols, DType dtype) {
        return backend.upload(gaussian(rows * cols), rows, cols, dtype);
    }

    private Matrix poisoned(int rows, int cols, DType dtype) {
        double[] nan = new double[rows * cols];
        Arrays.fill(nan, Double.NaN);
        return backend.upload(nan, rows, cols, dtype);
    }

    /** The stored values, exactly (f32 widens exactly to double). */
    private double[] values(Matrix m) {
        double[] v = new double[Math.toIntExact(m.size())];
        backend.download(m, v);
        return v;
    }

    private void check(double got, double expected, double tolerance, String what) {
        if (!(Math.abs(got - expected) <= tolerance)) {
            fail(what + ": expected " + expected + " ± " + tolerance + " but got " + got + " (seed " + seed + ")");
        }
    }

    /** out = σ(scale·A Bᵀ) with A m×k and B n×k (row-major), against the componentwise bound. */
    private void checkProduct(DType dtype, double[] a, double[] b, int m, int n, int k, double scale, double[] out,
                              Activation act, String what) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                double abs = 0;
                for (int l = 0; l < k; l++) {
                    double x = a[i * k + l] * b[j * k + l];
                    sum += x;
                    abs += Math.abs(x);
                }
                double pre = scale * sum;
                double bound = Math.abs(scale) * abs;
                double expected = act == null ? pre : act.apply(pre);
                double tol = act == null ? Tolerances.product(dtype, k, bound, pre)
                        : Tolerances.activated(dtype, act, k, bound, pre, expected);
                check(out[i * n + j], expected, tol, what + " at (" + i + "," + j + ")");
            }
        }
    }

    /** PSD up to rounding: the smallest eigenvalue, from a Cholesky of K + τI in double, exists for τ = the rounding bound. */
    private static void assertPositiveSemiDefinite(double[] k, int p, DType dtype, int inner) {
        double maxDiag = 0;
        for (int i = 0; i < p; i++) {
            maxDiag = Math.max(maxDiag, Math.abs(k[i * p + i]));
        }
        // Each entry is within γ_{n+2}·(|a|·|b|) ≤ γ_{n+2}·maxDiag of the exact PSD Gram (Cauchy–Schwarz),
        // so the perturbation has 2-norm at most p·γ·maxDiag.
        double tau = p * Tolerances.product(dtype, inner, maxDiag, maxDiag) + Double.MIN_NORMAL;
        double[][] l = new double[p][p];
        for (int j = 0; j < p; j++) {
            double d = k[j * p + j] + tau;
            for (int q = 0; q < j; q++) {
                d -= l[j][q] * l[j][q];
            }
            assertTrue(d > 0, "Gram is not positive semi-definite (pivot " + j + " = " + d + ")");
            l[j][j] = Math.sqrt(d);
            for (int i = j + 1; i < p; i++) {
                double s = k[i * p + j];
                for (int q = 0; q < j; q++) {
                    s -= l[i][q] * l[j][q];
                }
                l[i][j] = s / l[j][j];
            }
        }
    }

    /** λ_max(ΦᵀΦ/P) in double by Jacobi rotations on the smaller Gram: independent of every backend. */
    static double exactLambdaMax(double[] phi, int p, int n) {
        boolean featureSide = n <= p;
        int d = featureSide ? n : p;
        double[][] g = new double[d][d];
        for (int a = 0; a < d; a++) {
            for (int b = 0; b < d; b++) {
                double s = 0;
                int inner = featureSide ? p : n;
                for (int i = 0; i < inner; i++) {
                    s += featureSide ? phi[i * n + a] * phi[i * n + b] : phi[a * n + i] * phi[b * n + i];
                }
                g[a][b] = s / p;
            }
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int a = 0; a < d; a++) {
                for (int b = a + 1; b < d; b++) {
                    off += g[a][b] * g[a][b];
                }
            }
            if (off < 1e-30) {
                break;
            }
            for (int a = 0; a < d; a++) {
                for (int b = a + 1; b < d; b++) {
                    if (g[a][b] == 0) {
                        continue;
                    }
                    double theta = (g[b][b] - g[a][a]) / (2 * g[a][b]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int q = 0; q < d; q++) {
                        double ga = g[q][a];
                        double gb = g[q][b];
                        g[q][a] = c * ga - s * gb;
                        g[q][b] = s * ga + c * gb;
                    }
                    for (int q = 0; q < d; q++) {
                        double ga = g[a][q];
                        double gb = g[b][q];
                        g[a][q] = c * ga - s * gb;
                        g[b][q] = s * ga + c * gb;
                    }
                }
            }
        }
        double max = 0;
        for (int a = 0; a < d; a++) {
            max = Math.max(max, g[a][a]);
        }
        return max;
    }

    private static double[] residual(double[] phi, double[] w, double[] y, int p, int n) {
        double[] f = times(phi, w, p, n);
        for (int i = 0; i < p; i++) {
            f[i] -= y[i];
        }
        return f;
    }

    private static double[] times(double[] phi, double[] w, int p, int n) {
        double[] f = new double[p];
        for (int i = 0; i < p; i++) {
            double s = 0;
            for (int l = 0; l < n; l++) {
                s += phi[i * n + l] * w[l];
            }
            f[i] = s;
        }
        return f;
    }

    private static double[] transposeTimes(double[] phi, double[] r, int p, int n) {
        double[] g = new double[n];
        for (int i = 0; i < p; i++) {
            for (int l = 0; l < n; l++) {
                g[l] += phi[i * n + l] * r[i];
            }
        }
        return g;
    }

    private static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[a.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        return t;
    }

    private static double[] column(double[] a, int rows, int cols, int j) {
        double[] c = new double[rows];
        for (int i = 0; i < rows; i++) {
            c[i] = a[i * cols + j];
        }
        return c;
    }

    private static double sumSquares(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return s;
    }

    private static void assertMessage(Class<? extends Throwable> type, String fragment, org.junit.jupiter.api.function.Executable call) {
        Throwable t = assertThrows(type, call);
        assertTrue(t.getMessage() != null && t.getMessage().contains(fragment),
                "message should mention '" + fragment + "': " + t.getMessage());
    }
}
