package dev.scalekernel.harness.model;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.Csr;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.SparseMatrix;
import dev.scalekernel.api.random.Philox;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Sparse latents (Sous & Winer, "Asymmetric Scaling Laws from Sparse Features", arXiv 2605.23591):
 * coordinate k of x ∈ R^M is active with probability p_k = p_max·k^-(1+s) (or a constant p), and an
 * active coordinate is N(0, 1) or a random sign, so E[x_k²] = p_k (q_k = 1). The teacher is linear with
 * p_k·w*_k² = k^-a, the same task exponent as {@link PowerLawGaussian}, so the two models share their
 * covariance and differ only in how sparse and heavy-tailed the inputs are. Inputs are built on the
 * host as CSR from the Philox stream (activity: fp64 uniforms, values: fp64 normals, element i·M + k)
 * and mapped to features with the backend's CSR feature map. The coordinates are independent and
 * zero-mean, so the latent-space (reduced) path applies to linear features as for dense latents; it
 * reads a tile's inputs densified ({@link SparseSample#denseInputs()}).
 */
public final class SparseLatents implements LatentModel {

    /** How the activity probabilities fall with the coordinate index. */
    public enum Activity { POWER, CONSTANT }

    /** Distribution of an active coordinate's value (unit second moment either way). */
    public enum Values { GAUSSIAN, SIGN }

    private final int latentDim;
    private final double[] probability;
    private final double[] teacher;
    private final Values values;

    /**
     * @param s        sparsity exponent: p_k ∝ k^-(1+s) (POWER); ignored for CONSTANT
     * @param pMax     p_1 for POWER, the common p for CONSTANT, in (0, 1]
     * @param a        task exponent: p_k w*_k² = k^-a
     */
    public SparseLatents(int latentDim, Activity activity, double s, double pMax, double a, Values values) {
        if (latentDim < 1) {
            throw new IllegalArgumentException("latent dimension M must be >= 1, got " + latentDim);
        }
        if (!(pMax > 0 && pMax <= 1)) {
            throw new IllegalArgumentException("p_max must be in (0, 1], got " + pMax);
        }
        if (!(s >= 0) || !Double.isFinite(s)) {
            throw new IllegalArgumentException("sparsity exponent s must be >= 0, got " + s);
        }
        this.latentDim = latentDim;
        this.values = values;
        this.probability = new double[latentDim];
        this.teacher = new double[latentDim];
        for (int k = 1; k <= latentDim; k++) {
            probability[k - 1] = activity == Activity.CONSTANT ? pMax : pMax * Math.pow(k, -(1 + s));
            teacher[k - 1] = Math.sqrt(Math.pow(k, -a) / probability[k - 1]);
        }
    }

    @Override
    public int latentDim() {
        return latentDim;
    }

    /** λ_k = p_k·q_k = p_k. */
    @Override
    public double[] spectrum() {
        return probability.clone();
    }

    @Override
    public double[] teacher() {
        return teacher.clone();
    }

    /** E[Σ_{k never active in P samples} w*_k² q_k] = Σ_k w*_k² (1 − p_k)^P. */
    public double expectedUnseenMass(int samples) {
        double mass = 0;
        for (int k = 0; k < latentDim; k++) {
            mass += teacher[k] * teacher[k] * Math.pow(1 - probability[k], samples);
        }
        return mass;
    }

    @Override
    public boolean denseLatents() {
        return true;
    }

    @Override
    public SparseSample sample(Backend backend, long first, int samples, DType dtype, long seed, int stream, double noise) {
        HostSample host = sampleOnHost(first, samples, seed, stream, noise);
        SparseMatrix x = backend.upload(host.csr(), dtype);
        try {
            Matrix y = backend.upload(host.targets(), samples, 1, dtype);
            return new SparseSample(backend, host, x, y);
        } catch (RuntimeException e) {
            x.close();
            throw e;
        }
    }

    /**
     * Σ w*_k² over the coordinates that none of the given draws activated: the unseen mass of a
     * training set drawn in parts.
     */
    public double unseenMass(BitSet seen) {
        double unseen = 0;
        for (int k = seen.nextClearBit(0); k < latentDim; k = seen.nextClearBit(k + 1)) {
            unseen += teacher[k] * teacher[k];
        }
        return unseen;
    }

