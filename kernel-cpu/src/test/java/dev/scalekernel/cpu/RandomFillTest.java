package dev.scalekernel.cpu;

import dev.scalekernel.api.DType;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.api.random.Philox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The vector fills against the scalar twin, number by number and bit for bit: every element i is
 * compared with {@code Philox.normalF32/F64(seed, stream, offset + i)} (or uniformF32/F64) mapped
 * by the same fma, over millions of elements per dtype and distribution. Offsets cover every
 * position within a Philox block and within a group of blocks, and a stream position where the
 * block number crosses 2^32 (the second counter word changes inside a group); sizes are empty,
 * below, at and one past a vector and a group, prime, and one past a task chunk. Fills run on
 * pools of 1, 2 and 3 threads, into a poisoned slice with guard elements on both sides that must
 * stay untouched.
 */
class RandomFillTest {

    /** Elements of guard before and after the filled slice. */
    private static final int GUARD = 67;
    private static final int POISON_F32 = Float.floatToRawIntBits(Float.NaN) ^ 0x1234;
    private static final long POISON_F64 = Double.doubleToRawLongBits(Double.NaN) ^ 0x1234;

    private final SplittableRandom random = new SplittableRandom(Long.getLong("sk.test.seed", 20261125L));

    enum Fill { GAUSSIAN, UNIFORM }

    @ParameterizedTest
    @EnumSource(DType.class)
    void gaussianFillsAreTheBitsOfTheScalarTwin(DType dtype) {
        check(Fill.GAUSSIAN, dtype);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void uniformFillsAreTheBitsOfTheScalarTwin(DType dtype) {
        check(Fill.UNIFORM, dtype);
    }

    /** The mapped values matter too: a zero mean and unit scale, and a shifted, scaled one. */
    @Test
    void standardAndShiftedGaussiansBothMatch() {
        try (WorkerPool pool = new WorkerPool(2)) {
            for (DType dtype : DType.values()) {
                compare(pool, Fill.GAUSSIAN, dtype, new RandomStream(random.nextLong(), 3, 5), 4099, 0, 1);
                compare(pool, Fill.GAUSSIAN, dtype, new RandomStream(random.nextLong(), 3, 6), 4099, -7.5, 1e-3);
            }
        }
    }

    private void check(Fill fill, DType dtype) {
        long[] offsets = {0, 1, 2, 3, 5, 7, 13, 31, 33, 1021, (1L << 34) - 37, (1L << 33) - 11,
            random.nextLong(1L << 50)};
        int[] sizes = {0, 1, 2, 3, 4, 5, 15, 16, 17, 31, 32, 33, 63, 64, 65, 103, 1009, (1 << 14) + 1};
        int total = 0;
        for (int threads = 1; threads <= 3; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (long offset : offsets) {
                    for (int size : sizes) {
                        RandomStream rs = new RandomStream(random.nextLong(), random.nextInt(1 << 20), offset);
                        compare(pool, fill, dtype, rs, size, 0.25, 1.5);
                        total += size;
                    }
                }
                // One large fill per pool: many chunks, each starting inside a Philox block.
                int large = 1_000_003;
                compare(pool, fill, dtype, new RandomStream(random.nextLong(), 11, 1L + random.nextInt(1000)), large,
                        -1.25, 3.5);
                total += large;
            }
        }
        if (total < 3_000_000) {
            fail("only " + total + " elements compared");
        }
    }

    /** Fills `size` elements with parameters (a, b) (mean and std, or lo and hi) and compares each. */
    private static void compare(WorkerPool pool, Fill fill, DType dtype, RandomStream rs, int size, double a,
                                double b) {
        long bytes = dtype == DType.F32 ? Float.BYTES : Double.BYTES;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment all = arena.allocate((size + 2L * GUARD) * bytes, 64);
            for (long i = 0; i < size + 2L * GUARD; i++) {
                poison(all, dtype, i);
            }
            MemorySegment out = all.asSlice(GUARD * bytes, size * bytes);
            if (fill == Fill.GAUSSIAN) {
                RandomFill.gaussian(pool, out, dtype, size, rs, a, b);
            } else {
                RandomFill.uniform(pool, out, dtype, size, rs, a, b);
            }
            for (long i = 0; i < size + 2L * GUARD; i++) {
                long got = bits(all, dtype, i);
                long j = i - GUARD;
                long poison = dtype == DType.F32 ? POISON_F32 & 0xFFFF_FFFFL : POISON_F64;
                long expected = j < 0 || j >= size ? poison : expected(fill, dtype, rs, j, a, b);
                if (got != expected) {
                    fail(fill + " " + dtype + " element " + j + " of " + size + " at offset " + rs.offset()
                            + " (seed " + rs.seed() + ", stream " + rs.stream() + ", " + pool.threads()
                            + " threads): expected bits " + Long.toHexString(expected) + ", got "
                            + Long.toHexString(got));
                }
            }
        }
    }

    private static long expected(Fill fill, DType dtype, RandomStream rs, long i, double a, double b) {
        long e = rs.offset() + i;
        if (dtype == DType.F32) {
            float v = fill == Fill.GAUSSIAN
                    ? Math.fma((float) b, Philox.normalF32(rs.seed(), rs.stream(), e), (float) a)
                    : Math.fma((float) b - (float) a, Philox.uniformF32(rs.seed(), rs.stream(), e), (float) a);
            return Float.floatToRawIntBits(v) & 0xFFFF_FFFFL;
        }
        double v = fill == Fill.GAUSSIAN
                ? Math.fma(b, Philox.normalF64(rs.seed(), rs.stream(), e), a)
                : Math.fma(b - a, Philox.uniformF64(rs.seed(), rs.stream(), e), a);
        return Double.doubleToRawLongBits(v);
    }

    private static void poison(MemorySegment s, DType dtype, long i) {
        if (dtype == DType.F32) {
            s.setAtIndex(ValueLayout.JAVA_INT, i, POISON_F32);
        } else {
            s.setAtIndex(ValueLayout.JAVA_LONG, i, POISON_F64);
        }
    }

    private static long bits(MemorySegment s, DType dtype, long i) {
        return dtype == DType.F32
                ? s.getAtIndex(ValueLayout.JAVA_INT, i) & 0xFFFF_FFFFL : s.getAtIndex(ValueLayout.JAVA_LONG, i);
    }
}
