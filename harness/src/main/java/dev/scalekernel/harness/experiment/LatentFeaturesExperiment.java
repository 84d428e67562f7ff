package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.GdResult;
import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.harness.model.LatentModel;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.sweep.Point;
import dev.scalekernel.harness.theory.DeterministicEquivalent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/**
 * Random features σ(A x/√M) of a {@link LatentModel}'s inputs, trained by ridge or by full-batch
 * gradient descent from w = 0, measured by train, held-out test and (for linear features) exact
 * population losses, with the deterministic-equivalent prediction beside ridge on linear features.
 * Gradient descent runs in segments between log-spaced record steps, so the test and population
 * losses are measured along the trajectory, not only at its end. Subclasses supply the model.
 */
abstract class LatentFeaturesExperiment implements Experiment {

    /** Bytes of P×N features above which auto GD on nonlinear features regenerates them by tiles. */
    static final long MATERIALIZED_LIMIT = 2L << 30;

    private static final List<Param> TRAINING = List.of(
            Param.choice("activation", "identity", Arrays.stream(Activation.values()).map(Activation::toString).toList(),
                    "feature activation sigma"),
            Param.integer("N", 128, 1, "width: number of random features"),
            Param.integer("P", 256, 1, "training samples"),
            Param.integer("test", 1000, 1, "held-out samples for the test loss"),
            Param.real("noise", 0, 0, Double.POSITIVE_INFINITY, "label-noise standard deviation (train and test targets)"),
            Param.choice("trainer", "ridge", List.of("ridge", "gd", "sgd"),
                    "ridge regression; full-batch gradient descent from w = 0 on the P samples; or one-pass SGD on fresh batches"),
            Param.integer("batch", 32, 1, "fresh samples per one-pass SGD step (sgd; P is then unused)"),
            Param.real("ridge", 1e-4, 0, Double.POSITIVE_INFINITY, "ridge: minimise (1/P)|Phi w - y|^2 + ridge |w|^2"),
            Param.longValue("steps", 1000, 0, "gradient-descent steps"),
            Param.real("eta_rel", 1.0, Double.MIN_VALUE, Double.POSITIVE_INFINITY,
                    "learning rate in units of 1/lambda_max(Phi^T Phi/P); GD diverges above 2"),
            Param.real("eta", 0, 0, Double.POSITIVE_INFINITY,
                    "fixed learning rate for every draw (instability studies); 0 = use eta_rel"),
            Param.longValue("data_seed", -1, -1,
                    "seed of the training and test data; -1 = the point's seed (fix it to vary only the features)"),
            Param.integer("records_per_decade", 4, 1, "log-spaced GD steps recorded per decade"),
            Param.choice("path", "auto", List.of("auto", "materialized", "reduced", "tiled"),
                    "materialized: form the P x N features; reduced (linear features, any trainer): work in the M-dim"
                            + " latent space, memory O(M^2) whatever N and P; tiled (gd, any features): regenerate the"
                            + " features tile by tile every step, memory O(N M); auto: reduced when cheaper, tiled when the"
                            + " features would not fit in " + (MATERIALIZED_LIMIT >> 30) + " GiB"));

    private static final List<Measurement> LOSSES = List.of(
            Measurement.real("train_loss", "(1/P)|Phi w - y|^2"),
            Measurement.real("test_loss", "mean squared error on the held-out samples"),
            Measurement.real("population_loss", "exact sum_k lambda_k (A^T w/sqrt(M) - w*)_k^2 (linear features only)"),
            Measurement.real("theory_loss", "deterministic-equivalent population loss (ridge, linear features)"),
            Measurement.real("lambda_max", "lambda_max(Phi^T Phi / P)"),
            Measurement.real("eta_used", "the learning rate used (GD)"),
            Measurement.flag("diverged", "GD diverged at or before this step"),
            Measurement.integer("diverged_step", "the step at which GD diverged"),
            Measurement.flag("reduced", "trained in the latent space (path reduced)"),
            Measurement.real("sgd_kernel_norm",
                    "one-pass SGD: the expected loss stays bounded iff < 1 (Gaussian features; sgd with linear features)"));

