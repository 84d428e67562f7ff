package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.GdResult;
import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.harness.model.PowerLawGaussian;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.theory.DeterministicEquivalent;
import dev.scalekernel.harness.sweep.Point;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Random features on power-law Gaussian data ({@link PowerLawGaussian}), trained by ridge or by
 * full-batch gradient descent from w = 0, with train, held-out test and (for linear features) exact
 * population losses, and for ridge on linear features the deterministic-equivalent prediction of the
 * population loss beside them. Gradient descent runs in segments between log-spaced record steps so that the
 * test and population losses are measured along the trajectory, not only at its end.
 */
public final class RandomFeaturesExperiment implements Experiment {

    private static final List<Param> PARAMS = List.of(
            Param.integer("M", 128, 1, "latent dimension"),
            Param.real("a", 2.0, Math.nextUp(1.0), Double.POSITIVE_INFINITY, "task exponent: lambda_k w*_k^2 = k^-a"),
            Param.real("b", 1.5, Double.MIN_VALUE, Double.POSITIVE_INFINITY, "spectrum exponent: lambda_k = k^-b"),
            Param.choice("activation", "identity", Arrays.stream(Activation.values()).map(Activation::toString).toList(),
                    "feature activation sigma"),
            Param.integer("N", 128, 1, "width: number of random features"),
            Param.integer("P", 256, 1, "training samples"),
            Param.integer("test", 1000, 1, "held-out samples for the test loss"),
            Param.choice("trainer", "ridge", List.of("ridge", "gd"), "ridge regression, or full-batch gradient descent from w = 0"),
            Param.real("ridge", 1e-4, 0, Double.POSITIVE_INFINITY, "ridge: minimise (1/P)|Phi w - y|^2 + ridge |w|^2"),
            Param.longValue("steps", 1000, 0, "gradient-descent steps"),
            Param.real("eta_rel", 1.0, Double.MIN_VALUE, Double.POSITIVE_INFINITY,
                    "learning rate in units of 1/lambda_max(Phi^T Phi/P); GD diverges above 2"),
            Param.integer("records_per_decade", 4, 1, "log-spaced GD steps recorded per decade"));

    private static final List<Measurement> MEASUREMENTS = List.of(
            Measurement.real("train_loss", "(1/P)|Phi w - y|^2"),
            Measurement.real("test_loss", "mean squared error on the held-out samples"),
            Measurement.real("population_loss", "exact sum_k lambda_k (A^T w/sqrt(M) - w*)_k^2 (linear features only)"),
            Measurement.real("theory_loss", "deterministic-equivalent population loss (ridge, linear features)"),
            Measurement.real("lambda_max", "lambda_max(Phi^T Phi / P)"),
            Measurement.real("eta", "the learning rate used (GD)"),
            Measurement.flag("diverged", "GD diverged at or before this step"),
            Measurement.integer("diverged_step", "the step at which GD diverged"));

    @Override
    public String id() {
        return "random_features";
    }

    @Override
    public String description() {
        return "random features on power-law Gaussian data, trained by ridge or gradient descent";
    }

    @Override
    public List<Param> params() {
        return PARAMS;
    }

    @Override
    public List<Measurement> measurements() {
        return MEASUREMENTS;
    }

