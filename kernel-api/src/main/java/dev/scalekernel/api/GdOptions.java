package dev.scalekernel.api;

import java.util.Arrays;

/**
 * How {@link Backend#gradientDescent} runs.
 *
 * @param steps            number of updates, ≥ 0
 * @param recordAt         strictly increasing steps in [0, steps] at which the loss of w_t is recorded
 * @param divergenceFactor a right-hand side has diverged when its loss is not finite or exceeds
 *                         divergenceFactor × its loss at step 0 (must be > 1)
 */
public record GdOptions(long steps, long[] recordAt, double divergenceFactor) {

    /** Default growth bound: a loss 10^8 times its starting value is far beyond any transient. */
    public static final double DEFAULT_DIVERGENCE_FACTOR = 1e8;

    public GdOptions {
        if (steps < 0) {
            throw new IllegalArgumentException("GD steps must be >= 0, got " + steps);
        }
        if (recordAt == null) {
            throw new IllegalArgumentException("GD recordAt must not be null");
        }
        recordAt = recordAt.clone();
        for (int i = 0; i < recordAt.length; i++) {
            if (recordAt[i] < 0 || recordAt[i] > steps) {
                throw new IllegalArgumentException("GD record step " + recordAt[i] + " is outside [0, " + steps + "]");
            }
            if (i > 0 && recordAt[i] <= recordAt[i - 1]) {
                throw new IllegalArgumentException("GD record steps must be strictly increasing, got "
                        + recordAt[i - 1] + " then " + recordAt[i]);
            }
        }
        if (!(divergenceFactor > 1) || Double.isInfinite(divergenceFactor)) {
            throw new IllegalArgumentException("GD divergence factor must be finite and > 1, got " + divergenceFactor);
        }
    }

    /** Records every step 0..steps (for short runs and tests). */
    public static GdOptions everyStep(long steps) {
        long[] at = new long[Math.toIntExact(steps + 1)];
        Arrays.setAll(at, i -> i);
        return new GdOptions(steps, at, DEFAULT_DIVERGENCE_FACTOR);
    }

    /**
     * Records step 0, then about {@code perDecade} log-spaced steps per decade, and the last step.
     */
    public static GdOptions logSpaced(long steps, int perDecade) {
        if (perDecade < 1) {
            throw new IllegalArgumentException("records per decade must be >= 1, got " + perDecade);
        }
        java.util.TreeSet<Long> at = new java.util.TreeSet<>();
        at.add(0L);
        at.add(steps);
        if (steps > 0) {
            double decades = Math.log10(steps);
            long n = (long) Math.ceil(decades * perDecade);
            for (long i = 0; i <= n; i++) {
                at.add(Math.min(steps, Math.round(Math.pow(10, i / (double) perDecade))));
            }
        }
        return new GdOptions(steps, at.stream().mapToLong(Long::longValue).toArray(), DEFAULT_DIVERGENCE_FACTOR);
    }

    public GdOptions withDivergenceFactor(double factor) {
        return new GdOptions(steps, recordAt, factor);
    }

    @Override
    public long[] recordAt() {
        return recordAt.clone();
    }

    public int records() {
        return recordAt.length;
    }

    public long recordStep(int i) {
        return recordAt[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GdOptions g && steps == g.steps && Arrays.equals(recordAt, g.recordAt)
                && Double.compare(divergenceFactor, g.divergenceFactor) == 0;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(steps) * 31 + Arrays.hashCode(recordAt);
    }

    @Override
    public String toString() {
        return "GdOptions[steps=" + steps + ", records=" + recordAt.length + ", divergenceFactor=" + divergenceFactor + "]";
    }
}
