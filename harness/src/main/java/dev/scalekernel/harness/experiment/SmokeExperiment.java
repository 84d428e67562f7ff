package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.GdResult;
import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.harness.model.PowerLawGaussian;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The end-to-end check of the whole stack: for each (N, P) it samples data and features on the
 * backend, fits ridge and runs gradient descent at η = 1/λ_max, and measures train, test and exact
 * population losses. Every backend op the science needs is on this path.
 */
public final class SmokeExperiment {

    /** One grid point's measurements. */
    public record Row(int width, int samples, double ridgeTestLoss, double ridgePopulationLoss, double lambdaMax,
                      double gdTrainLoss, double gdTestLoss, double gdPopulationLoss, long gdDivergedStep, double seconds) {
    }

    private SmokeExperiment() {
    }

    public static List<Row> run(Backend backend, SmokeSpec spec, DType dtype, PrintWriter progress) {
        PowerLawGaussian model = new PowerLawGaussian(spec.latentDim(), spec.a(), spec.b());
        List<Row> rows = new ArrayList<>();
        int total = spec.widths().length * spec.samples().length;
        try (Matrix testX = model.sampleLatents(backend, spec.testSize(), dtype, spec.seed(), PowerLawGaussian.STREAM_TEST);
             Matrix testY = model.targets(backend, testX)) {
            for (int p : spec.samples()) {
                for (int n : spec.widths()) {
                    long start = System.nanoTime();
                    rows.add(point(backend, model, spec, dtype, n, p, testX, testY, start));
                    if (progress != null) {
                        progress.printf("  point %d/%d done (N=%d, P=%d) in %.2f s%n", rows.size(), total, n, p,
                                rows.getLast().seconds());
                    }
                }
            }
        }
        return rows;
    }

    private static Row point(Backend backend, PowerLawGaussian model, SmokeSpec spec, DType dtype, int n, int p,
                             Matrix testX, Matrix testY, long start) {
        try (Matrix x = model.sampleLatents(backend, p, dtype, spec.seed(), PowerLawGaussian.STREAM_TRAIN);
             Matrix y = model.targets(backend, x);
             Matrix a = model.projection(backend, n, dtype, spec.seed());
             Matrix phi = model.features(backend, x, a, Activation.IDENTITY);
             Matrix testPhi = model.features(backend, testX, a, Activation.IDENTITY);
             Matrix w = backend.allocate(n, 1, dtype);
             Matrix wGd = backend.allocate(n, 1, dtype);
             Matrix prediction = backend.allocate(spec.testSize(), 1, dtype)) {
            backend.ridgeSolve(phi, y, spec.ridge(), w);
            backend.gemv(false, 1, testPhi, w, 0, prediction);
            double ridgeTest = backend.meanSquaredError(prediction, testY)[0];
            double ridgePopulation = model.populationLoss(backend, a, w);

            double lambdaMax = backend.lambdaMax(phi, LambdaMaxOptions.defaults(spec.seed()));
            GdResult gd = backend.gradientDescent(phi, y, wGd, new double[] {1 / lambdaMax},
                    GdOptions.logSpaced(spec.steps(), 4));
            backend.gemv(false, 1, testPhi, wGd, 0, prediction);
            double gdTest = backend.meanSquaredError(prediction, testY)[0];
            double gdPopulation = model.populationLoss(backend, a, wGd);
            return new Row(n, p, ridgeTest, ridgePopulation, lambdaMax, gd.finalLoss(0), gdTest, gdPopulation,
                    gd.divergedStep()[0], (System.nanoTime() - start) / 1e9);
        }
    }

    /** The results as an aligned text table. */
    public static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%7s %7s | %12s %12s | %10s %12s %12s %12s | %7s%n", "N", "P", "ridge test", "ridge pop",
                "lambda_max", "GD train", "GD test", "GD pop", "seconds"));
        for (Row r : rows) {
            sb.append(String.format("%7d %7d | %12.5e %12.5e | %10.4f %12.5e %12.5e %12.5e | %7.2f%s%n", r.width(), r.samples(),
                    r.ridgeTestLoss(), r.ridgePopulationLoss(), r.lambdaMax(), r.gdTrainLoss(), r.gdTestLoss(),
                    r.gdPopulationLoss(), r.seconds(), r.gdDivergedStep() >= 0 ? "  GD diverged at step " + r.gdDivergedStep() : ""));
        }
        return sb.toString();
    }
}
