package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.harness.model.LatentModel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * One-pass SGD on linear random features in the latent space. With Φ_b = X_b Aᵀ/√M for a fresh
 * batch X_b (B×M) and v = Aᵀw/√M, the step w ← w − (η/B) Φ_bᵀ(Φ_b w − y_b) becomes
 * <pre>  r = X_b v − y_b,   v ← v − (η/(B M)) G X_bᵀ r</pre>
 * with G = AᵀA: 4·B·M + 2·M² flops per step, independent of N; memory O(M²). The learning rate is
 * relative to λ_max of the held-out features' second moment, λ_max(S_test G)/(M T) with
 * S_test = X_testᵀX_test, as on the materialized path.
 */
final class ReducedLinearSgd {

    private ReducedLinearSgd() {
    }

    /** Estimated flops: G and S_test by SYRK, then the steps. */
    static double cost(long n, long testSize, long m, long steps, long batch) {
        return (n + testSize) * m * (double) m + steps * (4.0 * batch * m + 2.0 * m * m);
    }

    /** Estimated flops of the materialized path: test features, then per step the batch's features and the step. */
    static double materializedCost(long n, long testSize, long m, long steps, long batch) {
        return 2.0 * m * n * testSize + steps * (2.0 * batch * n * m + 4.0 * batch * n);
    }

    /** @param learningRate η from λ_max */
    static Experiment.Outcome run(Backend backend, DType dtype, LatentModel model, long seed, long dataSeed, int n, int batch,
                                  int testSize, double noise, long[] recordAt, DoubleUnaryOperator learningRate) {
        int m = model.latentDim();
        try (Matrix g = LatentGrams.projectionGram(backend, dtype, m, seed, n);
             LatentModel.Sample test = model.sample(backend, 0, testSize, dtype, dataSeed, LatentModel.STREAM_TEST, noise);
             Matrix testGram = backend.allocate(m, m, dtype);
             Matrix v = backend.allocate(m, 1, dtype);
             Matrix q = backend.allocate(m, 1, dtype)) {
            backend.gramColumns(1, test.denseInputs(), 0, testGram);
            double lambdaMax = LatentGrams.lambdaMax(backend, testGram, g, m, testSize, seed);
            double eta = learningRate.applyAsDouble(lambdaMax);
            Map<String, Object> common = new HashMap<>(Map.of("lambda_max", lambdaMax, "eta_used", eta, "reduced", true));
            common.put("sgd_kernel_norm", LatentFeaturesExperiment.sgdKernelNorm(model, LatentGrams.download(backend, g), eta, batch));
            List<Experiment.Row> rows = new ArrayList<>();
            double initial = Double.NaN;
            double batchLoss = Double.NaN;
            long divergedStep = -1;
            long done = 0;
            for (long step : recordAt) {
                for (; done < step && divergedStep < 0; done++) {
                    try (LatentModel.Sample fresh = model.sample(backend, done * batch, batch, dtype, dataSeed,
                            LatentModel.STREAM_TRAIN, noise)) {
                        Matrix x = fresh.denseInputs();
                        Matrix r = fresh.targets();
                        backend.gemv(false, 1, x, v, -1, r); // r = X_b v − y_b
                        batchLoss = backend.dot(r, r) / batch;
                        if (!Double.isFinite(batchLoss)) {
                            divergedStep = done;
                        }
                        backend.gemv(true, 1, x, r, 0, q);
                        backend.gemv(false, -eta / ((double) batch * m), g, q, 1, v);
                    }
                }
                Map<String, Object> values = new HashMap<>();
                double testLoss = LatentGrams.testLoss(backend, test, v);
                if (step == 0) {
                    initial = testLoss;
                } else if (divergedStep < 0 && (!Double.isFinite(testLoss) || testLoss > GdOptions.DEFAULT_DIVERGENCE_FACTOR * initial)) {
                    divergedStep = step;
                }
                boolean diverged = divergedStep >= 0;
                values.put("train_loss", diverged ? Double.NaN : batchLoss);
                values.put("test_loss", diverged ? Double.NaN : testLoss);
                values.put("population_loss", diverged ? Double.NaN : LatentGrams.populationLoss(model, LatentGrams.download(backend, v)));
                values.putAll(common);
                values.put("diverged", diverged);
                values.put("diverged_step", diverged ? divergedStep : null);
                rows.add(new Experiment.Row(step, values));
            }
            return new Experiment.Outcome(rows, cost(n, testSize, m, recordAt[recordAt.length - 1], batch));
        }
    }
}