    /** The model's own parameters (they come first in specs and results). */
    abstract List<Param> modelParams();

    abstract LatentModel model(Point point);

    /** Measurements particular to the model, after the common ones. */
    List<Measurement> modelMeasurements() {
        return List.of();
    }

    /**
     * Values of {@link #modelMeasurements()} for one point, accumulated over its training set: the
     * materialized path shows it the whole set, the reduced path one tile at a time.
     */
    interface TrainingProbe {
        void accept(LatentModel.Sample tile);

        Map<String, Object> values();
    }

    /** The probe of {@link #modelMeasurements()} for a training set of {@code samples} samples. */
    TrainingProbe trainingProbe(LatentModel model, int samples) {
        return new TrainingProbe() {
            @Override
            public void accept(LatentModel.Sample tile) {
            }

            @Override
            public Map<String, Object> values() {
                return Map.of();
            }
        };
    }

    @Override
    public final List<Param> params() {
        return Stream.concat(modelParams().stream(), TRAINING.stream()).toList();
    }

    @Override
    public final List<Measurement> measurements() {
        return Stream.concat(LOSSES.stream(), modelMeasurements().stream()).toList();
    }

    @Override
    public void validate(dev.scalekernel.harness.spec.ResolvedSpec spec) {
        for (Point point : spec.points()) {
            if (point.stringValue("path").equals("tiled") && !point.stringValue("trainer").equals("gd")) {
                throw new IllegalArgumentException("path = tiled is full-batch GD; got trainer " + point.stringValue("trainer")
                        + " in " + id());
            }
            if (point.stringValue("path").equals("reduced") && !reducible(point)) {
                throw new IllegalArgumentException("path = reduced needs linear features (activation identity); got activation "
                        + point.stringValue("activation") + " in " + id());
            }
        }
    }

    private boolean reducible(Point point) {
        return point.stringValue("activation").equals("identity") && model(point).denseLatents();
    }

    /** Whether this point trains in the latent space: forced, or chosen because it is cheaper. */
    private boolean reduced(Point point) {
        return switch (point.stringValue("path")) {
            case "reduced" -> true;
            case "materialized", "tiled" -> false;
            default -> reducible(point) && reducedIsCheaper(point);
        };
    }

    /** Whether this GD point regenerates its features by tiles: forced, or because they would not fit. */
    private boolean tiled(Point point) {
        return switch (point.stringValue("path")) {
            case "tiled" -> true;
            case "auto" -> point.stringValue("trainer").equals("gd") && !reduced(point)
                    && (long) point.intValue("P") * point.intValue("N") * Float.BYTES > MATERIALIZED_LIMIT;
            default -> false;
        };
    }

    private boolean reducedIsCheaper(Point point) {
        long n = point.intValue("N");
        long p = point.intValue("P");
        long m = model(point).latentDim();
        long steps = point.longValue("steps");
        return switch (point.stringValue("trainer")) {
            case "gd" -> ReducedLinearGd.cost(n, p, m, steps) < ReducedLinearGd.materializedCost(n, p, m, steps);
            case "sgd" -> {
                long test = point.intValue("test");
                long batch = point.intValue("batch");
                yield ReducedLinearSgd.cost(n, test, m, steps, batch) < ReducedLinearSgd.materializedCost(n, test, m, steps, batch);
            }
            default -> ReducedLinearRidge.cost(n, p, m) < ReducedLinearRidge.materializedCost(n, p, m);
        };
    }

