package dev.scalekernel.api;

/**
 * How {@link Backend#lambdaMax} iterates.
 *
 * @param maxIterations  at most this many Krylov (Lanczos) steps, ≥ 1
 * @param relTolerance   stop when the estimate changes by less than relTolerance·estimate between steps
 * @param seed           seed of the Philox start vector (stream {@link #START_STREAM})
 */
public record LambdaMaxOptions(int maxIterations, double relTolerance, long seed) {
    public static final int START_STREAM = 0x5ca1e;

    public LambdaMaxOptions {
        if (maxIterations < 1) {
            throw new IllegalArgumentException("lambdaMax maxIterations must be >= 1, got " + maxIterations);
        }
        if (!(relTolerance > 0) || !(relTolerance < 1)) {
            throw new IllegalArgumentException("lambdaMax relTolerance must be in (0, 1), got " + relTolerance);
        }
    }

    /** 300 steps, relative change 1e-10. */
    public static LambdaMaxOptions defaults(long seed) {
        return new LambdaMaxOptions(300, 1e-10, seed);
    }
}
