package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.harness.model.LatentModel;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.sweep.Point;
import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.EigenDecompositionSymmetric;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Power-law random features trained by one-pass SGD (Paquette, Paquette, Xiao, Pennington, "4+3 phases
 * of compute-optimal neural scaling laws", NeurIPS 2024), in the paper's conventions: data x ~ N(0, I_v),
 * D = diag(j^-2α), features Wᵀ D^½ x ∈ R^d with W (v×d) iid N(0, 1/d), target ⟨D^½ x, b⟩ with
 * b_j = j^-β, θ₀ = 0, the summed-batch update θ ← θ − γ Σ_batch ψ(ψ·θ − y) with γ = lr_trace / Σ_j j^-2α,
 * risk P(θ) = ½‖D^½(Wθ − b)‖² (with the ½) and compute f = d × samples.
 *
 * <p>It is the same model as {@code random_features} with M = v, N = d, b = 2α, a = 2α + 2β,
 * trainer sgd and η = γ·B·v/d there (its features A x/√M are these scaled by √(d/v), its update
 * averages the batch, and its population loss has no ½); {@code PlrfTest} checks that the two agree.
 * What this experiment adds is a path that makes compute-optimal sweeps affordable: the features are
 * jointly Gaussian with the target, ψ ~ N(0, K), K = WᵀDW, cov(ψ, y) = q = WᵀDb, var y = c₀ = Σ j^-2(α+β),
 * and SGD commutes with rotations, so in the eigenbasis K = UΛUᵀ a sample is ψ' = Λ^½ g and
 * y = u·g + s·h with u = Λ^-½ Uᵀq, s² = c₀ − |u|², g ~ N(0, I_d), h ~ N(0, 1). In the residual
 * e = Λ^½ Uᵀθ − u one sample costs O(d) instead of O(v·d), the error of a sample is g·e − s·h, the step is
 * e ← e − γ Λ Σ_batch g·err, and the risk is exactly ½(|e|² + s²) — the same process in law, not an
 * approximation. K and q are formed on the backend (f64: the smallest eigenvalues are about d^-2α), Λ and
 * U come from a symmetric eigensolver on the host, the Gaussian stream (g, h) is filled on the backend in
 * blocks from the Philox stream, and the sequential O(d) updates run on the host in double.
 */
public final class PlrfExperiment implements Experiment {

    private static final List<Param> PARAMS = List.of(
            Param.real("alpha", 1.0, Double.MIN_VALUE, Double.POSITIVE_INFINITY, "data covariance D = diag(j^-2 alpha)"),
            Param.real("beta", 0.25, -10, Double.POSITIVE_INFINITY, "target b_j = j^-beta (needs 2 alpha + 2 beta > 1)"),
            Param.integer("d", 100, 1, "width: number of random features (parameters)"),
            Param.real("v_per_d", 10, 1, Double.POSITIVE_INFINITY, "hidden dimension v = round(v_per_d * d) (the paper uses 10)"),
            Param.integer("batch", 1, 1, "samples per SGD step (the gradient is summed over the batch)"),
            Param.real("lr_trace", 0.75, Double.MIN_VALUE, Double.POSITIVE_INFINITY,
                    "learning rate gamma = lr_trace / sum_j j^-2 alpha (the paper uses 0.75)"),
            Param.real("f_max", 1e8, 1, Double.POSITIVE_INFINITY, "compute budget f = d * samples at the end of the run"),
            Param.integer("records_per_decade", 10, 1, "log-spaced SGD steps recorded per decade"),
            Param.integer("test", 1000, 1, "held-out samples for the test loss"));

    private static final List<Measurement> MEASUREMENTS = List.of(
            Measurement.real("population_loss", "exact risk P(theta) = 1/2 |D^1/2 (W theta - b)|^2"),
            Measurement.real("test_loss", "1/2 mean squared error on the held-out samples"),
            Measurement.real("train_loss", "1/2 mean squared error of the batch drawn at this step, before the step"),
            Measurement.integer("samples", "samples seen: step * batch"),
            Measurement.real("compute", "f = d * samples"),
            Measurement.real("limit_loss", "risk of the best theta for this W: 1/2 s^2 (the capacity floor F_0)"),
            Measurement.real("lr", "gamma"),
            Measurement.real("sgd_kernel_norm", "(gamma/2) sum_i lambda_i / (1 - gamma (B+1)/2 lambda_i): bounded loss iff < 1"),
            Measurement.flag("diverged", "the risk exceeded 10^8 times its initial value or was not finite"));

    /** Gaussian numbers filled per backend call: enough to amortise the call, small enough to stay in cache. */
    private static final int BLOCK = 1 << 18;

    @Override
    public String id() {
        return "plrf";
    }

    @Override
    public String description() {
        return "power-law random features trained by one-pass SGD (Paquette et al., 4+3 phases)";
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
            double alpha = p.doubleValue("alpha");
            double beta = p.doubleValue("beta");
            if (!(2 * alpha + 2 * beta > 1)) {
                throw new IllegalArgumentException("parameters alpha = " + alpha + ", beta = " + beta
                        + " are invalid: the PLRF risk needs 2 alpha + 2 beta > 1");
            }
            if (p.doubleValue("f_max") < p.intValue("d") * (double) p.intValue("batch")) {
                throw new IllegalArgumentException("parameter f_max = " + p.doubleValue("f_max") + " is below one step, d * batch = "
                        + p.intValue("d") * (long) p.intValue("batch"));
            }
        }
    }

    /** γ = lr_trace / Σ_{j ≤ v} j^-2α. */
    static double learningRate(double lrTrace, double alpha, int v) {
        double trace = 0;
        for (int j = v; j >= 1; j--) {
            trace += Math.pow(j, -2 * alpha);
        }
        return lrTrace / trace;
    }

    static int hiddenDim(Point p) {
        long v = Math.round(p.doubleValue("v_per_d") * p.intValue("d"));
        if (v > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("hidden dimension v = v_per_d * d = " + v + " is too large");
        }
        return (int) Math.max(v, p.intValue("d"));
    }

    @Override
    public Outcome run(Backend backend, DType dtype, Point point) {
        double alpha = point.doubleValue("alpha");
        double beta = point.doubleValue("beta");
        int d = point.intValue("d");
        int v = hiddenDim(point);
        int batch = point.intValue("batch");
        int testSize = point.intValue("test");
        long seed = point.seed();
        double gamma = learningRate(point.doubleValue("lr_trace"), alpha, v);
        long steps = (long) Math.floor(point.doubleValue("f_max") / d / batch);
        Spectrum spectrum = spectrum(backend, seed, alpha, beta, v, d);
        double[] lambda = spectrum.lambda;
        double s = spectrum.residual;
        double[] rate = new double[d];
        double kernelNorm = 0;
        for (int i = 0; i < d; i++) {
            rate[i] = gamma * lambda[i];
            kernelNorm += lambda[i] / (1 - gamma * (batch + 1) / 2.0 * lambda[i]);
        }
        kernelNorm *= gamma / 2;
        double[] e = new double[d];
        for (int i = 0; i < d; i++) {
            e[i] = -spectrum.u[i]; // θ = 0
        }
        int width = d + 1; // g (d numbers) and h for each sample
        double[] test = gaussians(backend, dtype, new RandomStream(seed, LatentModel.STREAM_TEST, 0), testSize, width);
        Map<String, Object> common = new HashMap<>();
        common.put("limit_loss", 0.5 * s * s);
        common.put("lr", gamma);
        common.put("sgd_kernel_norm", kernelNorm);
        long[] at = GdOptions.logSpaced(steps, point.intValue("records_per_decade")).recordAt();
        List<Row> rows = new ArrayList<>();
        // Blocks hold a multiple of 16 batches and are filled as a 16-row matrix: the numbers depend only on
        // their row-major position, and wide rows keep the backend's fill in its vector loop.
        int blockSamples = 16 * batch * Math.max(1, BLOCK / (16 * batch * width));
        double[] block = null;
        long blockFirst = -1;
        double[] err = new double[batch];
        double[] grad = new double[d];
        double initial = risk(e, s);
        double batchLoss = Double.NaN;
        boolean diverged = false;
        long done = 0;
        try (Matrix buffer = backend.allocate(16, blockSamples / 16 * width, dtype)) {
            for (long step : at) {
                for (; done < step && !diverged; done++) {
                    long first = done * batch;
                    if (block == null || first + batch > blockFirst + blockSamples) {
                        backend.fillGaussian(buffer, new RandomStream(seed, LatentModel.STREAM_TRAIN, Math.multiplyExact(first, width)), 0, 1);
                        block = block == null ? new double[blockSamples * width] : block;
                        backend.download(buffer, block);
                        blockFirst = first;
                    }
                    int base = (int) (first - blockFirst) * width;
                    double loss = 0;
                    for (int b = 0; b < batch; b++) {
                        int o = base + b * width;
                        err[b] = dot(block, o, e, d) - s * block[o + d];
                        loss += err[b] * err[b];
                    }
                    batchLoss = 0.5 * loss / batch;
                    if (batch == 1) {
                        double c = err[0];
                        for (int i = 0; i < d; i++) {
                            e[i] -= rate[i] * c * block[base + i];
                        }
                    } else {
                        java.util.Arrays.fill(grad, 0);
                        for (int b = 0; b < batch; b++) {
                            int o = base + b * width;
                            double c = err[b];
                            for (int i = 0; i < d; i++) {
                                grad[i] += c * block[o + i];
                            }
                        }
                        for (int i = 0; i < d; i++) {
                            e[i] -= rate[i] * grad[i];
                        }
                    }
                    if ((done & 1023) == 0) {
                        double r = risk(e, s);
                        diverged = !Double.isFinite(r) || r > GdOptions.DEFAULT_DIVERGENCE_FACTOR * initial;
                    }
                }
                double population = risk(e, s);
                diverged |= !Double.isFinite(population) || population > GdOptions.DEFAULT_DIVERGENCE_FACTOR * initial;
                Map<String, Object> values = new HashMap<>(common);
                values.put("population_loss", diverged ? Double.NaN : population);
                values.put("test_loss", diverged ? Double.NaN : testLoss(test, e, s, testSize, width));
                values.put("train_loss", step == 0 || diverged ? null : batchLoss);
                values.put("samples", step * batch);
                values.put("compute", (double) step * batch * d);
                values.put("diverged", diverged);
                rows.add(new Row(step, values));
            }
        }
        // Setup: W (v·d numbers), K = WᵀDW (v·d² multiply-adds), the eigensolver (about 9d³); then per sample d + 1
        // normals, a dot and an update (4d), and 2·test·d per record.
        double flops = 2.0 * v * d * d + 9.0 * d * d * d + (double) done * batch * (4.0 * d + width)
                + 2.0 * testSize * d * at.length;
        return new Outcome(rows, flops);
    }

    private static double risk(double[] e, double s) {
        double sum = s * s;
        for (double x : e) {
            sum += x * x;
        }
        return 0.5 * sum;
    }

    private static double testLoss(double[] test, double[] e, double s, int samples, int width) {
        int d = e.length;
        double sum = 0;
        for (int r = 0; r < samples; r++) {
            double err = dot(test, r * width, e, d) - s * test[r * width + d];
            sum += err * err;
        }
        return 0.5 * sum / samples;
    }

    /** Σ_i a[offset + i]·e[i] with four accumulators (Java keeps a single sum in program order, a latency chain). */
    private static double dot(double[] a, int offset, double[] e, int d) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < d; i += 4) {
            s0 += a[offset + i] * e[i];
            s1 += a[offset + i + 1] * e[i + 1];
            s2 += a[offset + i + 2] * e[i + 2];
            s3 += a[offset + i + 3] * e[i + 3];
        }
        for (; i < d; i++) {
            s0 += a[offset + i] * e[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static double[] gaussians(Backend backend, DType dtype, RandomStream stream, int rows, int cols) {
        try (Matrix m = backend.allocate(rows, cols, dtype)) {
            backend.fillGaussian(m, stream, 0, 1);
            double[] out = new double[rows * cols];
            backend.download(m, out);
            return out;
        }
    }

    /** Λ (eigenvalues of K = WᵀDW), u = Λ^-½ Uᵀ WᵀDb and s = √(c₀ − |u|²). */
    record Spectrum(double[] lambda, double[] u, double residual) {
    }

    static Spectrum spectrum(Backend backend, long seed, double alpha, double beta, int v, int d) {
        double[] sqrtD = new double[v];
        double[] dHalfB = new double[v];
        double c0 = 0;
        for (int j = v; j >= 1; j--) {
            sqrtD[j - 1] = Math.pow(j, -alpha);
            dHalfB[j - 1] = Math.pow(j, -alpha - beta);
            c0 += dHalfB[j - 1] * dHalfB[j - 1];
        }
        double[] k = new double[d * d];
        double[] q = new double[d];
        try (Matrix wt = backend.allocate(d, v, DType.F64);
             Matrix gram = backend.allocate(d, d, DType.F64);
             Matrix target = backend.upload(dHalfB, v, 1, DType.F64);
             Matrix cross = backend.allocate(d, 1, DType.F64)) {
            backend.fillGaussian(wt, RandomStream.of(seed, LatentModel.STREAM_PROJECTION), 0, 1 / Math.sqrt(d)); // Wᵀ
            backend.scaleColumns(wt, sqrtD); // Wᵀ D^½
            backend.gramRows(1, wt, wt, gram); // WᵀDW
            backend.gemv(false, 1, wt, target, 0, cross); // WᵀDb
            backend.download(gram, k);
            backend.download(cross, q);
        }
        double[][] rows = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                rows[i][j] = 0.5 * (k[i * d + j] + k[j * d + i]);
            }
        }
        EigenDecompositionSymmetric eigen = new EigenDecompositionSymmetric(new Array2DRowRealMatrix(rows, false));
        double[] lambda = eigen.getEigenvalues();
        double floor = 1e-14 * Math.max(lambda[0], Double.MIN_NORMAL);
        double[] u = new double[d];
        double explained = 0;
        for (int i = 0; i < d; i++) {
            double proj = eigen.getEigenvector(i).dotProduct(new org.hipparchus.linear.ArrayRealVector(q, false));
            if (lambda[i] > floor) { // a mode with no variance carries no signal (its q component is 0 too)
                u[i] = proj / Math.sqrt(lambda[i]);
                explained += u[i] * u[i];
            } else {
                lambda[i] = 0;
            }
        }
        return new Spectrum(lambda, u, Math.sqrt(Math.max(c0 - explained, 0)));
    }
}
