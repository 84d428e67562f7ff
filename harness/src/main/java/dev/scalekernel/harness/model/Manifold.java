package dev.scalekernel.harness.model;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;

import java.util.Locale;

/**
 * Inputs uniform on a d-dimensional manifold of unit norm (Bahri et al., "Explaining Neural Scaling
 * Laws": the resolution-limited exponents depend on the intrinsic dimension d, not on the ambient one).
 * <ul>
 *   <li>torus: angles θ ∈ [0, 2π)^d, embedded in R^{2d} as x = (cos θ_1, sin θ_1, …, cos θ_d, sin θ_d)/√d;</li>
 *   <li>sphere: the unit sphere S^d in R^{d+1}, x = g/|g| with g ~ N(0, I).</li>
 * </ul>
 * The random numbers come from the backend's Philox stream in f64 (the same bits on every backend);
 * sample i uses numbers i·k … i·k + k − 1 (k = d angles, or d + 1 normals), so sample i is the same
 * whatever the first sample and the count of a draw are, and training sets are nested. An embedding
 * rotated into a higher ambient dimension would change nothing for isotropic random features
 * (F and F·Q have the same law for orthogonal Q), so none is offered.
 */
public final class Manifold {

    public enum Kind { TORUS, SPHERE }

    private final Kind kind;
    private final int dimension;

    /**
     * @param kind      torus or sphere
     * @param dimension intrinsic dimension d ≥ 1
     */
    public Manifold(Kind kind, int dimension) {
        if (kind == null) {
            throw new IllegalArgumentException("manifold kind is missing; expected torus or sphere");
        }
        if (dimension < 1) {
            throw new IllegalArgumentException("manifold dimension d must be >= 1, got " + dimension);
        }
        this.kind = kind;
        this.dimension = dimension;
    }

    /** Parses "torus" or "sphere" (case-insensitive). */
    public static Kind kind(String name) {
        try {
            return Kind.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown manifold '" + name + "'; expected torus or sphere");
        }
    }

    public Kind kind() {
        return kind;
    }

    /** The intrinsic dimension d. */
    public int dimension() {
        return dimension;
    }

    /** The embedding dimension D: 2d for the torus, d + 1 for the sphere. */
    public int ambientDim() {
        return kind == Kind.TORUS ? 2 * dimension : dimension + 1;
    }

    /** Random numbers per sample. */
    private int numbersPerSample() {
        return kind == Kind.TORUS ? dimension : dimension + 1;
    }

    /**
     * Samples {@code first} … {@code first + count − 1} of a stream, row-major count × D, in double.
     */
    public double[] sample(Backend backend, long seed, int stream, long first, int count) {
        if (count < 0 || first < 0) {
            throw new IllegalArgumentException("manifold sample: first and count must be >= 0, got " + first + ", " + count);
        }
        int k = numbersPerSample();
        int dim = ambientDim();
        double[] raw = new double[Math.multiplyExact(count, k)];
        if (count > 0) {
            try (Matrix m = backend.allocate(count, k, DType.F64)) {
                RandomStream rs = RandomStream.of(seed, stream).skip(Math.multiplyExact(first, (long) k));
                if (kind == Kind.TORUS) {
                    backend.fillUniform(m, rs, 0, 2 * Math.PI);
                } else {
                    backend.fillGaussian(m, rs, 0, 1);
                }
                backend.download(m, raw);
            }
        }
        double[] x = new double[Math.multiplyExact(count, dim)];
        for (int i = 0; i < count; i++) {
            if (kind == Kind.TORUS) {
                double inv = 1 / Math.sqrt(dimension);
                for (int j = 0; j < dimension; j++) {
                    double theta = raw[i * k + j];
                    x[i * dim + 2 * j] = StrictMath.cos(theta) * inv;
                    x[i * dim + 2 * j + 1] = StrictMath.sin(theta) * inv;
                }
            } else {
                double norm = 0;
                for (int j = 0; j < k; j++) {
                    norm += raw[i * k + j] * raw[i * k + j];
                }
                norm = Math.sqrt(norm);
                for (int j = 0; j < k; j++) {
                    x[i * dim + j] = raw[i * k + j] / norm;
                }
            }
        }
        return x;
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(Locale.ROOT) + " of dimension " + dimension + " in R^" + ambientDim();
    }
}