    @Override
    public Outcome run(Backend backend, DType dtype, Point point) {
        int m = point.intValue("M");
        int n = point.intValue("N");
        int p = point.intValue("P");
        int testSize = point.intValue("test");
        Activation activation = Activation.parse(point.stringValue("activation"));
        boolean linear = activation == Activation.IDENTITY;
        PowerLawGaussian model = new PowerLawGaussian(m, point.doubleValue("a"), point.doubleValue("b"));
        long seed = point.seed();
        try (Matrix x = model.sampleLatents(backend, p, dtype, seed, PowerLawGaussian.STREAM_TRAIN);
             Matrix y = model.targets(backend, x);
             Matrix testX = model.sampleLatents(backend, testSize, dtype, seed, PowerLawGaussian.STREAM_TEST);
             Matrix testY = model.targets(backend, testX);
             Matrix proj = model.projection(backend, n, dtype, seed);
             Matrix phi = model.features(backend, x, proj, activation);
             Matrix testPhi = model.features(backend, testX, proj, activation);
             Matrix w = backend.allocate(n, 1, dtype);
             Matrix trainPrediction = backend.allocate(p, 1, dtype);
             Matrix testPrediction = backend.allocate(testSize, 1, dtype)) {
            double lambdaMax = backend.lambdaMax(phi, LambdaMaxOptions.defaults(seed));
            double flops = 2.0 * m * n * (p + testSize) + 4.0 * p * n * 50;
            Losses losses = new Losses(backend, model, proj, phi, y, testPhi, testY, w, trainPrediction, testPrediction, linear);
            List<Row> rows = new ArrayList<>();
            if (point.stringValue("trainer").equals("ridge")) {
                backend.ridgeSolve(phi, y, point.doubleValue("ridge"), w);
                int small = Math.min(n, p);
                flops += 2.0 * small * small * Math.max(n, p) + small * (double) small * small / 3;
                Map<String, Object> values = losses.measure(null);
                values.put("lambda_max", lambdaMax);
                if (linear) {
                    // Our features are A x/√M, the theory's F x/√N: the same ridge path with λ = ridge·M/N.
                    values.put("theory_loss", new DeterministicEquivalent(model.spectrum(), model.teacher())
                            .predict(n, p, point.doubleValue("ridge") * m / n, 0).oneDraw());
                }
                rows.add(new Row(null, values));
            } else {
                double eta = point.doubleValue("eta_rel") / lambdaMax;
                long[] at = GdOptions.logSpaced(point.longValue("steps"), point.intValue("records_per_decade")).recordAt();
                long divergedStep = -1;
                long done = 0;
                for (long step : at) {
                    double trainLoss;
                    if (divergedStep < 0 && step > done) {
                        GdResult segment = backend.gradientDescent(phi, y, w, new double[] {eta},
                                new GdOptions(step - done, new long[] {step - done}, GdOptions.DEFAULT_DIVERGENCE_FACTOR));
                        flops += 4.0 * p * n * (step - done);
                        if (segment.diverged(0)) {
                            divergedStep = done + segment.divergedStep()[0];
                        }
                        trainLoss = segment.finalLoss(0);
                        done = step;
                    } else {
                        trainLoss = divergedStep >= 0 ? Double.NaN : losses.train();
                    }
                    Map<String, Object> values = divergedStep >= 0 ? losses.nan() : losses.measure(trainLoss);
                    values.put("lambda_max", lambdaMax);
                    values.put("eta", eta);
                    values.put("diverged", divergedStep >= 0);
                    values.put("diverged_step", divergedStep >= 0 ? divergedStep : null);
                    rows.add(new Row(step, values));
                    flops += 2.0 * testSize * n;
                }
            }
            return new Outcome(rows, flops);
        }
    }

    /** The three losses of the current weights. */
    private record Losses(Backend backend, PowerLawGaussian model, Matrix proj, Matrix phi, Matrix y, Matrix testPhi,
                          Matrix testY, Matrix w, Matrix trainPrediction, Matrix testPrediction, boolean linear) {

        double train() {
            backend.gemv(false, 1, phi, w, 0, trainPrediction);
            return backend.meanSquaredError(trainPrediction, y)[0];
        }

        /** @param trainLoss the train loss when already known (from GD), else null */
        Map<String, Object> measure(Double trainLoss) {
            Map<String, Object> values = new HashMap<>();
            values.put("train_loss", trainLoss != null ? trainLoss : train());
            backend.gemv(false, 1, testPhi, w, 0, testPrediction);
            values.put("test_loss", backend.meanSquaredError(testPrediction, testY)[0]);
            values.put("population_loss", linear ? model.populationLoss(backend, proj, w) : null);
            return values;
        }

        Map<String, Object> nan() {
            Map<String, Object> values = new HashMap<>();
            values.put("train_loss", Double.NaN);
            values.put("test_loss", Double.NaN);
            values.put("population_loss", linear ? Double.NaN : null);
            return values;
        }
    }
}
