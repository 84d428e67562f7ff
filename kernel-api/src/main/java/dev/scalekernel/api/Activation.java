package dev.scalekernel.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Element-wise activation σ fused into the feature maps. {@link #apply(double)} is the reference
 * definition, evaluated in double; backends may evaluate differently within the tolerance the
 * conformance suite derives from {@link #lipschitz()} and {@link #ulps()}.
 */
public enum Activation {
    /** σ(z) = z. */
    IDENTITY(1.0, 0),
    /** σ(z) = max(z, 0). */
    RELU(1.0, 0),
    /** σ(z) = tanh(z). */
    TANH(1.0, 4),
    /** σ(z) = erf(z), the activation whose arc-cosine-type kernel is known in closed form. */
    ERF(2.0 / Math.sqrt(Math.PI), 4);

    private final double lipschitz;
    private final int ulps;

    Activation(double lipschitz, int ulps) {
        this.lipschitz = lipschitz;
        this.ulps = ulps;
    }

    /** Lipschitz constant of σ: an error e in the argument moves σ by at most lipschitz·e. */
    public double lipschitz() {
        return lipschitz;
    }

    /** Evaluation error a backend may add on top of the rounding of its result, in ulps of the result. */
    public int ulps() {
        return ulps;
    }

    /** The reference definition, in double. */
    public double apply(double z) {
        return switch (this) {
            case IDENTITY -> z;
            case RELU -> z > 0 ? z : 0.0;
            case TANH -> Math.tanh(z);
            case ERF -> erf(z);
        };
    }

    /**
     * erf in double to a few ulps: erf(x) = 2/√π · e^{-x²} · Σ_n 2^n x^{2n+1} / (1·3·…·(2n+1)).
     * Every term is positive, so there is no cancellation; the series converges for all x and
     * needs about x² + 40 terms at full precision. Beyond |x| = 6, erf(x) = ±1 in double.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        if (ax >= 6.0) {
            return Math.copySign(1.0, x);
        }
        double x2 = ax * ax;
        double term = ax;
        double sum = ax;
        for (int n = 1; n < 400; n++) {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) {
                break;
            }
        }
        double r = 2.0 / Math.sqrt(Math.PI) * Math.exp(-x2) * sum;
        return Math.copySign(Math.min(r, 1.0), x);
    }

    /** Parses a name such as "relu" (case-insensitive). */
    public static Activation parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown activation '" + s + "'; expected one of "
                    + Arrays.stream(values()).map(Activation::toString).collect(Collectors.joining(", ")));
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
