package dev.scalekernel.harness.model;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;

/**
 * Latent inputs x ∈ R^M with independent, zero-mean coordinates of variance λ_k, and a linear teacher
 * y = x·w*. Random features φ(x) = σ(A x / √M) are computed on the backend; because the coordinates
 * are uncorrelated, a linear readout v = Aᵀw/√M has the exact population loss Σ_k λ_k (v_k − w*_k)².
 */
public interface LatentModel {

    /** Random streams of the training inputs, the test inputs and the projection A. */
    int STREAM_TRAIN = 0;
    int STREAM_TEST = 1;
    int STREAM_PROJECTION = 2;

    int latentDim();

    /** λ_k = E[x_k²], k = 1..M (a copy). */
    double[] spectrum();

    /** w*_k (a copy). */
    double[] teacher();

    /** Noise of the targets of stream s comes from stream s + NOISE_STREAM_OFFSET. */
    int NOISE_STREAM_OFFSET = 16;

    /**
     * Draws samples {@code first} … {@code first + samples − 1} of a stream and their targets
     * y = x·w* + σ·ε on the backend. Sample i is the same whatever {@code first} and {@code samples}
     * are, so training sets are nested and one-pass SGD can walk along a stream.
     *
     * @param noise σ, the standard deviation of the label noise ε ~ N(0, 1)
     */
    Sample sample(Backend backend, long first, int samples, DType dtype, long seed, int stream, double noise);

    /** The first {@code samples} of a stream, without label noise. */
    default Sample sample(Backend backend, int samples, DType dtype, long seed, int stream) {
        return sample(backend, 0, samples, dtype, seed, stream, 0);
    }

    /** Inputs and targets owned by a backend. */
    interface Sample extends AutoCloseable {
        /** Targets y (samples × 1). */
        Matrix targets();

        /** The latents X (samples × M) when they are dense, else null (then the reduced linear path is unavailable). */
        default Matrix denseInputs() {
            return null;
        }

        /** Φ = σ(X Aᵀ/√M), a new samples × N matrix the caller closes. */
        Matrix features(Matrix projection, Activation activation);

        @Override
        void close();
    }

    /** Whether samples have {@link Sample#denseInputs()} (needed by the reduced linear path). */
    default boolean denseLatents() {
        return false;
    }

    /** The projection A (N×M), iid N(0, 1). */
    default Matrix projection(Backend backend, int width, DType dtype, long seed) {
        Matrix proj = backend.allocate(width, latentDim(), dtype);
        backend.fillGaussian(proj, dev.scalekernel.api.RandomStream.of(seed, STREAM_PROJECTION), 0, 1);
        return proj;
    }

    /** Exact population loss of the linear readout w on features A x/√M: Σ_k λ_k (v_k − w*_k)², v = Aᵀw/√M. */
    default double populationLoss(Backend backend, Matrix projection, Matrix weights) {
        int m = latentDim();
        double[] lambda = spectrum();
        double[] teacher = teacher();
        try (Matrix v = backend.allocate(m, 1, weights.dtype())) {
            backend.gemv(true, 1 / Math.sqrt(m), projection, weights, 0, v);
            double[] vs = new double[m];
            backend.download(v, vs);
            double loss = 0;
            for (int k = 0; k < m; k++) {
                double d = vs[k] - teacher[k];
                loss += lambda[k] * d * d;
            }
            return loss;
        }
    }
}
