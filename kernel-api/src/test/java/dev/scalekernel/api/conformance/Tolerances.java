package dev.scalekernel.api.conformance;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.DType;

/**
 * Every tolerance of the conformance suite, with its derivation. Nothing here is tuned to make a
 * test pass: each bound follows from the standard rounding-error model fl(a ∘ b) = (a ∘ b)(1 + δ),
 * |δ| ≤ u, with u the unit roundoff of the dtype (2^-24 fp32, 2^-53 fp64), as in Higham,
 * "Accuracy and Stability of Numerical Algorithms" (2nd ed.), §2–3.
 */
public final class Tolerances {

    /** Double's unit roundoff: the oracle and the reference accumulate in double. */
    static final double U64 = 0x1.0p-53;

    private Tolerances() {
    }

    /** γ_n = n·u / (1 − n·u) (Higham Lemma 3.1); infinite when n·u ≥ 1. */
    public static double gamma(long n, double u) {
        double nu = n * u;
        return nu < 1 ? nu / (1 - nu) : Double.POSITIVE_INFINITY;
    }

    /**
     * A product entry c = α·Σ_{l<k} a_l b_l + β·c₀ computed in any order, blocked or not, with or
     * without FMA, satisfies |ĉ − c| ≤ γ_{k+2}·(|α|·Σ|a_l||b_l| + |β||c₀|) (Higham eq. 3.5: the
     * inner product of length k, plus one multiplication by α and one addition of β·c₀). The oracle
     * adds the same bound with double's u. The backend then rounds once to the dtype (u·|c|) and
     * the oracle's value is rounded the same way for comparison (u·|c|).
     *
     * @param k        inner dimension
     * @param absBound |α|·Σ|a_l||b_l| + |β||c₀|, computed exactly enough in double
     * @param expected the oracle's value
     */
    public static double product(DType dtype, long k, double absBound, double expected) {
        double u = dtype.unitRoundoff();
        return (gamma(k + 2, u) + gamma(k + 2, U64)) * absBound + 2 * u * Math.abs(expected) + Double.MIN_NORMAL;
    }

    /**
     * σ applied to a pre-activation known to within {@link #product}: a Lipschitz σ moves by at most
     * L times the argument's error; evaluating σ adds {@link Activation#ulps()} ulps of the result,
     * and the final rounding adds u·|σ|.
     */
    public static double activated(DType dtype, Activation activation, long k, double absBound,
                                   double preActivation, double expected) {
        double u = dtype.unitRoundoff();
        return activation.lipschitz() * product(dtype, k, absBound, preActivation)
                + (activation.ulps() + 2) * u * Math.abs(expected) + Double.MIN_NORMAL;
    }

    /**
     * a·f stored in the dtype: a backend may round f to the dtype (u) and the product (u); the
     * oracle rounds the exact double product once (u + 2^-53). Sum: below 4u·|a·f|.
     */
    public static double scaled(DType dtype, double exact) {
        return 4 * dtype.unitRoundoff() * Math.abs(exact) + Double.MIN_NORMAL;
    }

    /**
     * Reductions over n terms (dot, sums of squares): γ_n·Σ|terms| (Higham eq. 3.5), for the
     * backend in its accumulation precision (at most the dtype's u) and for the oracle in double.
     */
    public static double reduction(DType dtype, long n, double absSum) {
        return (gamma(n + 1, dtype.unitRoundoff()) + gamma(n + 1, U64)) * absSum + Double.MIN_NORMAL;
    }

