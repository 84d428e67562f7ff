package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.api.reference.Cholesky;
import dev.scalekernel.harness.model.Manifold;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.sweep.Point;
import dev.scalekernel.harness.theory.RandomFeatureKernel;
import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.EigenDecompositionSymmetric;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Teacher–student random features on a low-dimensional manifold (Bahri, Dyer, Kaplan, Lee, Sharma,
 * "Explaining Neural Scaling Laws"). Inputs are uniform on a d-torus or d-sphere ({@link Manifold});
 * the teacher is a wide random-feature model y(x) = Σ_m ω_m σ(s F_m·x) with N_T features F_m ~ N(0, I)
 * and readout ω_m ~ N(0, 1/N_T), both from a fixed teacher seed; the student has N random features of
 * the same law (from the point's seed), trained by ridge on P samples with a kernel ridge δ = ridge·k(x, x)
 * (passed to the backend as ridge·k(x,x)·N/P, so that in the dual form the student solves
 * (ΦΦᵀ/N + δI)α = y whatever N and P are). Every regime of the paper is a choice of how N and P move:
 * <ul>
 *   <li>variance_data: N = fixed, P = size ≫ N; limit_loss is the loss of the same features' population-optimal
 *       readout (the P → ∞ limit, estimated on limit_samples fresh samples), and excess_loss, the excess of the
 *       population loss over it, falls as 1/P;</li>
 *   <li>variance_width: P = fixed, N = size ≫ P; limit_loss is kernel regression with the infinite-width
 *       kernel ({@link RandomFeatureKernel}) on the same data, the N → ∞ limit; the mean of
 *       excess_loss − control_variate falls as 1/N;</li>
 *   <li>resolution_data: P = size, N = ratio·size (N ≫ P at a fixed ratio, so the finite-width factor is the
 *       same at every P); limit_loss is the N = ∞ loss; both fall as P^-α_K. The point also records the top
 *       eigenvalues of the kernel Gram matrix K(x_i, x_j)/P on its training inputs (spectrum);</li>
 *   <li>resolution_width: N = size, P = ratio·size (P ≫ N); the loss falls as N^-α_K.</li>
 * </ul>
 * All losses are mean squared errors on the same held-out set (test points of the point's seed).
 */
public final class TeacherStudentExperiment implements Experiment {

    static final int STREAM_TRAIN = 0;
    static final int STREAM_TEST = 1;
    static final int STREAM_STUDENT = 2;
    static final int STREAM_LIMIT = 3;
    static final int STREAM_TEACHER = 4;
    static final int STREAM_READOUT = 5;

    /** Elements of one feature block computed at a time (32 MiB in f64): bounds memory for any width. */
    private static final int CHUNK_ELEMENTS = 1 << 22;

    public static final List<String> REGIMES = List.of("variance_data", "variance_width", "resolution_data", "resolution_width");

    private static final List<Param> PARAMS = List.of(
            Param.choice("manifold", "torus", List.of("torus", "sphere"),
                    "inputs uniform on a d-torus in R^2d, x = (cos, sin)/sqrt(d), or on the unit sphere S^d in R^(d+1)"),
            Param.integer("d", 2, 1, "intrinsic dimension of the input manifold"),
            Param.choice("activation", "relu", List.of("relu", "erf"),
                    "activation of teacher and student features (closed-form infinite-width kernels)"),
            Param.real("scale", 1.0, Double.MIN_VALUE, Double.POSITIVE_INFINITY, "s in sigma(s f.x)"),
            Param.integer("teacher_width", 16384, 1, "N_T: random features of the teacher"),
            Param.longValue("teacher_seed", 1, 0, "seed of the teacher's features and readout (fixed across seeds)"),
            Param.choice("regime", "variance_data", REGIMES,
                    "which size moves: variance_data (P = size, N = fixed), variance_width (N = size, P = fixed),"
                            + " resolution_data (P = size, N = ratio*size), resolution_width (N = size, P = ratio*size)"),
            Param.integer("size", 1024, 1, "the swept size: P in *_data regimes, N in *_width regimes"),
            Param.integer("fixed", 64, 1, "the other size in the variance-limited regimes (N for variance_data, P for variance_width)"),
            Param.real("ratio", 8, 1, Double.POSITIVE_INFINITY, "the other size over the swept one in the resolution-limited regimes"),
            Param.integer("limit_samples", 1 << 20, 1, "variance_data: samples that estimate the P -> infinity loss L(N)"),
            Param.integer("test", 4096, 1, "held-out samples for the test loss"),
            Param.real("ridge", 1e-8, 0, Double.POSITIVE_INFINITY, "kernel ridge relative to k(x,x): (Phi Phi^T/N + ridge k(x,x) I)"),
            Param.integer("eigenvalues", 256, 0, "resolution_data: top eigenvalues of the kernel Gram K/P recorded (0 = none)"));

    private static final List<Measurement> MEASUREMENTS = List.of(
            Measurement.integer("N", "student width used"),
            Measurement.integer("P", "training samples used"),
            Measurement.real("train_loss", "(1/P)|Phi w - y|^2"),
            Measurement.real("test_loss", "mean squared error on the held-out samples"),
            Measurement.real("limit_loss", "the regime's limit on the same test set: P = limit_samples (variance_data),"
                    + " N = infinity by kernel regression (variance_width, resolution_data); null otherwise"),
            Measurement.real("excess_loss", "the loss minus its limit: test_loss - limit_loss, except in variance_data, where it is"
                    + " (w - w_inf)^T G (w - w_inf)/M on the limit samples (no first-order term)"),
            Measurement.real("control_variate", "variance_width: the zero-mean first-order term of excess_loss in the kernel"
                    + " fluctuation; excess_loss - control_variate has the same mean and less noise"),
            Measurement.real("target_variance", "mean y^2 on the held-out samples"),
            new Measurement("spectrum", "VARCHAR", "resolution_data: top eigenvalues of K(x_i, x_j)/P, descending, space-separated"));

    @Override
    public String id() {
        return "teacher_student";
    }

    @Override
    public String description() {
        return "teacher-student random features on a d-dimensional manifold: variance- and resolution-limited scaling";
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
    public void validate(ResolvedSpec spec) {
        for (Point p : spec.points()) {
            String regime = p.stringValue("regime");
            int size = p.intValue("size");
            int fixed = p.intValue("fixed");
            if (regime.startsWith("variance") && size <= fixed) {
                throw new IllegalArgumentException("regime " + regime + " needs size > fixed (the variance-limited regime is "
                        + (regime.equals("variance_data") ? "P >> N" : "N >> P") + "); got size " + size + ", fixed " + fixed);
            }
            if (regime.startsWith("resolution") && p.doubleValue("ratio") * size > Integer.MAX_VALUE / 2.0) {
                throw new IllegalArgumentException("ratio * size = " + p.doubleValue("ratio") * size + " is too large");
            }
            if (regime.equals("variance_data") && p.intValue("limit_samples") <= size) {
                throw new IllegalArgumentException("limit_samples = " + p.intValue("limit_samples")
                        + " must exceed the largest P (size = " + size + ") to estimate the P -> infinity loss");
            }
        }
    }

    /** Points of a variance-limited regime that differ only in their size share data, features and the limit. */
    @Override
    public String batchKey(Point point) {
        if (!point.stringValue("regime").startsWith("variance")) {
            return point.id();
        }
        return id() + '|' + point.seed() + '|' + point.values().entrySet().stream().filter(e -> !e.getKey().equals("size"))
                .map(e -> e.getKey() + '=' + e.getValue()).collect(Collectors.joining("|"));
    }

    @Override
    public Outcome run(Backend backend, DType dtype, Point point) {
        return runBatch(backend, dtype, List.of(point)).getFirst();
    }

    @Override
    public List<Outcome> runBatch(Backend backend, DType dtype, List<Point> points) {
        Setting set = new Setting(points.getFirst());
        try (Teacher teacher = new Teacher(backend, dtype, set)) {
            double[] xTest = set.manifold.sample(backend, set.seed, STREAM_TEST, 0, set.test);
            double[] yTest = teacher.targets(xTest, set.test);
            double targetVariance = Arrays.stream(yTest).map(v -> v * v).sum() / set.test;
            return switch (set.regime) {
                case "variance_data" -> varianceData(backend, dtype, set, teacher, points, xTest, yTest, targetVariance);
                case "variance_width" -> varianceWidth(backend, dtype, set, teacher, points, xTest, yTest, targetVariance);
                default -> points.stream().map(p -> resolution(backend, dtype, new Setting(p), teacher, xTest, yTest, targetVariance))
                        .toList();
            };
        }
    }

    /**
     * N fixed, P = size. The limit is the population-optimal readout w_∞ of the same features, estimated
     * on limit_samples fresh samples (M of them): limit_loss = L_M(w_∞) there, and excess_loss is the exact
     * excess on those samples, L_M(w_P) − L_M(w_∞) = (w_P − w_∞)ᵀ(G/M)(w_P − w_∞) with G = ΦᵀΦ over them
     * (to the kernel ridge's δ-sized term). Measured there rather than as a difference of test losses, it
     * has no first-order term: on T test points that term fluctuates like 1/√(PT), above the 1/P signal.
     */
    private List<Outcome> varianceData(Backend backend, DType dtype, Setting set, Teacher teacher, List<Point> points,
                                       double[] xTest, double[] yTest, double targetVariance) {
        int n = set.fixed;
        int pMax = points.stream().mapToInt(p -> p.intValue("size")).max().orElseThrow();
        double[] xTrain = set.manifold.sample(backend, set.seed, STREAM_TRAIN, 0, pMax);
        double[] yTrain = teacher.targets(xTrain, pMax);
        try (Matrix f = set.studentFeatures(backend, dtype, n)) {
            PopulationReadout limit = populationReadout(backend, dtype, set, teacher, f);
            double limitFlops = set.limitSamples * (2.0 * set.dim * (n + set.teacherWidth) + 2.0 * n * n);
            List<Outcome> out = new ArrayList<>();
            for (Point point : points) {
                int p = point.intValue("size");
                double[] w = new double[n];
                Map<String, Object> values = fit(backend, dtype, set, f, n, Arrays.copyOf(xTrain, p * set.dim),
                        Arrays.copyOf(yTrain, p), xTest, yTest, w);
                values.put("limit_loss", limit.loss);
                values.put("excess_loss", limit.excess(w));
                values.put("target_variance", targetVariance);
                out.add(new Outcome(List.of(new Row(null, values)), studentFlops(set, n, p) + limitFlops / points.size()));
            }
            return out;
        }
    }

    /**
     * P fixed, N = size. The limit is kernel regression with the infinite-width kernel on the same data and
     * test set, f_∞ = k(x)ᵀ(K + δI)⁻¹y. The student is f_N = k_N(x)ᵀ(K_N + δI)⁻¹y with K_N = K + Δ,
     * E[Δ] = 0, so its excess over L(f_∞) has a first-order term ℓ₁ = (2/T) Σ_t (f_∞ − y)_t δf_t,
     * δf = Δk(x)ᵀα − k(x)ᵀ(K + δI)⁻¹ΔK α, of zero mean and size 1/√N, above the 1/N mean excess. It is
     * recorded as control_variate: excess_loss − control_variate has the same mean and fluctuates at 1/N.
     */
    private List<Outcome> varianceWidth(Backend backend, DType dtype, Setting set, Teacher teacher, List<Point> points,
                                        double[] xTest, double[] yTest, double targetVariance) {
        int p = set.fixed;
        double[] xTrain = set.manifold.sample(backend, set.seed, STREAM_TRAIN, 0, p);
        double[] yTrain = teacher.targets(xTrain, p);
        KernelRegression limit = new KernelRegression(set, xTrain, yTrain, p, xTest, yTest);
        List<Outcome> out = new ArrayList<>();
        for (Point point : points) {
            int n = point.intValue("size");
            try (Matrix f = set.studentFeatures(backend, dtype, n)) {
                Map<String, Object> values = fit(backend, dtype, set, f, n, xTrain, yTrain, xTest, yTest, null);
                values.put("limit_loss", limit.loss);
                values.put("excess_loss", (double) values.get("test_loss") - limit.loss);
                values.put("control_variate", limit.firstOrder(backend, dtype, f, xTrain, xTest));
                values.put("target_variance", targetVariance);
                out.add(new Outcome(List.of(new Row(null, values)),
                        studentFlops(set, n, p) + 2.0 * n * p * (p + set.test) + limit.flops / points.size()));
            }
        }
        return out;
    }

    /** resolution_data (P = size, N = ratio·size) or resolution_width (N = size, P = ratio·size). */
    private Outcome resolution(Backend backend, DType dtype, Setting set, Teacher teacher, double[] xTest, double[] yTest,
                               double targetVariance) {
        boolean data = set.regime.equals("resolution_data");
        int other = (int) Math.round(set.ratio * set.size);
        int n = data ? other : set.size;
        int p = data ? set.size : other;
        double[] xTrain = set.manifold.sample(backend, set.seed, STREAM_TRAIN, 0, p);
        double[] yTrain = teacher.targets(xTrain, p);
        Map<String, Object> values;
        try (Matrix f = set.studentFeatures(backend, dtype, n)) {
            values = fit(backend, dtype, set, f, n, xTrain, yTrain, xTest, yTest, null);
        }
        double flops = studentFlops(set, n, p);
        values.put("target_variance", targetVariance);
        if (data) {
            KernelRegression limit = new KernelRegression(set, xTrain, yTrain, p, xTest, yTest);
            values.put("limit_loss", limit.loss);
            values.put("excess_loss", (double) values.get("test_loss") - limit.loss);
            flops += limit.flops;
            if (set.eigenvalues > 0) {
                values.put("spectrum", spectrum(set, xTrain, p));
                flops += 4.0 * p * p * p;
            }
        }
        return new Outcome(List.of(new Row(null, values)), flops);
    }

    /** Trains the student (features f, width n) on the given data and measures it; copies w out when weights is non-null. */
    private static Map<String, Object> fit(Backend backend, DType dtype, Setting set, Matrix f, int n, double[] xTrain,
                                           double[] yTrain, double[] xTest, double[] yTest, double[] weights) {
        int p = yTrain.length;
        try (Matrix x = backend.upload(xTrain, p, set.dim, dtype);
             Matrix y = backend.upload(yTrain, p, 1, dtype);
             Matrix phi = backend.allocate(p, n, dtype);
             Matrix w = backend.allocate(n, 1, dtype);
             Matrix prediction = backend.allocate(p, 1, dtype)) {
            backend.featureMap(set.scale, x, f, set.activation, phi);
            backend.ridgeSolve(phi, y, set.kernelRidge * n / p, w);
            backend.gemv(false, 1, phi, w, 0, prediction);
            Map<String, Object> values = new HashMap<>();
            values.put("N", (long) n);
            values.put("P", (long) p);
            values.put("train_loss", backend.meanSquaredError(prediction, y)[0]);
            values.put("test_loss", mse(set.predict(backend, dtype, f, w, xTest, set.test), yTest));
            if (weights != null) {
                backend.download(w, weights);
            }
            return values;
        }
    }

    /**
     * The population-optimal readout of the features f (within the kernel ridge), estimated from
     * limit_samples fresh samples: accumulates G = ΦᵀΦ, b = Φᵀy and yᵀy block by block in double, then
     * solves (G + δ·N·I) w = b by Cholesky on the host.
     */
    private static PopulationReadout populationReadout(Backend backend, DType dtype, Setting set, Teacher teacher, Matrix f) {
        int n = f.rows();
        double[][] g = new double[n][n];
        double[] b = new double[n];
        double yy = 0;
        int block = Math.max(1, Math.min(set.limitSamples, CHUNK_ELEMENTS / Math.max(n, set.dim)));
        double[] gBlock = new double[n * n];
        double[] bBlock = new double[n];
        for (int start = 0; start < set.limitSamples; start += block) {
            int rows = Math.min(block, set.limitSamples - start);
            double[] xs = set.manifold.sample(backend, set.seed, STREAM_LIMIT, start, rows);
            double[] ys = teacher.targets(xs, rows);
            try (Matrix x = backend.upload(xs, rows, set.dim, dtype);
                 Matrix y = backend.upload(ys, rows, 1, dtype);
                 Matrix phi = backend.allocate(rows, n, dtype);
                 Matrix gram = backend.allocate(n, n, dtype);
                 Matrix r = backend.allocate(n, 1, dtype)) {
                backend.featureMap(set.scale, x, f, set.activation, phi);
                backend.gramColumns(1, phi, 0, gram);
                backend.gemv(true, 1, phi, y, 0, r);
                backend.download(gram, gBlock);
                backend.download(r, bBlock);
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    g[i][j] += gBlock[i * n + j];
                }
                b[i] += bBlock[i];
            }
            for (double v : ys) {
                yy += v * v;
            }
        }
        double m = set.limitSamples;
        double[][] system = new double[n][];
        double[][] rhs = new double[n][1];
        for (int i = 0; i < n; i++) {
            system[i] = g[i].clone();
            system[i][i] += set.kernelRidge * n;
            rhs[i][0] = b[i];
        }
        Cholesky.solveInPlace(system, rhs, "feature second moment of the P -> infinity limit");
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = rhs[i][0];
        }
        double loss = yy;
        for (int i = 0; i < n; i++) {
            double gw = 0;
            for (int j = 0; j < n; j++) {
                gw += g[i][j] * w[j];
            }
            loss += w[i] * gw - 2 * w[i] * b[i];
        }
        return new PopulationReadout(w, g, m, loss / m);
    }

    /** w_∞ of fixed features, the second moment G over the M limit samples, and L_M(w_∞). */
    private record PopulationReadout(double[] w, double[][] g, double samples, double loss) {
        /** (w − w_∞)ᵀ(G/M)(w − w_∞). */
        double excess(double[] weights) {
            int n = w.length;
            double sum = 0;
            for (int i = 0; i < n; i++) {
                double row = 0;
                for (int j = 0; j < n; j++) {
                    row += g[i][j] * (weights[j] - w[j]);
                }
                sum += (weights[i] - w[i]) * row;
            }
            return sum / samples;
        }
    }

    /** Kernel regression with the infinite-width kernel on the host, in double: the student's N = ∞ limit. */
    private static final class KernelRegression {
        private final Setting set;
        private final int p;
        private final double[] k;
        private final double[] kTest;
        private final double[] alpha;
        private final double[] residual;
        final double loss;
        final double flops;

        KernelRegression(Setting set, double[] xTrain, double[] yTrain, int p, double[] xTest, double[] yTest) {
            this.set = set;
            this.p = p;
            k = set.kernel.matrix(xTrain, p, xTrain, p, set.dim);
            kTest = set.kernel.matrix(xTest, set.test, xTrain, p, set.dim);
            alpha = solve(yTrain);
            residual = new double[set.test];
            double sum = 0;
            for (int t = 0; t < set.test; t++) {
                double prediction = 0;
                for (int j = 0; j < p; j++) {
                    prediction += kTest[t * p + j] * alpha[j];
                }
                residual[t] = prediction - yTest[t];
                sum += residual[t] * residual[t];
            }
            loss = sum / set.test;
            flops = 20.0 * set.dim * p * (p + (double) set.test) + p * (double) p * p / 3;
        }

        /** (K + δI)⁻¹ r. */
        double[] solve(double[] r) {
            double[][] g = new double[p][p];
            double[][] rhs = new double[p][1];
            for (int i = 0; i < p; i++) {
                System.arraycopy(k, i * p, g[i], 0, p);
                g[i][i] += set.kernelRidge;
                rhs[i][0] = r[i];
            }
            Cholesky.solveInPlace(g, rhs, "infinite-width kernel matrix");
            double[] out = new double[p];
            for (int i = 0; i < p; i++) {
                out[i] = rhs[i][0];
            }
            return out;
        }

        /**
         * ℓ₁ = (2/T) Σ_t r_t δf_t for the student with projection f: δf = Δk(x)ᵀα − k(x)ᵀ(K + δI)⁻¹ΔKα,
         * with Δk, ΔK the student's kernels ΦΦᵀ/N (on the backend) minus the infinite-width ones.
         */
        double firstOrder(Backend backend, DType dtype, Matrix f, double[] xTrain, double[] xTest) {
            int n = f.rows();
            int t = set.test;
            double[] kn = new double[p * p];
            double[] knTest = new double[t * p];
            try (Matrix x = backend.upload(xTrain, p, set.dim, dtype);
                 Matrix phi = backend.allocate(p, n, dtype);
                 Matrix gram = backend.allocate(p, p, dtype)) {
                backend.featureMap(set.scale, x, f, set.activation, phi);
                backend.gramRows(1.0 / n, phi, phi, gram);
                backend.download(gram, kn);
                int block = Math.max(1, Math.min(t, CHUNK_ELEMENTS / Math.max(n, set.dim)));
                double[] part = new double[block * p];
                try (Matrix phiTest = backend.allocate(block, n, dtype);
                     Matrix cross = backend.allocate(block, p, dtype)) {
                    for (int start = 0; start < t; start += block) {
                        int rows = Math.min(block, t - start);
                        try (Matrix xs = backend.upload(Arrays.copyOfRange(xTest, start * set.dim, (start + block) * set.dim),
                                block, set.dim, dtype)) {
                            backend.featureMap(set.scale, xs, f, set.activation, phiTest);
                        }
                        backend.gramRows(1.0 / n, phiTest, phi, cross);
                        backend.download(cross, part);
                        System.arraycopy(part, 0, knTest, start * p, rows * p);
                    }
                }
            }
            double[] deltaKAlpha = new double[p];
            for (int i = 0; i < p; i++) {
                for (int j = 0; j < p; j++) {
                    deltaKAlpha[i] += (kn[i * p + j] - k[i * p + j]) * alpha[j];
                }
            }
            double[] beta = solve(deltaKAlpha);
            double sum = 0;
            for (int s = 0; s < t; s++) {
                double df = 0;
                for (int j = 0; j < p; j++) {
                    df += (knTest[s * p + j] - kTest[s * p + j]) * alpha[j] - kTest[s * p + j] * beta[j];
                }
                sum += residual[s] * df;
            }
            return 2 * sum / t;
        }
    }

    /** The top eigenvalues of K(x_i, x_j)/P, descending, as text. */
    private static String spectrum(Setting set, double[] xTrain, int p) {
        double[] k = set.kernel.matrix(xTrain, p, xTrain, p, set.dim);
        double[][] a = new double[p][p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                a[i][j] = k[i * p + j] / p;
            }
        }
        double[] eig = new EigenDecompositionSymmetric(new Array2DRowRealMatrix(a, false),
                EigenDecompositionSymmetric.DEFAULT_EPSILON, false).getEigenvalues();
        double[] sorted = Arrays.stream(eig).map(v -> -v).sorted().map(v -> -v).toArray();
        return Arrays.stream(sorted, 0, Math.min(set.eigenvalues, p)).mapToObj(v -> String.format(Locale.ROOT, "%.9e", v))
                .collect(Collectors.joining(" "));
    }

    /** Parses a {@code spectrum} value. */
    public static double[] parseSpectrum(String text) {
        return text == null || text.isBlank() ? new double[0] : Arrays.stream(text.trim().split(" ")).mapToDouble(Double::parseDouble).toArray();
    }

    private static double mse(double[] prediction, double[] target) {
        double sum = 0;
        for (int i = 0; i < target.length; i++) {
            double e = prediction[i] - target[i];
            sum += e * e;
        }
        return sum / target.length;
    }

    private static double studentFlops(Setting set, int n, int p) {
        int small = Math.min(n, p);
        return 2.0 * set.dim * n * (p + set.test) + 2.0 * small * small * Math.max(n, p) + small * (double) small * small / 3
                + 2.0 * set.dim * set.teacherWidth * (p + set.test);
    }

    /** What a point reads from its parameters. */
    private static final class Setting {
        final Manifold manifold;
        final int dim;
        final Activation activation;
        final double scale;
        final RandomFeatureKernel kernel;
        final int teacherWidth;
        final long teacherSeed;
        final String regime;
        final int size;
        final int fixed;
        final double ratio;
        final int limitSamples;
        final int test;
        final double kernelRidge;
        final int eigenvalues;
        final long seed;

        Setting(Point point) {
            manifold = new Manifold(Manifold.kind(point.stringValue("manifold")), point.intValue("d"));
            dim = manifold.ambientDim();
            activation = Activation.parse(point.stringValue("activation"));
            scale = point.doubleValue("scale");
            kernel = new RandomFeatureKernel(activation, scale);
            teacherWidth = point.intValue("teacher_width");
            teacherSeed = point.longValue("teacher_seed");
            regime = point.stringValue("regime");
            size = point.intValue("size");
            fixed = point.intValue("fixed");
            ratio = point.doubleValue("ratio");
            limitSamples = point.intValue("limit_samples");
            test = point.intValue("test");
            kernelRidge = point.doubleValue("ridge") * kernel.unitDiagonal();
            eigenvalues = point.intValue("eigenvalues");
            seed = point.seed();
        }

        /** The student's projection: n rows of iid N(0, 1); the first n rows of a wider one (nested widths). */
        Matrix studentFeatures(Backend backend, DType dtype, int n) {
            Matrix f = backend.allocate(n, dim, dtype);
            backend.fillGaussian(f, RandomStream.of(seed, STREAM_STUDENT), 0, 1);
            return f;
        }

        /**
         * σ(s X fᵀ) w for the rows of x (host, row-major count × dim), block by block; the feature block is
         * allocated once per call (the last block is zero-padded to its size).
         */
        double[] predict(Backend backend, DType dtype, Matrix f, Matrix w, double[] x, int count) {
            double[] out = new double[count];
            int block = Math.max(1, Math.min(count, CHUNK_ELEMENTS / Math.max(f.rows(), dim)));
            double[] part = new double[block];
            try (Matrix phi = backend.allocate(block, f.rows(), dtype);
                 Matrix y = backend.allocate(block, 1, dtype)) {
                for (int start = 0; start < count; start += block) {
                    int rows = Math.min(block, count - start);
                    // copyOfRange pads past the end with zeros
                    try (Matrix xs = backend.upload(Arrays.copyOfRange(x, start * dim, (start + block) * dim), block, dim, dtype)) {
                        backend.featureMap(scale, xs, f, activation, phi);
                    }
                    backend.gemv(false, 1, phi, w, 0, y);
                    backend.download(y, part);
                    System.arraycopy(part, 0, out, start, rows);
                }
            }
            return out;
        }
    }

    /** The teacher y(x) = σ(s X F_Tᵀ) ω, with F_T and ω from the teacher seed, on the backend. */
    private static final class Teacher implements AutoCloseable {
        private final Backend backend;
        private final DType dtype;
        private final Setting set;
        private final Matrix features;
        private final Matrix readout;

        Teacher(Backend backend, DType dtype, Setting set) {
            this.backend = backend;
            this.dtype = dtype;
            this.set = set;
            this.features = backend.allocate(set.teacherWidth, set.dim, dtype);
            try {
                this.readout = backend.allocate(set.teacherWidth, 1, dtype);
            } catch (RuntimeException e) {
                features.close();
                throw e;
            }
            backend.fillGaussian(features, RandomStream.of(set.teacherSeed, STREAM_TEACHER), 0, 1);
            backend.fillGaussian(readout, RandomStream.of(set.teacherSeed, STREAM_READOUT), 0, 1 / Math.sqrt(set.teacherWidth));
        }

        double[] targets(double[] x, int count) {
            return set.predict(backend, dtype, features, readout, x, count);
        }

        @Override
        public void close() {
            readout.close();
            features.close();
        }
    }
}
