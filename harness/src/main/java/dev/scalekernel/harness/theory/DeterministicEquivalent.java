package dev.scalekernel.harness.theory;

/**
 * Deterministic equivalent of the test error of linear random-feature ridge regression
 * (Atanasov, Zavatone-Veth, Pehlevan, "Scaling and renormalization in high-dimensional
 * regression", arXiv 2405.00592), in the conventions checked against simulation in
 * shared/notes/mission-anchors.md §B4:
 *
 * <ul>
 * <li>x ~ N(0, diag(σ)), y = w̄·x + ε with Var ε = σ_ε²; features φ(x) = F x / √N with F (N×D) iid N(0,1);
 * <li>a = argmin Σ_μ (y_μ − a·φ_μ)² + λ_in‖a‖², and λ = λ_in / P;
 * <li>Df1(κ) = Σ σ/(σ+κ), Df2(κ) = Σ σ²/(σ+κ)², tf(κ) = Σ w̄²σ/(σ+κ), tf'(κ) = −Σ w̄²σ/(σ+κ)²;
 * <li>the renormalised ridge κ solves κ(1 − Df1(κ)/P)(1 − Df1(κ)/N) = λ (for λ = 0: Df1(κ) = min(N, P)
 *     when min(N, P) < D, else κ = 0);
 * <li>one feature draw: with r = (N − Df1)/(N − Df2) and γ = [Df1 − r(Df1 − Df2)]/P,
 *     E₁ = [κ²|tf'|·r + κ·tf·(1 − r) + σ_ε²] / (1 − γ);
 * <li>the average predictor over infinitely many feature draws: E∞ = [κ²|tf'| + σ_ε²] / (1 − Df2/P).
 * </ul>
 * E is the excess test error E[(a·φ(x) − w̄·x)²] plus σ_ε²; with σ_ε = 0 it is the population loss.
 */
public final class DeterministicEquivalent {

    /** The test errors and the renormalised ridge. */
    public record Prediction(double kappa, double oneDraw, double infiniteEnsemble) {
    }

    private final double[] sigma;
    private final double[] target;

    /**
     * @param sigma  eigenvalues σ_k of the input covariance (all > 0)
     * @param target teacher coefficients w̄_k in the same eigenbasis
     */
    public DeterministicEquivalent(double[] sigma, double[] target) {
        if (sigma.length != target.length || sigma.length == 0) {
            throw new IllegalArgumentException("sigma and target need the same, non-zero length");
        }
        for (double s : sigma) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("covariance eigenvalues must be > 0, got " + s);
            }
        }
        this.sigma = sigma.clone();
        this.target = target.clone();
    }

    /**
     * @param n      width N
     * @param p      samples P
     * @param lambda the per-sample ridge λ = λ_in / P (≥ 0)
     * @param noise  label-noise variance σ_ε²
     */
    public Prediction predict(int n, int p, double lambda, double noise) {
        if (n < 1 || p < 1 || !(lambda >= 0) || !(noise >= 0)) {
            throw new IllegalArgumentException("need N, P >= 1, lambda >= 0, noise >= 0; got N=" + n + " P=" + p
                    + " lambda=" + lambda + " noise=" + noise);
        }
        double kappa = kappa(n, p, lambda);
        double df1 = df1(kappa);
        double df2 = df2(kappa);
        double tf = 0;
        double tfPrime = 0;
        for (int k = 0; k < sigma.length; k++) {
            double w2s = target[k] * target[k] * sigma[k];
            tf += w2s / (sigma[k] + kappa);
            tfPrime += w2s / ((sigma[k] + kappa) * (sigma[k] + kappa));
        }
        double r = (n - df1) / (n - df2);
        double gamma = (df1 - r * (df1 - df2)) / p;
        double oneDraw = (kappa * kappa * tfPrime * r + kappa * tf * (1 - r) + noise) / (1 - gamma);
        double ensemble = (kappa * kappa * tfPrime + noise) / (1 - df2 / p);
        return new Prediction(kappa, oneDraw, ensemble);
    }

    /** The renormalised ridge κ, by bisection on a log scale above the point where Df1 = min(N, P). */
    double kappa(int n, int p, double lambda) {
        int b = Math.min(n, p);
        double lowest = b < sigma.length ? solveDf1(b) : 0;
        if (lambda == 0) {
            return lowest;
        }
        double lo = lowest;
        double hi = Math.max(1.0, lowest) * 2;
        while (equation(hi, n, p) < lambda) {
            hi *= 2;
        }
        for (int i = 0; i < 200; i++) {
            double mid = lo > 0 ? Math.sqrt(lo * hi) : hi / 2;
            if (mid <= lo || mid >= hi) {
                break;
            }
            if (equation(mid, n, p) < lambda) {
                lo = mid;
            } else {
                hi = mid;
            }
            if (hi - lo <= 1e-15 * hi) {
                break;
            }
        }
        return 0.5 * (lo + hi);
    }

    private double equation(double kappa, int n, int p) {
        double d = df1(kappa);
        return kappa * (1 - d / p) * (1 - d / n);
    }

    /** κ with Df1(κ) = target (Df1 decreases from D to 0). */
    private double solveDf1(double value) {
        double lo = 0;
        double hi = 1;
        while (df1(hi) > value) {
            hi *= 2;
        }
        for (int i = 0; i < 200 && hi - lo > 1e-300; i++) {
            double mid = 0.5 * (lo + hi);
            if (df1(mid) > value) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    double df1(double kappa) {
        double s = 0;
        for (double v : sigma) {
            s += v / (v + kappa);
        }
        return s;
    }

    double df2(double kappa) {
        double s = 0;
        for (double v : sigma) {
            s += v * v / ((v + kappa) * (v + kappa));
        }
        return s;
    }
}
