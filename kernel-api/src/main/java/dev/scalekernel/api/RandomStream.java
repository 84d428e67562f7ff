package dev.scalekernel.api;

/**
 * Where a fill draws its numbers from: element i of the filled matrix (row-major index) is number
 * {@code offset + i} of the Philox4x32-10 stream keyed by {@code seed} and tagged by {@code stream}.
 * Any element can therefore be regenerated on its own, on any backend, bit for bit
 * (see {@link dev.scalekernel.api.random.Philox}).
 *
 * @param seed   the 64-bit Philox key
 * @param stream an independent sub-stream (e.g. 0 for inputs, 1 for the projection, 2 for noise)
 * @param offset index of the first number used, ≥ 0
 */
public record RandomStream(long seed, int stream, long offset) {
    public RandomStream {
        if (offset < 0) {
            throw new IllegalArgumentException("random stream offset must be >= 0, got " + offset);
        }
    }

    public static RandomStream of(long seed, int stream) {
        return new RandomStream(seed, stream, 0);
    }

    /** The same stream, starting {@code count} numbers later. */
    public RandomStream skip(long count) {
        return new RandomStream(seed, stream, Math.addExact(offset, count));
    }
}
