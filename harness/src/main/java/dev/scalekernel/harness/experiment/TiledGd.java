package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Activation;
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
import java.util.function.DoubleUnaryOperator;

/**
 * Full-batch GD on any features without storing the P×N feature matrix (path tiled): every step
 * regenerates Φ one row tile at a time (the tile's latents from the Philox stream, then the
 * backend's feature map), uses the tile for both the residual r = Φ_t w − y_t and the gradient
 * Φ_tᵀ r, and drops it. One pass over Φ per step; memory O(N·M + tile·(N + M) + test·N), never
 * O(P·N). λ_max(ΦᵀΦ/P) comes from a power iteration whose every product is such a pass. The
 * iterates, losses and divergence rules are those of {@code Backend.gradientDescent} from w = 0.
 */
final class TiledGd {

    private TiledGd() {
    }

    /** Estimated flops: the passes of the power iteration (about 30) and of the steps, each a feature map and two products. */
    static double cost(long n, long p, long m, long steps) {
        return (steps + 1 + 30) * (2.0 * p * n * m + 4.0 * p * n);
    }

    static Experiment.Outcome run(Backend backend, DType dtype, LatentModel model, Activation activation, long seed,
                                  long dataSeed, int n, int p, int testSize, double noise, DoubleUnaryOperator learningRate,
                                  long[] recordAt, LatentFeaturesExperiment.TrainingProbe probe) {
        Passes passes = new Passes(backend, dtype, model, activation, dataSeed, p, noise);
        try (Matrix proj = model.projection(backend, n, dtype, seed);
             LatentModel.Sample test = model.sample(backend, 0, testSize, dtype, dataSeed, LatentModel.STREAM_TEST, noise);
             Matrix testPhi = test.features(proj, activation);
             Matrix w = backend.allocate(n, 1, dtype);
             Matrix grad = backend.allocate(n, 1, dtype);
             Matrix one = backend.upload(new double[] {1}, 1, 1, dtype)) {
            double lambdaMax = passes.lambdaMax(proj, seed, probe);
            double eta = learningRate.applyAsDouble(lambdaMax);
            boolean linear = activation == Activation.IDENTITY;
            Map<String, Object> common = new HashMap<>(probe.values());
            common.put("lambda_max", lambdaMax);
            common.put("eta_used", eta);
            common.put("reduced", false);
            long last = recordAt[recordAt.length - 1];
            List<Experiment.Row> rows = new ArrayList<>();
            double initial = Double.NaN;
            long divergedStep = -1;
            int next = 0;
            for (long t = 0; t <= last && next < recordAt.length; t++) {
                double loss = divergedStep < 0 ? passes.lossAndGradient(proj, w, t < last ? grad : null) : Double.NaN;
                if (t == 0) {
                    initial = loss;
                }
                if (divergedStep < 0 && (!Double.isFinite(loss) || loss > GdOptions.DEFAULT_DIVERGENCE_FACTOR * initial)) {
                    divergedStep = t;
                }
                if (t == recordAt[next]) {
                    Map<String, Object> values = new HashMap<>(common);
                    boolean diverged = divergedStep >= 0;
                    values.put("train_loss", diverged ? Double.NaN : loss);
                    values.put("test_loss", diverged ? Double.NaN
                            : LatentGrams.meanSquaredError(backend, testPhi, w, test.targets()));
                    values.put("population_loss", !linear ? null : diverged ? Double.NaN : model.populationLoss(backend, proj, w));
                    values.put("diverged", diverged);
                    values.put("diverged_step", diverged ? divergedStep : null);
                    rows.add(new Experiment.Row(t, values));
                    next++;
                }
                if (divergedStep < 0 && t < last) {
                    backend.gemm(false, false, -eta / p, grad, one, 1, w); // w ← w − (η/P)·Φᵀ(Φw − y)
                }
            }
            return new Experiment.Outcome(rows, cost(n, p, model.latentDim(), last));
        }
    }

    /** Passes over the training features, one generated row tile at a time. */
    private record Passes(Backend backend, DType dtype, LatentModel model, Activation activation, long dataSeed, int p,
                          double noise) {

        /** Rows per tile, so that a tile of Φ (N wide) and of X (M wide) each hold at most {@link LatentGrams#TILE_ELEMENTS}. */
        long tileRows(int n) {
            return Math.max(1, LatentGrams.TILE_ELEMENTS / Math.max(n, model.latentDim()));
        }

        /** (1/P)|Φw − y|² and, unless grad is null, grad ← Φᵀ(Φw − y), in one pass. */
        double lossAndGradient(Matrix proj, Matrix w, Matrix grad) {
            long tile = tileRows(proj.rows());
            double sum = 0;
            for (long first = 0; first < p; first += tile) {
                try (LatentModel.Sample part = model.sample(backend, first, (int) Math.min(tile, p - first), dtype, dataSeed,
                        LatentModel.STREAM_TRAIN, noise);
                     Matrix phi = part.features(proj, activation)) {
                    Matrix r = part.targets();
                    backend.gemv(false, 1, phi, w, -1, r); // r = Φ_t w − y_t
                    sum += backend.dot(r, r);
                    if (grad != null) {
                        backend.gemv(true, 1, phi, r, first == 0 ? 0 : 1, grad);
                    }
                }
            }
            return sum / p;
        }

        /**
         * λ_max(ΦᵀΦ/P) by power iteration, each product v ↦ Σ_t Φ_tᵀ(Φ_t v) one pass; the first pass
         * also shows every training tile to the probe.
         */
        double lambdaMax(Matrix proj, long seed, LatentFeaturesExperiment.TrainingProbe probe) {
            int n = proj.rows();
            long tile = tileRows(n);
            double tolerance = LatentGrams.powerTolerance(dtype);
            try (Matrix v = backend.allocate(n, 1, dtype);
                 Matrix u = backend.allocate(n, 1, dtype)) {
                backend.fillGaussian(v, RandomStream.of(seed, LambdaMaxOptions.START_STREAM), 0, 1);
                backend.scaleColumns(v, new double[] {1 / backend.norm(v)});
                double previous = Double.NaN;
                double estimate = 0;
                Matrix current = v;
                Matrix next = u;
                for (int iter = 0; iter < 500; iter++) {
                    for (long first = 0; first < p; first += tile) {
                        int rows = (int) Math.min(tile, p - first);
                        try (LatentModel.Sample part = model.sample(backend, first, rows, dtype, dataSeed, LatentModel.STREAM_TRAIN, noise);
                             Matrix phi = part.features(proj, activation);
                             Matrix q = backend.allocate(rows, 1, dtype)) {
                            if (iter == 0) {
                                probe.accept(part);
                            }
                            backend.gemv(false, 1, phi, current, 0, q);
                            backend.gemv(true, 1, phi, q, first == 0 ? 0 : 1, next);
                        }
                    }
                    estimate = backend.dot(current, next) / p; // Rayleigh quotient of the unit vector
                    double norm = backend.norm(next);
                    if (!(norm > 0) || Math.abs(estimate - previous) <= tolerance * estimate) {
                        break;
                    }
                    previous = estimate;
                    backend.scaleColumns(next, new double[] {1 / norm});
                    Matrix t = current;
                    current = next;
                    next = t;
                }
                return estimate;
            }
        }
    }
}