    /**
     * The inputs as CSR, their targets, the coordinates some sample activated, and Σ w*_k² over
     * those no sample activated.
     */
    public record HostSample(Csr csr, double[] targets, BitSet seen, double unseenMass) {
    }

    /** The first {@code samples} of a stream, without noise. */
    public HostSample sampleOnHost(int samples, long seed, int stream) {
        return sampleOnHost(0, samples, seed, stream, 0);
    }

    /** Samples first … first + samples − 1 of a stream; targets get σ·ε from the noise stream. */
    public HostSample sampleOnHost(long first, int samples, long seed, int stream, double noise) {
        int[] rowStart = new int[samples + 1];
        int[] columns = new int[Math.max(16, (int) Math.min(Integer.MAX_VALUE - 8, expectedNonZeros(samples) * 1.2 + 16))];
        double[] vals = new double[columns.length];
        double[] targets = new double[samples];
        BitSet seen = new BitSet(latentDim);
        int[] block = new int[4];
        int nnz = 0;
        for (int i = 0; i < samples; i++) {
            double y = 0;
            long base = Math.multiplyExact(first + i, latentDim);
            for (int k = 0; k < latentDim; k++) {
                long e = base + k;
                if (k == 0 || (e & 1) == 0) {
                    Philox.block(seed, stream, Philox.TAG_UNIFORM_F64, e >>> 1, block);
                }
                int lane = (int) (e & 1);
                double u = Philox.uniformF64(block[2 * lane], block[2 * lane + 1]);
                if (u < probability[k]) {
                    double z = Philox.normalF64(seed, stream, e);
                    double v = values == Values.GAUSSIAN ? z : Math.copySign(1.0, z);
                    if (nnz == columns.length) {
                        columns = Arrays.copyOf(columns, Math.multiplyExact(columns.length, 2));
                        vals = Arrays.copyOf(vals, columns.length);
                    }
                    columns[nnz] = k;
                    vals[nnz++] = v;
                    y += v * teacher[k];
                    seen.set(k);
                }
            }
            targets[i] = noise > 0 ? y + noise * Philox.normalF64(seed, stream + NOISE_STREAM_OFFSET, first + i) : y;
            rowStart[i + 1] = nnz;
        }
        return new HostSample(new Csr(samples, latentDim, rowStart, Arrays.copyOf(columns, nnz), Arrays.copyOf(vals, nnz)),
                targets, seen, unseenMass(seen));
    }

    private double expectedNonZeros(int samples) {
        return Arrays.stream(probability).sum() * samples;
    }

    /** Sparse inputs on a backend, with what the draw activated and its unseen mass. */
    public static final class SparseSample implements Sample {
        private final Backend backend;
        private final HostSample host;
        private final SparseMatrix x;
        private final Matrix targets;
        private Matrix dense;

        SparseSample(Backend backend, HostSample host, SparseMatrix x, Matrix targets) {
            this.backend = backend;
            this.host = host;
            this.x = x;
            this.targets = targets;
        }

        public SparseMatrix x() {
            return x;
        }

        @Override
        public Matrix targets() {
            return targets;
        }

        /** The coordinates some sample of this draw activated. */
        public BitSet seen() {
            return (BitSet) host.seen().clone();
        }

        public double unseenMass() {
            return host.unseenMass();
        }

        /** The inputs as a dense samples × M matrix, built on first use and closed with the sample. */
        @Override
        public Matrix denseInputs() {
            if (dense == null) {
                Csr csr = host.csr();
                double[] values = new double[Math.multiplyExact(csr.rows(), csr.cols())];
                for (int i = 0; i < csr.rows(); i++) {
                    for (int e = csr.rowStart()[i]; e < csr.rowStart()[i + 1]; e++) {
                        values[i * csr.cols() + csr.columns()[e]] = csr.values()[e];
                    }
                }
                dense = backend.upload(values, csr.rows(), csr.cols(), x.dtype());
            }
            return dense;
        }

        @Override
        public Matrix features(Matrix projection, Activation activation) {
            Matrix phi = backend.allocate(x.rows(), projection.rows(), x.dtype());
            backend.featureMapSparse(1 / Math.sqrt(x.cols()), x, projection, activation, phi);
            return phi;
        }

        @Override
        public void close() {
            if (dense != null) {
                dense.close();
            }
            targets.close();
            x.close();
        }
    }
}