    /**
     * λ_max of ΦᵀΦ/P. Lanczos with full reorthogonalisation is backward stable: the computed Ritz
     * value is an exact eigenvalue of ΦᵀΦ/P + E with ‖E‖₂ ≤ c·(P + N)·u·‖Φ‖_F²/P (forming each
     * product Φᵀ(Φv) costs γ_{P+N}·‖Φ‖²/P; orthogonalisation adds O(n·u·‖A‖)), and by Weyl's
     * theorem the eigenvalue moves by at most ‖E‖₂. We take c = 4 for the two products and the
     * reorthogonalisation passes, for the backend and for the oracle each. The tests run Lanczos to
     * a 1e-15 relative change or to the full dimension, so the stopping rule adds nothing visible.
     */
    public static double lambdaMax(DType dtype, int rows, int cols, double frobeniusSquared) {
        double u = dtype.unitRoundoff();
        return 4 * (gamma(rows + cols, u) + gamma(rows + cols, U64)) * frobeniusSquared / rows + Double.MIN_NORMAL;
    }

    /**
     * Ridge solution W of (ΦᵀΦ + λP·I) W = ΦᵀY (or its P-dimensional form). Forming the system costs
     * γ_{P+N} relative to ‖|Φ|ᵀ|Φ|‖ ≤ ‖Φ‖_F², and Cholesky is backward stable with
     * ‖ΔG‖ ≤ c·n·u·‖G‖ (Higham Thm 10.4); the perturbation theorem for linear systems
     * (Higham Thm 7.2) turns a relative backward error ε into a forward error
     * ‖ΔW‖/‖W‖ ≤ 2κε/(1 − κε) with κ ≤ (λ_max(ΦᵀΦ/P) + λ)/λ. We bound ε by 4·γ_{P+N}, for the
     * backend and for the oracle.
     */
    public static double ridge(DType dtype, int rows, int cols, double kappa, double normW) {
        double eps = 4 * (gamma(rows + cols, dtype.unitRoundoff()) + gamma(rows + cols, U64));
        double ke = kappa * eps;
        return ke < 1 ? 2 * ke / (1 - ke) * normW + Double.MIN_NORMAL : Double.POSITIVE_INFINITY;
    }

    /**
     * GD losses against the exact trajectory. Each computed step is the exact step plus δ_s with
     * ‖δ_s‖ ≤ γ·(‖w_s‖ + (η/P)·‖Φ‖_F·(‖Φ‖_F‖w_s‖ + ‖y‖)), γ = γ_{P+N+2} (the residual's inner
     * products of length N, the gradient's of length P, the update). For η·λ_max &lt; 2 the map
     * r ↦ (I − ηΦΦᵀ/P) r is non-expansive, so the residuals differ by at most
     * ‖Φ‖_F·Σ_{s&lt;t}‖δ_s‖ plus the evaluation error of the residual itself,
     * γ_{N+1}·(‖Φ‖_F‖w_t‖ + ‖y‖). With D that residual bound, the loss (1/P)‖r‖² differs by at most
     * (2‖r_t‖ + D)·D/P plus its own summation error γ_P·‖r‖²/P.
     *
     * @param stepBounds bound[s] = ‖δ_s‖ computed by the caller from the exact trajectory
     */
    public static double gdLoss(DType dtype, int rows, int cols, double frobenius, double[] stepBounds, int t,
                                double normWt, double normY, double normRt) {
        double u = dtype.unitRoundoff();
        double accumulated = 0;
        for (int s = 0; s < t; s++) {
            accumulated += stepBounds[s];
        }
        double d = frobenius * accumulated + gamma(cols + 1, u) * (frobenius * normWt + normY);
        double r2 = normRt * normRt;
        return (2 * normRt + d) * d / rows + gamma(rows + 1, u) * r2 / rows + 2 * u * r2 / rows + Double.MIN_NORMAL;
    }

    /** The per-step bound ‖δ_s‖ of {@link #gdLoss}. */
    public static double gdStep(DType dtype, int rows, int cols, double frobenius, double eta, double normWs, double normY) {
        double g = gamma(rows + cols + 2, dtype.unitRoundoff()) + gamma(rows + cols + 2, U64);
        return g * (normWs + eta / rows * frobenius * (frobenius * normWs + normY));
    }
}
