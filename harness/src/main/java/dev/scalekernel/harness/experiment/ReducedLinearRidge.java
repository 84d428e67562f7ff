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
 * measured follows from v = Bᵀw. Two equivalent systems, whichever is smaller:
 * <ul>
 *   <li>N ≤ M: (B S Bᵀ/P + r I) w = B c/P, N×N, with B materialized (N·M ≤ M² elements), v = Bᵀw;
 *   <li>N > M: with H = BᵀB = G/M = L Lᵀ (Cholesky; H is positive definite once N ≥ M), any w is
 *       B u plus a part Φ does not see, |w|² ≥ uᵀHu = |z|² with z = Lᵀu, so the problem is ridge on
 *       the M-dimensional design X L: (Lᵀ S L/P + r I) z = Lᵀ c/P, and v = H u = L z.
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
            double[] v = n <= m ? solveInWidth(backend, dtype, model, data, seed, n, p, ridge)
                    : solveInLatents(backend, data, LatentGrams.download(backend, g), m, p, ridge);
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

    /** N ≤ M: the N×N system with B = A/√M materialized; returns v = Bᵀw. */
    private static double[] solveInWidth(Backend backend, DType dtype, LatentModel model, LatentGrams.Data data, long seed,
                                         int n, int p, double ridge) {
        int m = model.latentDim();
        double[] a;
        try (Matrix proj = model.projection(backend, n, dtype, seed)) {
            a = LatentGrams.download(backend, proj);
        }
        double scale = 1 / Math.sqrt(m);
        for (int i = 0; i < a.length; i++) {
            a[i] *= scale;
        }
        double[] k;
        try (Matrix b = backend.upload(a, n, m, DType.F64);
             Matrix s = widened(backend, data.s());
             Matrix bs = backend.allocate(n, m, DType.F64);
             Matrix kernel = backend.allocate(n, n, DType.F64)) {
            backend.gemm(false, false, 1, b, s, 0, bs);
            backend.gemm(false, true, 1.0 / p, bs, b, 0, kernel);
            k = LatentGrams.download(backend, kernel);
        }
        double[][] system = new double[n][n];
        double[][] rhs = new double[n][1];
        double[] c = data.c();
        for (int i = 0; i < n; i++) {
            System.arraycopy(k, i * n, system[i], 0, n);
            system[i][i] += ridge;
            double sum = 0;
            for (int j = 0; j < m; j++) {
                sum += a[i * m + j] * c[j];
            }
            rhs[i][0] = sum / p;
        }
        Cholesky.solveInPlace(system, rhs, "reduced ridge system (N x N)");
        double[] v = new double[m];
        for (int i = 0; i < n; i++) {
            double w = rhs[i][0];
            for (int j = 0; j < m; j++) {
                v[j] += a[i * m + j] * w;
            }
        }
        return v;
    }

    /** N > M: the M×M system in z = Lᵀu with H = G/M = L Lᵀ; returns v = L z. */
    private static double[] solveInLatents(Backend backend, LatentGrams.Data data, double[] g, int m, int p, double ridge) {
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
        double[] k;
        try (Matrix lm = backend.upload(lower, m, m, DType.F64);
             Matrix s = widened(backend, data.s());
             Matrix sl = backend.allocate(m, m, DType.F64);
             Matrix kernel = backend.allocate(m, m, DType.F64)) {
            backend.gemm(false, false, 1, s, lm, 0, sl);
            backend.gemm(true, false, 1.0 / p, lm, sl, 0, kernel);
            k = LatentGrams.download(backend, kernel);
        }
        double[][] system = new double[m][m];
        double[][] rhs = new double[m][1];
        double[] c = data.c();
        for (int i = 0; i < m; i++) {
            System.arraycopy(k, i * m, system[i], 0, m);
            system[i][i] += ridge;
            double sum = 0;
            for (int j = i; j < m; j++) {
                sum += lower[j * m + i] * c[j]; // (Lᵀc)_i
            }
            rhs[i][0] = sum / p;
        }
        Cholesky.solveInPlace(system, rhs, "reduced ridge system (M x M)");
        double[] v = new double[m];
        for (int i = 0; i < m; i++) {
            double sum = 0;
            for (int j = 0; j <= i; j++) {
                sum += lower[i * m + j] * rhs[j][0];
            }
            v[i] = sum;
        }
        return v;
    }

    /** An fp64 copy of a matrix (the same values when it already is fp64). */
    private static Matrix widened(Backend backend, Matrix from) {
        return backend.upload(LatentGrams.download(backend, from), from.rows(), from.cols(), DType.F64);
    }
}
