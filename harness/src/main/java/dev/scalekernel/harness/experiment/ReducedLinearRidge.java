package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.reference.Cholesky;
import dev.scalekernel.harness.model.LatentModel;

import java.util.HashMap;
import java.util.Map;

/**
 * Ridge on linear random features in the latent space: min (1/P)|Φw − y|² + r|w|² with Φ = X Bᵀ,
 * B = A/√M, needs only S = XᵀX, c = Xᵀy and the projection, never the P×N features. Everything
 * measured follows from v = Bᵀw. Both ways of solving it are ridge on a d-dimensional design X Q
 * for an M×d matrix Q, (QᵀSQ/P + r I) x = Qᵀc/P with v = Q x, whichever d is smaller:
 * <ul>
 *   <li>N ≤ M: Q = Bᵀ (x = w), with B materialized (N·M ≤ M² elements);
 *   <li>N > M: Q = L with H = BᵀB = G/M = L Lᵀ (Cholesky; H is positive definite once N ≥ M): any w
 *       is B u plus a part Φ does not see, |w|² ≥ uᵀHu = |z|² with z = Lᵀu, and v = H u = L z.
 * </ul>
 * The systems are formed with fp64 products on the backend and solved by Cholesky in double on the
 * host, as {@code ridgeSolve} does; S, c and G come from {@link LatentGrams} in the run's dtype.
 */
final class ReducedLinearRidge {

    private ReducedLinearRidge() {
    }

    /** Estimated flops: S and G by SYRK, then the smaller system (products and Cholesky). */
    static double cost(long n, long p, long m) {
        double grams = (n + p) * m * (double) m;
        return n <= m ? grams + 2.0 * n * m * m + 2.0 * n * n * m + n * (double) n * n / 3
                : grams + 4.0 * m * m * m + 2.0 * m * (double) m * m / 3;
    }

    /** Estimated flops of the materialized path: features, Gram in the smaller dimension, Cholesky. */
    static double materializedCost(long n, long p, long m) {
        long small = Math.min(n, p);
        return 2.0 * p * n * m + 2.0 * small * small * Math.max(n, p) + small * (double) small * small / 3;
    }

    static Experiment.Outcome run(Backend backend, DType dtype, LatentModel model, long seed, long dataSeed, int n, int p,
                                  int testSize, double noise, double ridge, LatentFeaturesExperiment.TrainingProbe probe) {
        int m = model.latentDim();
        try (LatentGrams.Data data = LatentGrams.data(backend, dtype, model, dataSeed, p, noise, probe);
             Matrix g = LatentGrams.projectionGram(backend, dtype, m, seed, n);
             LatentModel.Sample test = model.sample(backend, 0, testSize, dtype, dataSeed, LatentModel.STREAM_TEST, noise)) {
            double lambdaMax = LatentGrams.lambdaMax(backend, data.s(), g, m, p, seed);
            double[] v = n <= m
                    ? solveThrough(backend, data, widthBasis(backend, dtype, model, seed, n), n, p, ridge, "N x N")
                    : solveThrough(backend, data, latentBasis(LatentGrams.download(backend, g), m), m, p, ridge, "M x M");
            try (Matrix vm = backend.upload(v, m, 1, dtype)) {
                Map<String, Object> values = new HashMap<>();
                values.put("train_loss", data.trainLoss(backend, vm));
                values.put("test_loss", LatentGrams.testLoss(backend, test, vm));
                values.put("population_loss", LatentGrams.populationLoss(model, v));
                values.put("lambda_max", lambdaMax);
                values.put("reduced", true);
                values.putAll(probe.values());
                return new Experiment.Outcome(java.util.List.of(new Experiment.Row(null, values)), cost(n, p, m));
            }
        }
    }

    /** N ≤ M: Q = Bᵀ = Aᵀ/√M (M×N, row-major), from the projection's first N rows. */
    private static double[] widthBasis(Backend backend, DType dtype, LatentModel model, long seed, int n) {
        int m = model.latentDim();
        double[] a;
        try (Matrix proj = model.projection(backend, n, dtype, seed)) {
            a = LatentGrams.download(backend, proj);
        }
        double scale = 1 / Math.sqrt(m);
        double[] q = new double[m * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                q[j * n + i] = a[i * m + j] * scale;
            }
        }
        return q;
    }

    /** N > M: Q = L, the lower Cholesky factor of G/M (M×M, row-major, zero above the diagonal). */
    private static double[] latentBasis(double[] g, int m) {
        double[][] l = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                l[i][j] = g[i * m + j] / m;
            }
        }
        Cholesky.solveInPlace(l, new double[m][0], "projection Gram A^T A/M (needs N >= M)");
        double[] lower = new double[m * m];
        for (int i = 0; i < m; i++) {
            System.arraycopy(l[i], 0, lower, i * m, i + 1); // the factor is in the lower triangle; the rest is H
        }
        return lower;
    }

    /**
     * v = Q x with (QᵀSQ/P + r I) x = Qᵀc/P: ridge on the design X Q (Q M×d, row-major). QᵀSQ is two
     * fp64 products on the backend; the d×d system is solved by Cholesky in double on the host.
     */
    private static double[] solveThrough(Backend backend, LatentGrams.Data data, double[] q, int d, int p, double ridge,
                                         String size) {
        int m = data.c().length;
        double[] k;
        try (Matrix qm = backend.upload(q, m, d, DType.F64);
             Matrix s = backend.upload(LatentGrams.download(backend, data.s()), m, m, DType.F64);
             Matrix sq = backend.allocate(m, d, DType.F64);
             Matrix kernel = backend.allocate(d, d, DType.F64)) {
            backend.gemm(false, false, 1, s, qm, 0, sq);
            backend.gemm(true, false, 1.0 / p, qm, sq, 0, kernel);
            k = LatentGrams.download(backend, kernel);
        }
        double[] c = data.c();
        double[][] system = new double[d][d];
        double[][] rhs = new double[d][1];
        for (int i = 0; i < d; i++) {
            System.arraycopy(k, i * d, system[i], 0, d);
            system[i][i] += ridge;
        }
        for (int j = 0; j < m; j++) {
            for (int i = 0; i < d; i++) {
                rhs[i][0] += q[j * d + i] * c[j]; // (Qᵀc)_i
            }
        }
        for (int i = 0; i < d; i++) {
            rhs[i][0] /= p;
        }
        Cholesky.solveInPlace(system, rhs, "reduced ridge system (" + size + ")");
        double[] v = new double[m];
        for (int j = 0; j < m; j++) {
            double sum = 0;
            for (int i = 0; i < d; i++) {
                sum += q[j * d + i] * rhs[i][0];
            }
            v[j] = sum;
        }
        return v;
    }
}
