package dev.scalekernel.api;

/**
 * What {@link Backend#gradientDescent} measured, per right-hand side j.
 *
 * @param steps        the recorded steps (a copy of {@link GdOptions#recordAt()})
 * @param losses       losses[j][r] = (1/P)·‖Φ w_j(t_r) − y_j‖² at step t_r; NaN for records after
 *                     the right-hand side diverged
 * @param divergedStep the step whose loss first showed divergence, or -1 if it never diverged
 */
public record GdResult(long[] steps, double[][] losses, long[] divergedStep) {

    public int rightHandSides() {
        return losses.length;
    }

    public boolean diverged(int j) {
        return divergedStep[j] >= 0;
    }

    /** The last recorded loss of right-hand side j (NaN if it diverged before it). */
    public double finalLoss(int j) {
        double[] l = losses[j];
        return l.length == 0 ? Double.NaN : l[l.length - 1];
    }
}
