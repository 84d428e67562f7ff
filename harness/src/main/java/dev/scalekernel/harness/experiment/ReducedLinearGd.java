package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.harness.model.LatentModel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Full-batch GD on linear random features without ever forming the P×N feature matrix, so memory
 * does not grow with N or P (the "reduced" path). With Φ = X Aᵀ/√M and w₀ = 0 the weights stay in the
 * range of A: w = A u/√M, and with S = XᵀX, G = AᵀA (both M×M) and c = Xᵀy one GD step is
 * <pre>  u ← u − (η/P)(S G u/M − c),  i.e.  [u; 1] ← T [u; 1],  T = I − (η/P)·[[S G/M, −c], [0, 0]]</pre>
 * one (M+1)² matrix–vector product per step, independent of N and P. S, c and G are accumulated tile
 * by tile (X Aᵀ never exists): each tile of X or A is drawn from the same Philox positions as the
 * materialized path, added with a GEMM (β = 1) and dropped. Everything the experiment measures
 * follows from v = G u/M = Aᵀw/√M: train loss (vᵀSv − 2vᵀc + yᵀy)/P, population loss
 * Σ_k λ_k (v_k − w*_k)², test loss from X_test v, and λ_max(ΦᵀΦ/P) = λ_max(S G)/(M P), found by
 * power iteration in the G inner product (S G is self-adjoint there).
 */
final class ReducedLinearGd {

    /** Rows per tile: 2^22 elements (16 MiB in fp32) bound the working memory whatever N and P are. */
    static final long TILE_ELEMENTS = 1L << 22;

    private ReducedLinearGd() {
    }

    /** Estimated flops of the reduced path, for choosing it. */
    static double cost(long n, long p, long m, long steps) {
        return 2.0 * (n + p) * m * m + 2.0 * m * m * m + 2.0 * steps * (m + 1) * (m + 1);
    }

    /** Estimated flops of the materialized path (features, then full-batch GD). */
    static double materializedCost(long n, long p, long m, long steps) {
        return 2.0 * p * n * m + 4.0 * steps * p * n;
    }

