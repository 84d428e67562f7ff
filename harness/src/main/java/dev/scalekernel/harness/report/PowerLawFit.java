package dev.scalekernel.harness.report;

import org.hipparchus.stat.regression.SimpleRegression;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fits of y = c·x^slope on log-log axes: least squares with the regression's 95% interval
 * (Student t), a Huber fit that down-weights outlying points, and a broken power law whose two
 * exponents meet at the best break point (for the under- and over-parameterised branches).
 */
public record PowerLawFit(double slope, double intercept, double halfWidth95, int points) {

    /** Least squares on the positive finite points; null when fewer than 3. */
    public static PowerLawFit of(double[] x, double[] y) {
        double[][] xy = logPoints(x, y);
        if (xy[0].length < 3) {
            return null;
        }
        SimpleRegression r = new SimpleRegression();
        for (int i = 0; i < xy[0].length; i++) {
            r.addData(xy[0][i], xy[1][i]);
        }
        return new PowerLawFit(r.getSlope(), r.getIntercept(), r.getSlopeConfidenceInterval(0.05), (int) r.getN());
    }

    /**
     * Huber M-estimate of the slope by iteratively reweighted least squares: residuals beyond
     * δ = 1.345·σ̂ (σ̂ = MAD/0.6745, the usual 95%-efficiency tuning) get weight δ/|r|. NaN when fewer than 3 points.
     */
    public static double huberSlope(double[] x, double[] y) {
        double[][] xy = logPoints(x, y);
        int n = xy[0].length;
        if (n < 3) {
            return Double.NaN;
        }
        double[] w = new double[n];
        Arrays.fill(w, 1);
        double[] line = weightedLine(xy, w);
        for (int iter = 0; iter < 50; iter++) {
            double[] abs = new double[n];
            for (int i = 0; i < n; i++) {
                abs[i] = Math.abs(xy[1][i] - line[0] - line[1] * xy[0][i]);
            }
            double[] sorted = abs.clone();
            Arrays.sort(sorted);
            double mad = sorted[n / 2];
            double delta = 1.345 * Math.max(mad / 0.6745, 1e-12);
            for (int i = 0; i < n; i++) {
                w[i] = abs[i] <= delta ? 1 : delta / abs[i];
            }
            double[] next = weightedLine(xy, w);
            boolean done = Math.abs(next[1] - line[1]) < 1e-10;
            line = next;
            if (done) {
                break;
            }
        }
        return line[1];
    }

    /** Two exponents and the break between them: {left slope, right slope, break x}; null with fewer than 5 points. */
    public static double[] broken(double[] x, double[] y) {
        double[][] xy = logPoints(x, y);
        int n = xy[0].length;
        if (n < 5) {
            return null;
        }
        double best = Double.POSITIVE_INFINITY;
        double[] result = null;
        for (int b = 2; b <= n - 3; b++) {
            double[] left = line(xy, 0, b + 1);
            double[] right = line(xy, b, n);
            double sse = left[2] + right[2];
            if (sse < best) {
                best = sse;
                result = new double[] {left[1], right[1], Math.exp(xy[0][b])};
            }
        }
        return result;
    }

    /** Percentile bootstrap (95%) of the least-squares slope: resample seeds, refit the means. */
    public static double[] bootstrap(double[] x, double[][] perSeed, int resamples, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        List<Double> slopes = new ArrayList<>();
        int seeds = perSeed[0].length;
        for (int r = 0; r < resamples; r++) {
            int[] pick = new int[seeds];
            for (int s = 0; s < seeds; s++) {
                pick[s] = random.nextInt(seeds);
            }
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double sum = 0;
                int count = 0;
                for (int s : pick) {
                    if (Double.isFinite(perSeed[i][s])) {
                        sum += perSeed[i][s];
                        count++;
                    }
                }
                y[i] = count > 0 ? sum / count : Double.NaN;
            }
            PowerLawFit f = of(x, y);
            if (f != null) {
                slopes.add(f.slope());
            }
        }
        if (slopes.size() < resamples / 2) {
            return null;
        }
        double[] s = slopes.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new double[] {s[(int) Math.floor(0.025 * (s.length - 1))], s[(int) Math.ceil(0.975 * (s.length - 1))]};
    }

    public double at(double x) {
        return Math.exp(intercept) * Math.pow(x, slope);
    }

    @Override
    public String toString() {
        return String.format("%.3f ± %.3f", slope, halfWidth95);
    }

    private static double[][] logPoints(double[] x, double[] y) {
        List<double[]> keep = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (x[i] > 0 && y[i] > 0 && Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                keep.add(new double[] {Math.log(x[i]), Math.log(y[i])});
            }
        }
        return new double[][] {keep.stream().mapToDouble(v -> v[0]).toArray(), keep.stream().mapToDouble(v -> v[1]).toArray()};
    }

    /** {intercept, slope, sse} of least squares on points [from, to). */
    private static double[] line(double[][] xy, int from, int to) {
        SimpleRegression r = new SimpleRegression();
        for (int i = from; i < to; i++) {
            r.addData(xy[0][i], xy[1][i]);
        }
        return new double[] {r.getIntercept(), r.getSlope(), r.getSumSquaredErrors()};
    }

    /** {intercept, slope} of weighted least squares. */
    private static double[] weightedLine(double[][] xy, double[] w) {
        double sw = 0;
        double sx = 0;
        double sy = 0;
        for (int i = 0; i < w.length; i++) {
            sw += w[i];
            sx += w[i] * xy[0][i];
            sy += w[i] * xy[1][i];
        }
        double mx = sx / sw;
        double my = sy / sw;
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < w.length; i++) {
            sxx += w[i] * (xy[0][i] - mx) * (xy[0][i] - mx);
            sxy += w[i] * (xy[0][i] - mx) * (xy[1][i] - my);
        }
        double slope = sxy / sxx;
        return new double[] {my - slope * mx, slope};
    }
}
