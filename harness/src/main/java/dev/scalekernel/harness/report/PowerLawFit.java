package dev.scalekernel.harness.report;

import org.hipparchus.stat.regression.SimpleRegression;

/**
 * Least-squares fit of y = c·x^slope on log-log axes, with the 95% confidence interval of the slope
 * from the regression's standard error (Student t).
 */
public record PowerLawFit(double slope, double intercept, double halfWidth95, int points) {

    /** Null when fewer than 3 points are positive and finite. */
    public static PowerLawFit of(double[] x, double[] y) {
        SimpleRegression r = new SimpleRegression();
        for (int i = 0; i < x.length; i++) {
            if (x[i] > 0 && y[i] > 0 && Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                r.addData(Math.log(x[i]), Math.log(y[i]));
            }
        }
        if (r.getN() < 3) {
            return null;
        }
        double ci = r.getN() > 2 ? r.getSlopeConfidenceInterval(0.05) : Double.NaN;
        return new PowerLawFit(r.getSlope(), r.getIntercept(), ci, (int) r.getN());
    }

    public double at(double x) {
        return Math.exp(intercept) * Math.pow(x, slope);
    }

    @Override
    public String toString() {
        return String.format("%.3f ± %.3f", slope, halfWidth95);
    }
}
