package dev.scalekernel.cpu;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.Csr;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.GdResult;
import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.SparseMatrix;
import dev.scalekernel.api.conformance.Tolerances;
import dev.scalekernel.api.reference.ReferenceBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the conformance suite's small shapes cannot reach: products larger than every cache block
 * (several KC slices, MC row blocks, TASK_COLS chunks, partial edge tiles), the fused activation
 * applied only after the last slice, exact symmetry across task boundaries, bitwise equality
 * between thread counts on those shapes, the FMA-off path, and ridge systems larger than one
 * Cholesky panel.
 */
class CpuKernelsTest {

    /** m > MC (not a multiple of MR), n > TASK_COLS (not a multiple of NR), k > KC (not a multiple). */
    private static final int M = 141;
    private static final int N = 1061;
    private static final int K = 1031;

    private final SplittableRandom random = new SplittableRandom(Long.getLong("sk.test.seed", 20261125L));

    @ParameterizedTest
    @EnumSource(DType.class)
    void gemmBeyondTheCacheBlocksMatchesTheBoundForEveryTransposition(DType dtype) {
        try (Backend b = new CpuBackend(BackendOptions.defaults())) {
            for (int variant = 0; variant < 4; variant++) {
                boolean ta = (variant & 1) != 0;
                boolean tb = (variant & 2) != 0;
                double[] av = gaussian(M * K);
                double[] bv = gaussian(K * N);
                double[] c0 = gaussian(M * N);
                try (Matrix a = b.upload(av, ta ? K : M, ta ? M : K, dtype);
                     Matrix bm = b.upload(bv, tb ? N : K, tb ? K : N, dtype);
                     Matrix c = b.upload(c0, M, N, dtype)) {
                    av = values(b, a);
                    bv = values(b, bm);
                    c0 = values(b, c);
                    b.gemm(ta, tb, 0.75, a, bm, -0.5, c);
                    double[] got = values(b, c);
                    double[] at = ta ? transpose(av, K, M) : av;
                    double[] bt = tb ? bv : transpose(bv, K, N);
                    for (int i = 0; i < M; i++) {
                        for (int j = 0; j < N; j++) {
                            double[] dot = dot(at, i, bt, j, K);
                            double expected = 0.75 * dot[0] - 0.5 * c0[i * N + j];
                            double bound = 0.75 * dot[1] + 0.5 * Math.abs(c0[i * N + j]);
                            check(got[i * N + j], expected, Tolerances.product(dtype, K, bound, expected),
                                    "gemm transA=" + ta + " transB=" + tb + " at (" + i + "," + j + ")");
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void fusedActivationIsAppliedAfterTheLastDepthSlice(DType dtype) {
        int p = 37;
        int n = 70;
        try (Backend b = new CpuBackend(BackendOptions.defaults())) {
            for (Activation act : Activation.values()) {
                try (Matrix x = b.upload(gaussian(p * K), p, K, dtype);
                     Matrix f = b.upload(gaussian(n * K), n, K, dtype);
                     Matrix out = b.allocate(p, n, dtype)) {
                    double scale = 1 / Math.sqrt(K);
                    b.featureMap(scale, x, f, act, out);
                    double[] xv = values(b, x);
                    double[] fv = values(b, f);
                    double[] got = values(b, out);
                    for (int i = 0; i < p; i++) {
                        for (int j = 0; j < n; j++) {
                            double[] dot = dot(xv, i, fv, j, K);
                            double pre = scale * dot[0];
                            double expected = act.apply(pre);
                            check(got[i * n + j], expected,
                                    Tolerances.activated(dtype, act, K, scale * dot[1], pre, expected),
                                    "featureMap " + act + " at (" + i + "," + j + ")");
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void symmetricGramsAreExactlySymmetricAcrossTaskBoundaries(DType dtype) {
        int p = 283;
        int n = N; // gramColumns: n×n crosses MC row blocks and TASK_COLS column chunks
        try (Backend b = new CpuBackend(BackendOptions.defaults());
             Matrix a = b.upload(gaussian(p * n), p, n, dtype);
             Matrix rows = b.allocate(p, p, dtype);
             Matrix cols = b.allocate(n, n, dtype)) {
            b.gramRows(1.0 / n, a, a, rows);
            b.gramColumns(1.0 / p, a, 0, cols);
            double[] av = values(b, a);
            double[] k = values(b, rows);
            double[] g = values(b, cols);
            double[] at = transpose(av, p, n);
            for (int i = 0; i < p; i++) {
                for (int j = 0; j < p; j++) {
                    assertEquals(k[i * p + j], k[j * p + i], 0.0, "gramRows symmetry at " + i + "," + j);
                    double[] dot = dot(av, i, av, j, n);
                    check(k[i * p + j], dot[0] / n, Tolerances.product(dtype, n, dot[1] / n, dot[0] / n), "gramRows");
                }
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    assertEquals(g[i * n + j], g[j * n + i], 0.0, "gramColumns symmetry at " + i + "," + j);
                }
            }
            for (int i = 0; i < n; i += 7) {
                for (int j = 0; j < n; j++) {
                    double[] dot = dot(at, i, at, j, p);
                    check(g[i * n + j], dot[0] / p, Tolerances.product(dtype, p, dot[1] / p, dot[0] / p),
                            "gramColumns");
                }
            }
            // accumulating (β = 1) reads the upper triangle and mirrors it again
            b.gramColumns(1.0 / p, a, 1, cols);
            double[] twice = values(b, cols);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    assertEquals(twice[i * n + j], twice[j * n + i], 0.0, "accumulated gramColumns symmetry at " + i + "," + j);
                    // (s·acc + G) in one rounding, where G is s·acc in one rounding: 2G to an ulp of 2G
                    double ulp = dtype == DType.F32 ? Math.ulp((float) (2 * g[i * n + j])) : Math.ulp(2 * g[i * n + j]);
                    check(twice[i * n + j], 2 * g[i * n + j], ulp, "accumulated gramColumns");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void largeResultsAreBitIdenticalForOneTwoAndThreeThreads(DType dtype) {
        double[] x = gaussian(M * K);
        double[] f = gaussian(N * K);
        double[] y = gaussian(M * 3);
        double[] y9v = gaussian(M * 9);
        double[] fSparse = gaussian(N / 3 * 301);
        double[] dense = new double[M * 301];
        for (int i = 0; i < dense.length; i++) {
            dense[i] = random.nextDouble() < 0.05 ? random.nextGaussian() : 0;
        }
        Csr csr = Csr.fromDense(dense, M, 301);
        double[] first = null;
        for (int threads : new int[] {1, 2, 3}) {
            try (Backend b = new CpuBackend(BackendOptions.defaults().withThreads(threads));
                 Matrix xm = b.upload(x, M, K, dtype);
                 Matrix fm = b.upload(f, N, K, dtype);
                 Matrix phi = b.allocate(M, N, dtype);
                 Matrix phiErf = b.allocate(M, N, dtype);
                 Matrix gram = b.allocate(M, M, dtype);
                 Matrix c = b.allocate(K, N, dtype);
                 SparseMatrix xs = b.upload(csr, dtype);
                 Matrix fs = b.upload(fSparse, N / 3, 301, dtype);
                 Matrix phiSparse = b.allocate(M, N / 3, dtype);
                 Matrix ym = b.upload(y, M, 3, dtype);
                 Matrix y1 = b.upload(Arrays.copyOf(y, M), M, 1, dtype);
                 Matrix w1 = b.allocate(N, 1, dtype);
                 Matrix w3 = b.allocate(N, 3, dtype);
                 Matrix y9 = b.upload(y9v, M, 9, dtype);
                 Matrix w9 = b.allocate(N, 9, dtype);
                 Matrix ridge = b.allocate(N, 3, dtype)) {
                b.featureMap(1 / Math.sqrt(K), xm, fm, Activation.TANH, phi);
                b.featureMap(1 / Math.sqrt(K), xm, fm, Activation.ERF, phiErf);
                b.gramRows(1, phi, phi, gram);
                b.gemm(true, false, 1, xm, phi, 0, c);
                b.featureMapSparse(0.5, xs, fs, Activation.RELU, phiSparse);
                double lambda = b.lambdaMax(phi, LambdaMaxOptions.defaults(7));
                GdResult one = b.gradientDescent(phi, y1, w1, new double[] {1 / lambda}, GdOptions.everyStep(5));
                GdResult many = b.gradientDescent(phi, ym, w3, new double[] {1 / lambda}, GdOptions.everyStep(5));
                double[] eta9 = new double[9];
                Arrays.fill(eta9, 1 / lambda);
                GdResult nine = b.gradientDescent(phi, y9, w9, eta9, GdOptions.everyStep(5)); // lanes along k
                b.ridgeSolve(phi, ym, 0.01, ridge); // P x P system, M > one Cholesky panel
                List<Double> all = new ArrayList<>();
                for (Matrix m : new Matrix[] {phi, phiErf, gram, c, phiSparse, w1, w3, w9, ridge}) {
                    for (double v : values(b, m)) {
                        all.add(v);
                    }
                }
                all.add(lambda);
                all.add(b.norm(phi));
                all.add(b.dot(phi, phi));
                for (GdResult r : new GdResult[] {one, many, nine}) {
                    for (double[] l : r.losses()) {
                        for (double v : l) {
                            all.add(v);
                        }
                    }
                }
                double[] got = all.stream().mapToDouble(Double::doubleValue).toArray();
                if (first == null) {
                    first = got;
                } else {
                    for (int i = 0; i < got.length; i++) {
                        if (Double.doubleToRawLongBits(first[i]) != Double.doubleToRawLongBits(got[i])) {
                            fail("result " + i + " differs with " + threads + " threads: " + first[i] + " vs "
                                    + got[i]);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void withoutFmaTheProductStillMatchesTheBound(DType dtype) {
        int m = 19;
        int n = 45;
        int k = 600;
        try (Backend b = new CpuBackend(BackendOptions.defaults().withFma(BackendOptions.Fma.OFF));
             Matrix a = b.upload(gaussian(m * k), m, k, dtype);
             Matrix bm = b.upload(gaussian(n * k), n, k, dtype);
             Matrix c = b.allocate(m, n, dtype)) {
            assertTrue(b.info().description().contains("FMA off"), b.info().description());
            b.gemm(false, true, 1, a, bm, 0, c);
            double[] av = values(b, a);
            double[] bv = values(b, bm);
            double[] got = values(b, c);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double[] dot = dot(av, i, bv, j, k);
                    check(got[i * n + j], dot[0], Tolerances.product(dtype, k, dot[1], dot[0]), "gemm without FMA");
                }
            }
        }
    }

    /**
     * Systems of several Cholesky panels (a partial last panel and a partial last strip), on both
     * sides (N ≤ P and P &lt; N), with more right-hand sides than one solve task takes, against the
     * reference within the suite's ridge bound.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void ridgeBeyondOneCholeskyPanelMatchesTheReference(DType dtype) {
        double ridge = 0.05;
        try (Backend b = new CpuBackend(BackendOptions.defaults());
             Backend reference = new ReferenceBackend(BackendOptions.defaults())) {
            for (int[] s : new int[][] {{400, 2 * BlockedCholesky.PANEL + 45, 11}, {263, 500, 2}}) {
                int p = s[0];
                int n = s[1];
                int k = s[2];
                double[] pv = gaussian(p * n);
                double[] yv = gaussian(p * k);
                try (Matrix phi = b.upload(pv, p, n, dtype);
                     Matrix y = b.upload(yv, p, k, dtype);
                     Matrix w = b.allocate(n, k, dtype);
                     Matrix rphi = reference.upload(values(b, phi), p, n, dtype);
                     Matrix ry = reference.upload(values(b, y), p, k, dtype);
                     Matrix rw = reference.allocate(n, k, dtype)) {
                    b.ridgeSolve(phi, y, ridge, w);
                    reference.ridgeSolve(rphi, ry, ridge, rw);
                    double[] got = values(b, w);
                    double[] expected = values(reference, rw);
                    // Lanczos converges to λ_max to ~1e-10 relative here; the margin keeps κ an upper bound.
                    double lambda = reference.lambdaMax(rphi, LambdaMaxOptions.defaults(3)) * (1 + 1e-6);
                    double diff = 0;
                    double norm = 0;
                    for (int i = 0; i < got.length; i++) {
                        diff += (got[i] - expected[i]) * (got[i] - expected[i]);
                        norm += expected[i] * expected[i];
                    }
                    double tol = Tolerances.ridge(dtype, p, n, (lambda + ridge) / ridge, Math.sqrt(norm));
                    assertTrue(Math.sqrt(diff) <= tol,
                            "ridge " + p + "x" + n + "x" + k + ": ‖ΔW‖ = " + Math.sqrt(diff) + " exceeds " + tol);
                }
            }
        }
    }

    /**
     * A duplicated column past the first panel makes ΦᵀΦ singular: without a ridge the factorisation
     * fails at that column's pivot, with the reference's message.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void ridgelessSolveFailsAtTheFirstSingularPivotBeyondThePanels(DType dtype) {
        int p = 400;
        int n = 2 * BlockedCholesky.PANEL + 45;
        int duplicate = BlockedCholesky.PANEL + 70;
        double[] data = gaussian(p * n);
        for (int i = 0; i < p; i++) {
            data[i * n + duplicate] = data[i * n + 3];
        }
        try (Backend b = new CpuBackend(BackendOptions.defaults());
             Matrix phi = b.upload(data, p, n, dtype);
             Matrix y = b.upload(gaussian(p), p, 1, dtype);
             Matrix w = b.allocate(n, 1, dtype)) {
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> b.ridgeSolve(phi, y, 0, w));
            assertTrue(e.getMessage().contains("not numerically positive definite (pivot " + duplicate + " is "),
                    e.getMessage());
        }
    }

    // ---- helpers -------------------------------------------------------------------------

    /** {Σ a[i,:]·b[j,:], Σ |a[i,:]·b[j,:]|} for row-major a and b with k columns. */
    private static double[] dot(double[] a, int i, double[] b, int j, int k) {
        double s = 0;
        double abs = 0;
        for (int l = 0; l < k; l++) {
            double x = a[i * k + l] * b[j * k + l];
            s += x;
            abs += Math.abs(x);
        }
        return new double[] {s, abs};
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

    private double[] gaussian(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextGaussian();
        }
        return v;
    }

    private static double[] values(Backend b, Matrix m) {
        double[] v = new double[Math.toIntExact(m.size())];
        b.download(m, v);
        return v;
    }

    private static void check(double got, double expected, double tolerance, String what) {
        if (!(Math.abs(got - expected) <= tolerance)) {
            fail(what + ": expected " + expected + " ± " + tolerance + " but got " + got);
        }
    }
}
