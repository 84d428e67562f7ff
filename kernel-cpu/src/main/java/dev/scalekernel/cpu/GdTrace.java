package dev.scalekernel.cpu;

import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.GdResult;

import java.util.Arrays;

/**
 * The bookkeeping of {@code Backend.gradientDescent}, exactly as the reference does it: the loss
 * of w_t is recorded when t is a record step; a right-hand side whose loss is not finite, or
 * exceeds divergenceFactor × its (positive) loss at step 0, has diverged at t and is frozen;
 * records after that are NaN.
 */
final class GdTrace {
    private final GdOptions options;
    private final double[][] losses;
    private final long[] divergedStep;
    private final double[] initialLoss;
    private final int[] next;
    private int active;

    GdTrace(int k, GdOptions options) {
        this.options = options;
        this.losses = new double[k][options.records()];
        this.divergedStep = new long[k];
        this.initialLoss = new double[k];
        this.next = new int[k];
        this.active = k;
        Arrays.fill(divergedStep, -1);
    }

    /** Takes the loss of w_t of right-hand side j (which must be active); false when it diverged here. */
    boolean observe(int j, long t, double loss) {
        if (t == 0) {
            initialLoss[j] = loss;
        }
        if (next[j] < options.records() && options.recordStep(next[j]) == t) {
            losses[j][next[j]++] = loss;
        }
        if (!Double.isFinite(loss) || (initialLoss[j] > 0 && loss > options.divergenceFactor() * initialLoss[j])) {
            divergedStep[j] = t;
            active--;
            return false;
        }
        return true;
    }

    /**
     * Takes step t's loss of every right-hand side j with active[j]: the sum over row blocks, in
     * block order, of partialLosses[block][j], over rows; clears active[j] where j diverged.
     */
    void observe(long t, double[][] partialLosses, int rows, boolean[] active) {
        for (int j = 0; j < active.length; j++) {
            if (active[j]) {
                double loss = 0;
                for (double[] part : partialLosses) {
                    loss += part[j];
                }
                active[j] = observe(j, t, loss / rows);
            }
        }
    }

    boolean active(int j) {
        return divergedStep[j] < 0;
    }

    boolean anyActive() {
        return active > 0;
    }

    GdResult result() {
        for (int j = 0; j < losses.length; j++) {
            Arrays.fill(losses[j], next[j], options.records(), Double.NaN);
        }
        return new GdResult(options.recordAt(), losses, divergedStep);
    }
}