    static Experiment.Outcome run(Backend backend, DType dtype, LatentModel model, long seed, long dataSeed, int n, int p,
                                  int testSize, double noise, double etaFixed, double etaRel, long[] recordAt) {
        int m = model.latentDim();
        int tile = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TILE_ELEMENTS / m));
        double[] lambda = model.spectrum();
        double[] teacher = model.teacher();
        double flops = cost(n, p, m, 0);
        try (Matrix s = backend.allocate(m, m, dtype);
             Matrix c = backend.allocate(m, 1, dtype);
             Matrix g = backend.allocate(m, m, dtype);
             LatentModel.Sample test = model.sample(backend, 0, testSize, dtype, dataSeed, LatentModel.STREAM_TEST, noise);
             Matrix testPrediction = backend.allocate(testSize, 1, dtype)) {
            double yy = 0;
            for (long first = 0; first < p; first += tile) {
                int rows = (int) Math.min(tile, p - first);
                try (LatentModel.Sample part = model.sample(backend, first, rows, dtype, dataSeed, LatentModel.STREAM_TRAIN, noise)) {
                    Matrix x = part.denseInputs();
                    backend.gemm(true, false, 1, x, x, 1, s);
                    backend.gemv(true, 1, x, part.targets(), 1, c);
                    yy += backend.dot(part.targets(), part.targets());
                }
            }
            for (long first = 0; first < n; first += tile) {
                int rows = (int) Math.min(tile, n - first);
                try (Matrix a = backend.allocate(rows, m, dtype)) {
                    backend.fillGaussian(a, new RandomStream(seed, LatentModel.STREAM_PROJECTION, first * m), 0, 1);
                    backend.gemm(true, false, 1, a, a, 1, g);
                }
            }
            double lambdaMax = lambdaMax(backend, s, g, m, p, seed);
            double eta = etaFixed > 0 ? etaFixed : etaRel / lambdaMax;
            double[] gHost = new double[m * m];
            double[] cHost = new double[m];
            backend.download(g, gHost);
            backend.download(c, cHost);
            try (Matrix step = iterationMatrix(backend, dtype, s, g, cHost, m, p, eta);
                 Matrix toV = upload(backend, dtype, gToV(gHost, m), m, m + 1);
                 Matrix uA = upload(backend, dtype, unit(m), m + 1, 1);
                 Matrix uB = backend.allocate(m + 1, 1, dtype);
                 Matrix v = backend.allocate(m, 1, dtype);
                 Matrix sv = backend.allocate(m, 1, dtype)) {
                Matrix current = uA;
                Matrix next = uB;
                List<Experiment.Row> rows = new ArrayList<>();
                long done = 0;
                long divergedStep = -1;
                double initial = Double.NaN;
                for (long at : recordAt) {
                    for (; done < at && divergedStep < 0; done++) {
                        backend.gemv(false, 1, step, current, 0, next);
                        Matrix t = current;
                        current = next;
                        next = t;
                        // Overflow is caught at the step it happens; growth past the divergence factor at the next record.
                        if (!Double.isFinite(backend.norm(current))) {
                            divergedStep = done + 1;
                        }
                    }
                    Map<String, Object> values = new HashMap<>();
                    if (divergedStep < 0) {
                        backend.gemv(false, 1, toV, current, 0, v);
                        backend.gemv(false, 1, s, v, 0, sv);
                        double[] vh = new double[m];
                        double[] svh = new double[m];
                        backend.download(v, vh);
                        backend.download(sv, svh);
                        double vSv = 0;
                        double vc = 0;
                        double population = 0;
                        for (int k = 0; k < m; k++) {
                            vSv += vh[k] * svh[k];
                            vc += vh[k] * cHost[k];
                            double d = vh[k] - teacher[k];
                            population += lambda[k] * d * d;
                        }
                        double train = (vSv - 2 * vc + yy) / p;
                        backend.gemv(false, 1, test.denseInputs(), v, 0, testPrediction);
                        double testLoss = backend.meanSquaredError(testPrediction, test.targets())[0];
                        if (at == 0) {
                            initial = train;
                        } else if (!Double.isFinite(train) || train > GdOptions.DEFAULT_DIVERGENCE_FACTOR * initial) {
                            divergedStep = at;
                        }
                        values.put("train_loss", train);
                        values.put("test_loss", testLoss);
                        values.put("population_loss", population);
                    }
                    if (divergedStep >= 0) {
                        values.put("train_loss", Double.NaN);
                        values.put("test_loss", Double.NaN);
                        values.put("population_loss", Double.NaN);
                    }
                    values.put("lambda_max", lambdaMax);
                    values.put("eta_used", eta);
                    values.put("diverged", divergedStep >= 0);
                    values.put("diverged_step", divergedStep >= 0 ? divergedStep : null);
                    values.put("reduced", true);
                    rows.add(new Experiment.Row(at, values));
                }
                flops += 2.0 * recordAt[recordAt.length - 1] * (m + 1) * (m + 1);
                return new Experiment.Outcome(rows, flops);
            }
        }
    }

    /** λ_max(S G)/(M P) by power iteration; S G is self-adjoint in ⟨x, y⟩_G = xᵀ G y, so the G-Rayleigh quotient converges fast. */
    static double lambdaMax(Backend backend, Matrix s, Matrix g, int m, long p, long seed) {
        DType dtype = s.dtype();
        try (Matrix x = backend.allocate(m, 1, dtype);
             Matrix gx = backend.allocate(m, 1, dtype);
             Matrix sgx = backend.allocate(m, 1, dtype)) {
            backend.fillGaussian(x, RandomStream.of(seed, LambdaMaxOptions.START_STREAM), 0, 1);
            double previous = Double.NaN;
            double estimate = 0;
            Matrix current = x;
            Matrix next = sgx;
            for (int iter = 0; iter < 2000; iter++) {
                backend.gemv(false, 1, g, current, 0, gx);
                backend.gemv(false, 1, s, gx, 0, next);
                double den = backend.dot(current, gx);
                estimate = den > 0 ? backend.dot(gx, next) / den / ((double) m * p) : 0;
                double norm = backend.norm(next);
                if (!(norm > 0) || Math.abs(estimate - previous) <= 1e-10 * estimate) {
                    break;
                }
                previous = estimate;
                backend.scaleColumns(next, new double[] {1 / norm}); // x ← S G x / |S G x|
                Matrix t = current;
                current = next;
                next = t;
            }
            return estimate;
        }
    }

    /** T = I − (η/P)·[[S G/M, −c], [0, 0]], (M+1)×(M+1), assembled on the host once. */
    private static Matrix iterationMatrix(Backend backend, DType dtype, Matrix s, Matrix g, double[] c, int m, long p, double eta) {
        double[] sg = new double[m * m];
        try (Matrix product = backend.allocate(m, m, dtype)) {
            backend.gemm(false, false, 1.0 / m, s, g, 0, product);
            backend.download(product, sg);
        }
        int d = m + 1;
        double[] t = new double[d * d];
        double f = eta / p;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                t[i * d + j] = (i == j ? 1 : 0) - f * sg[i * m + j];
            }
            t[i * d + m] = f * c[i];
        }
        t[m * d + m] = 1;
        return upload(backend, dtype, t, d, d);
    }

    /** [G/M | 0] (M×(M+1)): v = G u/M from [u; 1]. */
    private static double[] gToV(double[] g, int m) {
        double[] out = new double[m * (m + 1)];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                out[i * (m + 1) + j] = g[i * m + j] / m;
            }
        }
        return out;
    }

    private static double[] unit(int m) {
        double[] u = new double[m + 1];
        u[m] = 1;
        return u;
    }

    private static Matrix upload(Backend backend, DType dtype, double[] data, int rows, int cols) {
        return backend.upload(data, rows, cols, dtype);
    }
}