    /**
     * Points that differ only in their learning rate share data, features and λ_max: materialized GD
     * trains them together, one right-hand side each, in one backend call per segment.
     */
    @Override
    public String batchKey(Point point) {
        if (!point.stringValue("trainer").equals("gd") || tiled(point)) {
            return point.id();
        }
        // Reduced runs also share the data Gram S across widths and steps, and G across learning rates.
        boolean reduced = reduced(point);
        List<String> free = reduced ? List.of("eta", "eta_rel", "N", "steps", "records_per_decade") : List.of("eta", "eta_rel");
        StringBuilder key = new StringBuilder(id()).append(reduced ? "|reduced|" : "|").append(point.seed());
        point.values().forEach((k, v) -> {
            if (!free.contains(k)) {
                key.append('|').append(k).append('=').append(v);
            }
        });
        return key.toString();
    }

    /**
     * Materialized GD points that differ only in their learning rate train as one multi-column GD;
     * reduced points that differ in width, learning rate or steps share S and G. See {@link #batchKey}.
     */
    @Override
    public List<Outcome> runBatch(Backend backend, DType dtype, List<Point> points) {
        Outcome[] outcomes = new Outcome[points.size()];
        runBatch(backend, dtype, points, (i, outcome) -> outcomes[i] = outcome);
        return List.of(outcomes);
    }

    @Override
    public void runBatch(Backend backend, DType dtype, List<Point> points, BiConsumer<Integer, Outcome> done) {
        if (points.size() == 1) {
            done.accept(0, run(backend, dtype, points.getFirst()));
        } else if (reduced(points.getFirst())) {
            reducedGradientDescent(backend, dtype, points, done);
        } else {
            List<Outcome> outcomes = gradientDescent(backend, dtype, points);
            for (int i = 0; i < outcomes.size(); i++) {
                done.accept(i, outcomes.get(i));
            }
        }
    }

    private void reducedGradientDescent(Backend backend, DType dtype, List<Point> points, BiConsumer<Integer, Outcome> done) {
        Setting set = new Setting(points.getFirst());
        List<ReducedLinearGd.Run> runs = points.stream().map(pt -> new ReducedLinearGd.Run(new Setting(pt).width(),
                pt.doubleValue("eta"), pt.doubleValue("eta_rel"),
                GdOptions.logSpaced(pt.longValue("steps"), pt.intValue("records_per_decade")).recordAt())).toList();
        ReducedLinearGd.run(backend, dtype, set.model(), points.getFirst().seed(), set.dataSeed(),
                points.getFirst().intValue("P"), set.testSize(), set.noise(), runs,
                trainingProbe(set.model(), points.getFirst().intValue("P")), done);
    }

    @Override
    public final Outcome run(Backend backend, DType dtype, Point point) {
        if (point.stringValue("trainer").equals("sgd")) {
            return reduced(point) ? reducedSgd(backend, dtype, point) : runSgd(backend, dtype, point);
        }
        if (point.stringValue("trainer").equals("gd")) {
            if (tiled(point)) {
                Setting set = new Setting(point);
                return TiledGd.run(backend, dtype, set.model(), set.activation(), point.seed(), set.dataSeed(), set.width(),
                        point.intValue("P"), set.testSize(), set.noise(), lambdaMax -> learningRate(point, lambdaMax),
                        GdOptions.logSpaced(point.longValue("steps"), point.intValue("records_per_decade")).recordAt(),
                        trainingProbe(set.model(), point.intValue("P")));
            }
            if (reduced(point)) {
                Outcome[] outcome = new Outcome[1];
                reducedGradientDescent(backend, dtype, List.of(point), (i, o) -> outcome[0] = o);
                return outcome[0];
            }
            return gradientDescent(backend, dtype, List.of(point)).getFirst();
        }
        if (reduced(point)) {
            Setting set = new Setting(point);
            Outcome outcome = ReducedLinearRidge.run(backend, dtype, set.model(), point.seed(), set.dataSeed(), set.width(),
                    point.intValue("P"), set.testSize(), set.noise(), point.doubleValue("ridge"),
                    trainingProbe(set.model(), point.intValue("P")));
            outcome.rows().getFirst().values().put("theory_loss", ridgeTheory(set, point));
            return outcome;
        }
        try (Data data = new Data(backend, dtype, point)) {
            Setting set = data.set;
            int n = set.width();
            int p = point.intValue("P");
            backend.ridgeSolve(data.phi, data.train.targets(), point.doubleValue("ridge"), data.w);
            int small = Math.min(n, p);
            double flops = data.flops + 2.0 * small * small * Math.max(n, p) + small * (double) small * small / 3;
            Map<String, Object> values = data.losses.measure(null);
            values.putAll(data.common);
            values.put("reduced", false);
            if (set.linear()) {
                values.put("theory_loss", ridgeTheory(set, point));
            }
            return new Outcome(List.of(new Row(null, values)), flops);
        }
    }

