package dev.scalekernel.harness.model;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;

/**
 * Power-law Gaussian features (Bordelon, Atanasov, Pehlevan 2024; Maloney, Roberts, Sully 2022):
 * latents x_k ~ N(0, λ_k) independent, λ_k = k^-b; a linear teacher with λ_k·w*_k² = k^-a. All sampling
 * happens on the backend from the Philox stream, so every backend sees the same data; the first P
 * samples of a stream are the same whatever P is, so training sets are nested.
 */
public final class PowerLawGaussian implements LatentModel {

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

    @Override
    public boolean denseLatents() {
        return true;
    }

    @Override
    public int latentDim() {
        return latentDim;
    }

    @Override
    public double[] spectrum() {
        return spectrum.clone();
    }

    @Override
    public double[] teacher() {
        return teacher.clone();
    }

    @Override
    public Sample sample(Backend backend, long first, int samples, DType dtype, long seed, int stream, double noise) {
        Matrix x = backend.allocate(samples, latentDim, dtype);
        Matrix y = null;
        try (Matrix w = backend.upload(teacher, latentDim, 1, dtype)) {
            backend.fillGaussian(x, new RandomStream(seed, stream, Math.multiplyExact(first, latentDim)), 0, 1);
            double[] sqrt = new double[latentDim];
            for (int k = 0; k < latentDim; k++) {
                sqrt[k] = Math.sqrt(spectrum[k]);
            }
            backend.scaleColumns(x, sqrt);
            y = backend.allocate(samples, 1, dtype);
            if (noise > 0) { // y = σ·ε, then y += X w*
                backend.fillGaussian(y, new RandomStream(seed, stream + NOISE_STREAM_OFFSET, first), 0, noise);
            }
            backend.gemv(false, 1, x, w, noise > 0 ? 1 : 0, y);
        } catch (RuntimeException e) {
            x.close();
            if (y != null) {
                y.close();
            }
            throw e;
        }
        return new DenseSample(backend, x, y);
    }

    private record DenseSample(Backend backend, Matrix x, Matrix targets) implements Sample {
        @Override
        public Matrix denseInputs() {
            return x;
        }

        @Override
        public Matrix features(Matrix projection, Activation activation) {
            Matrix phi = backend.allocate(x.rows(), projection.rows(), x.dtype());
            backend.featureMap(1 / Math.sqrt(x.cols()), x, projection, activation, phi);
            return phi;
        }

        @Override
        public void close() {
            targets.close();
            x.close();
        }
    }

    @Override
    public String toString() {
        return "power-law Gaussian latents (M=" + latentDim + ", a=" + a + ", b=" + b + ")";
    }
}
