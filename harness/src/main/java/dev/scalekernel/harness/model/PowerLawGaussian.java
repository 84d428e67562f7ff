package dev.scalekernel.harness.model;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;

/**
 * Power-law Gaussian features (Bordelon, Atanasov, Pehlevan 2024; Maloney, Roberts, Sully 2022):
 * latents x ∈ R^M with independent coordinates x_k ~ N(0, λ_k), λ_k = k^-b; a linear teacher
 * y = x·w* with λ_k·w*_k² = k^-a; random features φ(x) = σ(A x / √M) with A (N×M) iid N(0, 1).
 * All sampling happens on the backend from the Philox stream, so every backend sees the same data.
 *
 * <p>Random streams: {@link #STREAM_TRAIN} latents of the training set, {@link #STREAM_TEST} of the
 * test set, {@link #STREAM_PROJECTION} the projection A.
 */
public final class PowerLawGaussian {
    public static final int STREAM_TRAIN = 0;
    public static final int STREAM_TEST = 1;
    public static final int STREAM_PROJECTION = 2;

    private final int latentDim;
    private final double a;
    private final double b;
    private final double[] spectrum;
    private final double[] teacher;

    /**
     * @param latentDim M ≥ 1
     * @param a         task exponent, λ_k w*_k² = k^-a (a > 1 for a finite target variance)
     * @param b         spectrum exponent, λ_k = k^-b (b > 0)
     */
    public PowerLawGaussian(int latentDim, double a, double b) {
        if (latentDim < 1) {
            throw new IllegalArgumentException("latent dimension M must be >= 1, got " + latentDim);
        }
        if (!(b > 0) || !Double.isFinite(b)) {
            throw new IllegalArgumentException("spectrum exponent b must be > 0, got " + b);
        }
        if (!(a > 1) || !Double.isFinite(a)) {
            throw new IllegalArgumentException("task exponent a must be > 1, got " + a);
        }
        this.latentDim = latentDim;
        this.a = a;
        this.b = b;
        this.spectrum = new double[latentDim];
        this.teacher = new double[latentDim];
        for (int k = 1; k <= latentDim; k++) {
            spectrum[k - 1] = Math.pow(k, -b);
            teacher[k - 1] = Math.sqrt(Math.pow(k, -a) / spectrum[k - 1]);
        }
    }

    public int latentDim() {
        return latentDim;
    }

    /** λ_k, k = 1..M (a copy). */
    public double[] spectrum() {
        return spectrum.clone();
    }

    /** w*_k, k = 1..M (a copy). */
    public double[] teacher() {
        return teacher.clone();
    }

    /** E[y²] = Σ λ_k w*_k², the loss of the zero predictor. */
    public double targetVariance() {
        double s = 0;
        for (int k = 0; k < latentDim; k++) {
            s += spectrum[k] * teacher[k] * teacher[k];
        }
        return s;
    }

    /** P latent samples (P×M), rows x_i with covariance diag(λ). */
    public Matrix sampleLatents(Backend backend, int samples, DType dtype, long seed, int stream) {
        Matrix x = backend.allocate(samples, latentDim, dtype);
        backend.fillGaussian(x, RandomStream.of(seed, stream), 0, 1);
        double[] sqrt = new double[latentDim];
        for (int k = 0; k < latentDim; k++) {
            sqrt[k] = Math.sqrt(spectrum[k]);
        }
        backend.scaleColumns(x, sqrt);
        return x;
    }

    /** Targets y = X w* (P×1). */
    public Matrix targets(Backend backend, Matrix latents) {
        try (Matrix w = backend.upload(teacher, latentDim, 1, latents.dtype())) {
            Matrix y = backend.allocate(latents.rows(), 1, latents.dtype());
            backend.gemv(false, 1, latents, w, 0, y);
            return y;
        }
    }

    /** The projection A (N×M), iid N(0, 1). */
    public Matrix projection(Backend backend, int width, DType dtype, long seed) {
        Matrix proj = backend.allocate(width, latentDim, dtype);
        backend.fillGaussian(proj, RandomStream.of(seed, STREAM_PROJECTION), 0, 1);
        return proj;
    }

    /** Φ = σ(X Aᵀ / √M) (P×N). */
    public Matrix features(Backend backend, Matrix latents, Matrix projection, Activation activation) {
        Matrix phi = backend.allocate(latents.rows(), projection.rows(), latents.dtype());
        backend.featureMap(1 / Math.sqrt(latentDim), latents, projection, activation, phi);
        return phi;
    }

    /**
     * Exact population loss of linear features: with v = Aᵀw/√M the prediction is x·v, so
     * E[(x·v − x·w*)²] = Σ_k λ_k (v_k − w*_k)².
     */
    public double populationLoss(Backend backend, Matrix projection, Matrix weights) {
        try (Matrix v = backend.allocate(latentDim, 1, weights.dtype())) {
            backend.gemv(true, 1 / Math.sqrt(latentDim), projection, weights, 0, v);
            double[] vs = new double[latentDim];
            backend.download(v, vs);
            double loss = 0;
            for (int k = 0; k < latentDim; k++) {
                double d = vs[k] - teacher[k];
                loss += spectrum[k] * d * d;
            }
            return loss;
        }
    }

    @Override
    public String toString() {
        return "power-law Gaussian features (M=" + latentDim + ", a=" + a + ", b=" + b + ")";
    }
}
