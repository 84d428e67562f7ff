package dev.scalekernel.cpu;

import dev.scalekernel.api.DType;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.api.random.Philox;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Gaussian and uniform fills from the Philox stream, bit-identical to the reference: element i is
 * number offset + i of the stream, whose Philox block is (offset + i) div 4 (fp32) or div 2 (fp64).
 * Each task fills a fixed chunk of elements and computes each Philox block it touches once.
 */
final class RandomFill {
    /** Elements per task: 16 Ki fills take ~0.1–0.3 ms, enough to amortise handing the task out. */
    private static final int CHUNK = 1 << 14;

    private RandomFill() {
    }

    /** out[i] = mean + std·z_i, computed as fma(std, z, mean) in the dtype, like the reference. */
    static void gaussian(WorkerPool pool, MemorySegment out, DType dtype, long size, RandomStream rs, double mean,
                         double std) {
        pool.run(tasks(size), (w, t) -> {
            long i0 = (long) t * CHUNK;
            long i1 = Math.min(size, i0 + CHUNK);
            int[] words = new int[4];
            long current = -1;
            if (dtype == DType.F32) {
                float m = (float) mean;
                float s = (float) std;
                float[] z = new float[4];
                for (long i = i0; i < i1; i++) {
                    long e = rs.offset() + i;
                    if (e >>> 2 != current) {
                        current = e >>> 2;
                        Philox.normalBlockF32(rs.seed(), rs.stream(), current, words, z);
                    }
                    out.setAtIndex(ValueLayout.JAVA_FLOAT, i, Math.fma(s, z[(int) (e & 3)], m));
                }
            } else {
                double[] z = new double[2];
                for (long i = i0; i < i1; i++) {
                    long e = rs.offset() + i;
                    if (e >>> 1 != current) {
                        current = e >>> 1;
                        Philox.normalBlockF64(rs.seed(), rs.stream(), current, words, z);
                    }
                    out.setAtIndex(ValueLayout.JAVA_DOUBLE, i, Math.fma(std, z[(int) (e & 1)], mean));
                }
            }
        });
    }

    /** out[i] = lo + (hi − lo)·u_i, computed as fma(hi − lo, u, lo) in the dtype, like the reference. */
    static void uniform(WorkerPool pool, MemorySegment out, DType dtype, long size, RandomStream rs, double lo,
                        double hi) {
        pool.run(tasks(size), (w, t) -> {
            long i0 = (long) t * CHUNK;
            long i1 = Math.min(size, i0 + CHUNK);
            int[] words = new int[4];
            long current = -1;
            if (dtype == DType.F32) {
                float low = (float) lo;
                float width = (float) hi - (float) lo;
                for (long i = i0; i < i1; i++) {
                    long e = rs.offset() + i;
                    if (e >>> 2 != current) {
                        current = e >>> 2;
                        Philox.block(rs.seed(), rs.stream(), Philox.TAG_UNIFORM_F32, current, words);
                    }
                    float u = Philox.uniformF32(words[(int) (e & 3)]);
                    out.setAtIndex(ValueLayout.JAVA_FLOAT, i, Math.fma(width, u, low));
                }
            } else {
                double width = hi - lo;
                for (long i = i0; i < i1; i++) {
                    long e = rs.offset() + i;
                    if (e >>> 1 != current) {
                        current = e >>> 1;
                        Philox.block(rs.seed(), rs.stream(), Philox.TAG_UNIFORM_F64, current, words);
                    }
                    int lane = (int) (e & 1);
                    double u = Philox.uniformF64(words[2 * lane], words[2 * lane + 1]);
                    out.setAtIndex(ValueLayout.JAVA_DOUBLE, i, Math.fma(width, u, lo));
                }
            }
        });
    }

    private static int tasks(long size) {
        return Math.toIntExact((size + CHUNK - 1) / CHUNK);
    }
}
