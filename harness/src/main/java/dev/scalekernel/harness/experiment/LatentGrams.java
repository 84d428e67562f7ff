package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.harness.model.LatentModel;

/**
 * The M×M quantities every reduced (latent-space) trainer of linear random features works with,
 * built tile by tile so that memory never grows with N or P. With Φ = X Aᵀ/√M (X: P×M latents,
 * A: N×M projection) and v = Aᵀw/√M:
 * <ul>
 *   <li>S = XᵀX, c = Xᵀy and yᵀy from the training stream ({@link #data}),
 *   <li>G = AᵀA from the projection stream ({@link #addProjectionRows}),
 *   <li>λ_max(ΦᵀΦ/P) = λ_max(S G)/(M P) ({@link #lambdaMax}),
 *   <li>train loss (vᵀSv − 2vᵀc + yᵀy)/P and the population loss Σ_k λ_k (v_k − w*_k)².
 * </ul>
 * Every tile is drawn from the same Philox positions as the materialized path, so both see the same
 * numbers; tiles are summed by SYRK ({@code gramColumns} with β = 1), one triangle each.
 */
final class LatentGrams {

    /** Elements per tile: 2^22 (16 MiB in fp32) bound the working memory whatever N and P are. */
    static final long TILE_ELEMENTS = 1L << 22;

    private LatentGrams() {
    }

    /** Rows per tile for latent dimension m. */
    static long tileRows(int m) {
        return Math.max(1, Math.min(Integer.MAX_VALUE, TILE_ELEMENTS / m));
    }

    /** S = XᵀX (on the backend), c = Xᵀy and yᵀy (on the host) over the P training rows. */
    record Data(Matrix s, double[] c, double yy, long p) implements AutoCloseable {

        /** (vᵀSv − 2vᵀc + yᵀy)/P, the train loss of the readout with latent image v. */
        double trainLoss(Backend backend, Matrix v) {
            int m = c.length;
            try (Matrix sv = backend.allocate(m, 1, v.dtype())) {
                backend.gemv(false, 1, s, v, 0, sv);
                double[] vh = download(backend, v);
                double[] svh = download(backend, sv);
                double vSv = 0;
                double vc = 0;
                for (int k = 0; k < m; k++) {
                    vSv += vh[k] * svh[k];
                    vc += vh[k] * c[k];
                }
                return (vSv - 2 * vc + yy) / p;
            }
        }

        @Override
        public void close() {
            s.close();
        }
    }

    /** Accumulates S, c and yᵀy over the first p samples of the training stream, tile by tile, showing each tile to the probe. */
    static Data data(Backend backend, DType dtype, LatentModel model, long dataSeed, long p, double noise,
                     LatentFeaturesExperiment.TrainingProbe probe) {
        int m = model.latentDim();
        long tile = tileRows(m);
        Matrix s = backend.allocate(m, m, dtype);
        try (Matrix c = backend.allocate(m, 1, dtype)) {
            double yy = 0;
            for (long first = 0; first < p; first += tile) {
                int rows = (int) Math.min(tile, p - first);
                try (LatentModel.Sample part = model.sample(backend, first, rows, dtype, dataSeed, LatentModel.STREAM_TRAIN, noise)) {
                    probe.accept(part);
                    Matrix x = part.denseInputs();
                    backend.gramColumns(1, x, first == 0 ? 0 : 1, s);
                    backend.gemv(true, 1, x, part.targets(), first == 0 ? 0 : 1, c);
                    yy += backend.dot(part.targets(), part.targets());
                }
            }
            return new Data(s, download(backend, c), yy, p);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** G = AᵀA for the first n rows of the projection A, summed over the fixed grid of row tiles. */
    static Matrix projectionGram(Backend backend, DType dtype, int m, long seed, long n) {
        long tile = tileRows(m);
        Matrix g = backend.allocate(m, m, dtype);
        try {
            for (long first = 0; first < n; first += tile) {
                addProjectionRows(backend, g, seed, m, first, Math.min(tile, n - first));
            }
            return g;
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /** g ← g + AᵀA over rows [first, first + rows) of A (g ← AᵀA when first = 0), the rows drawn and dropped. */
    static void addProjectionRows(Backend backend, Matrix g, long seed, int m, long first, long rows) {
        try (Matrix a = backend.allocate(Math.toIntExact(rows), m, g.dtype())) {
            backend.fillGaussian(a, new RandomStream(seed, LatentModel.STREAM_PROJECTION, first * m), 0, 1);
            backend.gramColumns(1, a, first == 0 ? 0 : 1, g);
        }
    }

    /**
     * λ_max(S G)/(M P) = λ_max(ΦᵀΦ/P) by power iteration; S G is self-adjoint in ⟨x, y⟩_G = xᵀ G y,
     * so the G-Rayleigh quotient converges as (λ₂/λ₁)^2k, down to the rounding of the products.
     */
    static double lambdaMax(Backend backend, Matrix s, Matrix g, int m, long p, long seed) {
        DType dtype = s.dtype();
        try (Matrix x = backend.allocate(m, 1, dtype);
             Matrix gx = backend.allocate(m, 1, dtype);
             Matrix sgx = backend.allocate(m, 1, dtype)) {
            backend.fillGaussian(x, RandomStream.of(seed, LambdaMaxOptions.START_STREAM), 0, 1);
            double tolerance = powerTolerance(dtype);
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
                if (!(norm > 0) || Math.abs(estimate - previous) <= tolerance * estimate) {
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

    /**
     * Where a power iteration stops: when its Rayleigh quotient moves by less than this, relative. The
     * quotient converges as (λ₂/λ₁)^2k down to the rounding of the products it is computed from, so
     * 1e-10 would never be reached in fp32.
     */
    static double powerTolerance(DType dtype) {
        return Math.max(1e-10, 64 * dtype.unitRoundoff());
    }

    /** Σ_k λ_k (v_k − w*_k)², the exact population loss of the readout with latent image v (host). */
    static double populationLoss(LatentModel model, double[] v) {
        double[] lambda = model.spectrum();
        double[] teacher = model.teacher();
        double loss = 0;
        for (int k = 0; k < v.length; k++) {
            double d = v[k] - teacher[k];
            loss += lambda[k] * d * d;
        }
        return loss;
    }

    /** Mean squared error of the test predictions X_test v. */
    static double testLoss(Backend backend, LatentModel.Sample test, Matrix v) {
        return meanSquaredError(backend, test.denseInputs(), v, test.targets());
    }

    /** (1/rows)|A w − y|² for one column w. */
    static double meanSquaredError(Backend backend, Matrix a, Matrix w, Matrix y) {
        try (Matrix prediction = backend.allocate(a.rows(), 1, w.dtype())) {
            backend.gemv(false, 1, a, w, 0, prediction);
            return backend.meanSquaredError(prediction, y)[0];
        }
    }

    /** An exact copy of a matrix on the same backend (through the host). */
    static Matrix copy(Backend backend, Matrix from) {
        if (from.dtype() == DType.F32) {
            float[] values = new float[Math.toIntExact(from.size())];
            backend.download(from, values);
            return backend.upload(values, from.rows(), from.cols());
        }
        return backend.upload(download(backend, from), from.rows(), from.cols(), DType.F64);
    }

    static double[] download(Backend backend, Matrix m) {
        double[] values = new double[Math.toIntExact(m.size())];
        backend.download(m, values);
        return values;
    }
}
