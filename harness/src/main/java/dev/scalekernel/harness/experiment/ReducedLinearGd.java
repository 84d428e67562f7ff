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
import java.util.function.BiConsumer;

/**
 * Full-batch GD on linear random features without ever forming the P×N feature matrix, so memory
 * does not grow with N or P (the "reduced" path). With Φ = X Aᵀ/√M and w₀ = 0 the weights stay in the
 * range of A: w = A u/√M, and with S = XᵀX, G = AᵀA (both M×M) and c = Xᵀy one GD step is
 * <pre>  u ← u − (η/P)(S G u/M − c),  i.e.  [u; 1] ← T [u; 1],  T = I − (η/P)·[[S G/M, −c], [0, 0]]</pre>
 * one (M+1)² matrix–vector product per step, independent of N and P. S, c and G come from
 * {@link LatentGrams} (tile by tile: X Aᵀ never exists), and everything measured follows from
 * v = G u/M = Aᵀw/√M.
 */
final class ReducedLinearGd {

    private ReducedLinearGd() {
    }

    /** Estimated flops of the reduced path, for choosing it (S and G by SYRK, one triangle each). */
    static double cost(long n, long p, long m, long steps) {
        return (n + p) * m * (double) m + 2.0 * m * m * m + 2.0 * steps * (m + 1) * (m + 1);
    }

    /** Estimated flops of the materialized path (features, then full-batch GD). */
    static double materializedCost(long n, long p, long m, long steps) {
        return 2.0 * p * n * m + 4.0 * steps * p * n;
    }

    /** One GD run of a batch: its width, learning rate (fixed, or relative to λ_max) and record steps. */
    record Run(int n, double etaFixed, double etaRel, long[] recordAt) {
    }

    /**
     * Runs that share the model, seed and data: S, c and the test set are built once, and G once per
     * width, accumulated over the widths in increasing order (the rows of A for width n are the first
     * n rows of A for any larger width). G is summed over a fixed grid of row tiles, with a width
     * that ends inside a tile finishing on a copy (the largest in place), so every run gets bit for bit the numbers it gets
     * alone. Each run's outcome goes to {@code done} (with its index) as soon as it is known: the
     * widths finish in increasing order.
     */
    static void run(Backend backend, DType dtype, LatentModel model, long seed, long dataSeed, int p, int testSize,
                    double noise, List<Run> runs, LatentFeaturesExperiment.TrainingProbe probe,
                    BiConsumer<Integer, Experiment.Outcome> done) {
        int m = model.latentDim();
        long tile = LatentGrams.tileRows(m);
        try (LatentGrams.Data data = LatentGrams.data(backend, dtype, model, dataSeed, p, noise, probe);
             Matrix gSum = backend.allocate(m, m, dtype);
             LatentModel.Sample test = model.sample(backend, 0, testSize, dtype, dataSeed, LatentModel.STREAM_TEST, noise)) {
            long summed = 0; // gSum holds the Gram of A's rows [0, summed), whole tiles only
            int[] widths = runs.stream().mapToInt(Run::n).distinct().sorted().toArray();
            for (int w = 0; w < widths.length; w++) {
                int n = widths[w];
                for (; summed + tile <= n; summed += tile) {
                    LatentGrams.addProjectionRows(backend, gSum, seed, m, summed, tile);
                }
                // The largest width finishes in gSum itself; a smaller one on a copy, as gSum must stay whole tiles.
                boolean largest = w == widths.length - 1;
                Matrix g = largest ? gSum : summed == 0 ? backend.allocate(m, m, dtype) : LatentGrams.copy(backend, gSum);
                try {
                    if (summed < n) {
                        LatentGrams.addProjectionRows(backend, g, seed, m, summed, n - summed);
                    }
                    double lambdaMax = LatentGrams.lambdaMax(backend, data.s(), g, m, p, seed);
                    double[] gHost = LatentGrams.download(backend, g);
                    double[] sg;
                    try (Matrix product = backend.allocate(m, m, dtype)) {
                        backend.gemm(false, false, 1.0 / m, data.s(), g, 0, product);
                        sg = LatentGrams.download(backend, product);
                    }
                    for (int i = 0; i < runs.size(); i++) {
                        if (runs.get(i).n() == n) {
                            Experiment.Outcome outcome = train(backend, model, data, test, gHost, sg, lambdaMax, runs.get(i));
                            outcome.rows().forEach(row -> row.values().putAll(probe.values()));
                            done.accept(i, outcome);
                        }
                    }
                } finally {
                    if (g != gSum) {
                        g.close();
                    }
                }
            }
        }
    }

    /** GD from u = 0 for one run, given G and S G/M (host) and λ_max for its width. */
    private static Experiment.Outcome train(Backend backend, LatentModel model, LatentGrams.Data data, LatentModel.Sample test,
                                            double[] gHost, double[] sg, double lambdaMax, Run run) {
        DType dtype = data.s().dtype();
        int m = model.latentDim();
        long p = data.p();
        long[] recordAt = run.recordAt();
        double eta = run.etaFixed() > 0 ? run.etaFixed() : run.etaRel() / lambdaMax;
        try (Matrix step = iterationMatrix(backend, dtype, sg, data.c(), m, p, eta);
             Matrix toV = backend.upload(gToV(gHost, m), m, m + 1, dtype);
             Matrix uA = backend.upload(unit(m), m + 1, 1, dtype);
             Matrix uB = backend.allocate(m + 1, 1, dtype);
             Matrix v = backend.allocate(m, 1, dtype)) {
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
                values.put("train_loss", Double.NaN);
                values.put("test_loss", Double.NaN);
                values.put("population_loss", Double.NaN);
                if (divergedStep < 0) {
                    backend.gemv(false, 1, toV, current, 0, v);
                    double train = data.trainLoss(backend, v);
                    if (at == 0) {
                        initial = train;
                    } else if (!Double.isFinite(train) || train > GdOptions.DEFAULT_DIVERGENCE_FACTOR * initial) {
                        divergedStep = at;
                    }
                    if (divergedStep < 0) {
                        values.put("train_loss", train);
                        values.put("test_loss", LatentGrams.testLoss(backend, test, v));
                        values.put("population_loss", LatentGrams.populationLoss(model, LatentGrams.download(backend, v)));
                    }
                }
                values.put("lambda_max", lambdaMax);
                values.put("eta_used", eta);
                values.put("diverged", divergedStep >= 0);
                values.put("diverged_step", divergedStep >= 0 ? divergedStep : null);
                values.put("reduced", true);
                rows.add(new Experiment.Row(at, values));
            }
            return new Experiment.Outcome(rows, cost(run.n(), p, m, recordAt[recordAt.length - 1]));
        }
    }

    /** T = I − (η/P)·[[S G/M, −c], [0, 0]], (M+1)×(M+1), assembled on the host from S G/M. */
    private static Matrix iterationMatrix(Backend backend, DType dtype, double[] sg, double[] c, int m, long p, double eta) {
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
        return backend.upload(t, d, d, dtype);
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
}