    /**
     * Materialized full-batch GD for points that differ at most in their learning rate: column j of W
     * trains point j. Segments between the shared record steps are single backend calls; a column that
     * diverged keeps NaN records from then on.
     */
    private List<Outcome> gradientDescent(Backend backend, DType dtype, List<Point> points) {
        Point first = points.getFirst();
        int k = points.size();
        try (Data data = new Data(backend, dtype, first);
             Matrix weights = backend.allocate(data.set.width(), k, dtype);
             Matrix testPredictions = backend.allocate(data.set.testSize(), k, dtype)) {
            int n = data.set.width();
            int p = first.intValue("P");
            double[] eta = points.stream().mapToDouble(pt -> learningRate(pt, data.lambdaMax)).toArray();
            long[] at = GdOptions.logSpaced(first.longValue("steps"), first.intValue("records_per_decade")).recordAt();
            List<List<Row>> rows = new ArrayList<>();
            points.forEach(pt -> rows.add(new ArrayList<>()));
            long[] divergedStep = new long[k];
            java.util.Arrays.fill(divergedStep, -1);
            double[] trainLoss = new double[k];
            long done = 0;
            double flops = data.flops;
            for (long step : at) {
                if (step > done) {
                    GdResult segment = backend.gradientDescent(data.phi, data.train.targets(), weights, eta,
                            new GdOptions(step - done, new long[] {step - done}, GdOptions.DEFAULT_DIVERGENCE_FACTOR));
                    flops += 4.0 * p * n * (step - done) * k;
                    for (int j = 0; j < k; j++) {
                        if (divergedStep[j] < 0 && segment.diverged(j)) {
                            divergedStep[j] = done + segment.divergedStep()[j];
                        }
                        trainLoss[j] = segment.finalLoss(j);
                    }
                    done = step;
                } else {
                    trainLoss = data.losses.trainLosses(weights);
                }
                List<Map<String, Object>> measured = data.losses.measureColumns(weights, testPredictions, trainLoss);
                for (int j = 0; j < k; j++) {
                    Map<String, Object> values = divergedStep[j] >= 0 ? data.losses.nan() : measured.get(j);
                    values.putAll(data.common);
                    values.put("eta_used", eta[j]);
                    values.put("diverged", divergedStep[j] >= 0);
                    values.put("diverged_step", divergedStep[j] >= 0 ? divergedStep[j] : null);
                    values.put("reduced", false);
                    rows.get(j).add(new Row(step, values));
                }
                flops += 2.0 * data.set.testSize() * n * k;
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (List<Row> r : rows) {
                outcomes.add(new Outcome(r, flops / k));
            }
            return outcomes;
        }
    }

    /**
     * The deterministic-equivalent population loss of ridge on linear features. Our features are
     * A x/√M, the theory's F x/√N: the same ridge path with λ = ridge·M/N. The theory's error includes
     * the noise variance; the population loss is the excess over it.
     */
    private static double ridgeTheory(Setting set, Point point) {
        int n = set.width();
        double noise = set.noise();
        return new DeterministicEquivalent(set.model().spectrum(), set.model().teacher())
                .predict(n, point.intValue("P"), point.doubleValue("ridge") * set.model().latentDim() / n, noise * noise)
                .oneDraw() - noise * noise;
    }

    /** One-pass SGD in the latent space ({@link ReducedLinearSgd}). */
    private Outcome reducedSgd(Backend backend, DType dtype, Point point) {
        Setting set = new Setting(point);
        int batch = point.intValue("batch");
        return ReducedLinearSgd.run(backend, dtype, set.model(), point.seed(), set.dataSeed(), set.width(), batch,
                set.testSize(), set.noise(), GdOptions.logSpaced(point.longValue("steps"), point.intValue("records_per_decade")).recordAt(),
                lambdaMax -> learningRate(point, lambdaMax));
    }

    /** A point's training and test data, projection, features, λ_max and loss evaluator, on the backend. */
    private final class Data implements AutoCloseable {
        final Setting set;
        final LatentModel.Sample train;
        final LatentModel.Sample test;
        final Matrix proj;
        final Matrix phi;
        final Matrix testPhi;
        final Matrix w;
        final Matrix trainPrediction;
        final Matrix testPrediction;
        final double lambdaMax;
        final double flops;
        final Map<String, Object> common;
        final Losses losses;
        private final List<AutoCloseable> owned = new ArrayList<>();

        Data(Backend backend, DType dtype, Point point) {
            set = new Setting(point);
            LatentModel model = set.model();
            int p = point.intValue("P");
            int n = set.width();
            try {
                train = own(model.sample(backend, 0, p, dtype, set.dataSeed(), LatentModel.STREAM_TRAIN, set.noise()));
                test = own(model.sample(backend, 0, set.testSize(), dtype, set.dataSeed(), LatentModel.STREAM_TEST, set.noise()));
                proj = own(model.projection(backend, n, dtype, point.seed()));
                phi = own(train.features(proj, set.activation()));
                testPhi = own(test.features(proj, set.activation()));
                w = own(backend.allocate(n, 1, dtype));
                trainPrediction = own(backend.allocate(p, 1, dtype));
                testPrediction = own(backend.allocate(set.testSize(), 1, dtype));
                lambdaMax = backend.lambdaMax(phi, LambdaMaxOptions.defaults(point.seed()));
            } catch (RuntimeException e) {
                close();
                throw e;
            }
            flops = 2.0 * model.latentDim() * n * (p + set.testSize()) + 4.0 * p * n * 50;
            TrainingProbe probe = trainingProbe(model, p);
            probe.accept(train);
            common = new HashMap<>(probe.values());
            common.put("lambda_max", lambdaMax);
            losses = new Losses(backend, model, proj, phi, train.targets(), testPhi, test.targets(), w, trainPrediction,
                    testPrediction, set.linear());
        }

        private <T extends AutoCloseable> T own(T resource) {
            owned.add(resource);
            return resource;
        }

        @Override
        public void close() {
            for (int i = owned.size() - 1; i >= 0; i--) {
                try {
                    owned.get(i).close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /**
     * One-pass SGD: step t draws samples t·B … t·B + B − 1 of the training stream (never reused), maps them
     * to features and takes one gradient step on them. The learning rate is eta, or eta_rel over
     * λ_max of the held-out features' second moment (the population feature covariance estimate).
     * train_loss is the loss of the batch drawn at that step, before the step.
     */
    private Outcome runSgd(Backend backend, DType dtype, Point point) {
        Setting set = new Setting(point);
        LatentModel model = set.model();
        int m = model.latentDim();
        int n = set.width();
        int batch = point.intValue("batch");
        int testSize = set.testSize();
        double noise = set.noise();
        Activation activation = set.activation();
        boolean linear = set.linear();
        long seed = point.seed();
        long dataSeed = set.dataSeed();
        try (LatentModel.Sample test = model.sample(backend, 0, testSize, dtype, dataSeed, LatentModel.STREAM_TEST, noise);
             Matrix proj = model.projection(backend, n, dtype, seed);
             Matrix testPhi = test.features(proj, activation);
             Matrix w = backend.allocate(n, 1, dtype);
             Matrix testPrediction = backend.allocate(testSize, 1, dtype)) {
            double lambdaMax = backend.lambdaMax(testPhi, LambdaMaxOptions.defaults(seed));
            double eta = learningRate(point, lambdaMax);
            double flops = 2.0 * m * n * testSize + 4.0 * testSize * n * 50;
            Losses losses = new Losses(backend, model, proj, testPhi, test.targets(), testPhi, test.targets(), w,
                    testPrediction, testPrediction, linear);
            Map<String, Object> common = new HashMap<>(Map.of("lambda_max", lambdaMax, "eta_used", eta, "reduced", false));
            if (linear && model.denseLatents()) {
                common.put("sgd_kernel_norm", sgdKernelNorm(backend, model, proj, eta, batch));
            }
            long[] at = GdOptions.logSpaced(point.longValue("steps"), point.intValue("records_per_decade")).recordAt();
            List<Row> rows = new ArrayList<>();
            double initial = Double.NaN;
            double batchLoss = Double.NaN;
            long divergedStep = -1;
            long done = 0;
            for (long step : at) {
                for (; done < step && divergedStep < 0; done++) {
                    try (LatentModel.Sample fresh = model.sample(backend, done * batch, batch, dtype, dataSeed,
                            LatentModel.STREAM_TRAIN, noise);
                         Matrix phi = fresh.features(proj, activation)) {
                        GdResult r = backend.gradientDescent(phi, fresh.targets(), w, new double[] {eta},
                                new GdOptions(1, new long[] {0}, GdOptions.DEFAULT_DIVERGENCE_FACTOR));
                        batchLoss = r.losses()[0][0];
                        if (r.diverged(0)) {
                            divergedStep = done;
                        }
                    }
                    flops += 2.0 * batch * n * m + 4.0 * batch * n;
                }
                Map<String, Object> values = divergedStep >= 0 ? losses.nan() : losses.measure(batchLoss);
                double testLoss = (double) values.get("test_loss");
                if (step == 0) {
                    initial = testLoss;
                } else if (divergedStep < 0 && (!Double.isFinite(testLoss) || testLoss > GdOptions.DEFAULT_DIVERGENCE_FACTOR * initial)) {
                    divergedStep = step;
                    values = losses.nan();
                }
                values.putAll(common);
                values.put("diverged", divergedStep >= 0);
                values.put("diverged_step", divergedStep >= 0 ? divergedStep : null);
                rows.add(new Row(step, values));
                flops += 2.0 * testSize * n;
            }
            return new Outcome(rows, flops);
        }
    }

    /**
     * The one-pass SGD stability criterion for Gaussian features (Paquette et al., "4+3 phases", the
     * norm of the Volterra kernel; here with a batch mean): with e_j the eigenvalues of the feature
     * covariance Σ_φ = A Λ Aᵀ/M, one step of batch B and rate η maps the per-mode error d_j to
     * d_j(1 − 2ηe_j + η²e_j²(1 + 1/B)) + (η²/B) e_j Σ_k e_k d_k, so the expected loss stays bounded iff
     * ‖K‖ = (η/B) Σ_j e_j / (2 − η(1 + 1/B) e_j) &lt; 1 (and every denominator is positive). The sum is
     * tr(C (2I − η(1 + 1/B) C)⁻¹) with C = Λ^½ AᵀA Λ^½/M, which has the same non-zero eigenvalues;
     * +∞ when a mode is unstable on its own. Solved in double on the host (M×M). This is a statement about
     * the mean over draws, exact in high dimension; at small N with B > 1 typical runs can converge above it.
     */
    static double sgdKernelNorm(Backend backend, LatentModel model, Matrix proj, double eta, int batch) {
        int m = model.latentDim();
        double[] g = new double[m * m];
        try (Matrix gram = backend.allocate(m, m, proj.dtype())) {
            backend.gemm(true, false, 1, proj, proj, 0, gram);
            backend.download(gram, g);
        }
        return sgdKernelNorm(model, g, eta, batch);
    }

    /** {@link #sgdKernelNorm(Backend, LatentModel, Matrix, double, int)} from G = AᵀA (M×M, row-major, host). */
    static double sgdKernelNorm(LatentModel model, double[] g, double eta, int batch) {
        int m = model.latentDim();
        double[] lambda = model.spectrum();
        double[][] c = new double[m][m];
        double[][] q = new double[m][m];
        double factor = eta * (1 + 1.0 / batch);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                c[i][j] = Math.sqrt(lambda[i] * lambda[j]) * g[i * m + j] / m;
                q[i][j] = (i == j ? 2 : 0) - factor * c[i][j];
            }
        }
        try {
            dev.scalekernel.api.reference.Cholesky.solveInPlace(q, c, "SGD stability system");
        } catch (ArithmeticException e) {
            return Double.POSITIVE_INFINITY; // 2 − η(1 + 1/B)e_j ≤ 0 for some mode
        }
        double trace = 0;
        for (int i = 0; i < m; i++) {
            trace += c[i][i];
        }
        return eta / batch * trace;
    }

    /** What every trainer reads from a point. */
    private final class Setting {
        private final Point point;
        private final LatentModel model;

        Setting(Point point) {
            this.point = point;
            this.model = LatentFeaturesExperiment.this.model(point);
        }

        LatentModel model() {
            return model;
        }

        int width() {
            return point.intValue("N");
        }

        int testSize() {
            return point.intValue("test");
        }

        double noise() {
            return point.doubleValue("noise");
        }

        Activation activation() {
            return Activation.parse(point.stringValue("activation"));
        }

        boolean linear() {
            return activation() == Activation.IDENTITY;
        }

        /** The data's seed: data_seed when fixed (to vary only the features), else the point's. */
        long dataSeed() {
            return point.longValue("data_seed") >= 0 ? point.longValue("data_seed") : point.seed();
        }
    }

    /** eta when set, else eta_rel / λ_max. */
    private static double learningRate(Point point, double lambdaMax) {
        return point.doubleValue("eta") > 0 ? point.doubleValue("eta") : point.doubleValue("eta_rel") / lambdaMax;
    }

    /** The three losses of the current weights. */
    private record Losses(Backend backend, LatentModel model, Matrix proj, Matrix phi, Matrix y, Matrix testPhi,
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

        /** Train losses of every column of W (N×k). */
        double[] trainLosses(Matrix weights) {
            try (Matrix predictions = backend.allocate(phi.rows(), weights.cols(), weights.dtype())) {
                backend.gemm(false, false, 1, phi, weights, 0, predictions);
                return backend.meanSquaredError(predictions, y);
            }
        }

        /** The losses of every column of W, given their train losses. */
        List<Map<String, Object>> measureColumns(Matrix weights, Matrix testPredictions, double[] trainLoss) {
            backend.gemm(false, false, 1, testPhi, weights, 0, testPredictions);
            double[] test = backend.meanSquaredError(testPredictions, testY);
            double[] population = null;
            if (linear) {
                int m = model.latentDim();
                try (Matrix v = backend.allocate(m, weights.cols(), weights.dtype())) {
                    backend.gemm(true, false, 1 / Math.sqrt(m), proj, weights, 0, v);
                    double[] vs = new double[m * weights.cols()];
                    backend.download(v, vs);
                    double[] lambda = model.spectrum();
                    double[] teacher = model.teacher();
                    population = new double[weights.cols()];
                    for (int j = 0; j < weights.cols(); j++) {
                        for (int i = 0; i < m; i++) {
                            double d = vs[i * weights.cols() + j] - teacher[i];
                            population[j] += lambda[i] * d * d;
                        }
                    }
                }
            }
            List<Map<String, Object>> out = new ArrayList<>();
            for (int j = 0; j < weights.cols(); j++) {
                Map<String, Object> values = new HashMap<>();
                values.put("train_loss", trainLoss[j]);
                values.put("test_loss", test[j]);
                values.put("population_loss", population == null ? null : population[j]);
                out.add(values);
            }
            return out;
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
