package dev.scalekernel.harness.experiment;

import dev.scalekernel.harness.model.LatentModel;
import dev.scalekernel.harness.model.PowerLawGaussian;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.sweep.Point;

import java.util.List;

/** Random features on power-law Gaussian latents ({@link PowerLawGaussian}). */
public final class RandomFeaturesExperiment extends LatentFeaturesExperiment {

    private static final List<Param> MODEL = List.of(
            Param.integer("M", 128, 1, "latent dimension"),
            Param.real("a", 2.0, Math.nextUp(1.0), Double.POSITIVE_INFINITY, "task exponent: lambda_k w*_k^2 = k^-a"),
            Param.real("b", 1.5, Double.MIN_VALUE, Double.POSITIVE_INFINITY, "spectrum exponent: lambda_k = k^-b"),
            Param.real("alpha", 0, 0, Double.POSITIVE_INFINITY,
                    "alternative parameterization (Bordelon et al. 2024b, Paquette et al.): if > 0, b = alpha and a = 1 + alpha*beta"),
            Param.real("beta", 0, 0, Double.POSITIVE_INFINITY, "task-difficulty exponent of the alpha/beta parameterization"));

    @Override
    public String id() {
        return "random_features";
    }

    @Override
    public String description() {
        return "random features on power-law Gaussian data, trained by ridge or gradient descent";
    }

    @Override
    List<Param> modelParams() {
        return MODEL;
    }

    @Override
    LatentModel model(Point point) {
        double alpha = point.doubleValue("alpha");
        if (alpha > 0) { // λ_k = k^-α and Σ_{l>k} λ_l w*_l² ~ k^-αβ, i.e. b = α, a − 1 = αβ
            return new PowerLawGaussian(point.intValue("M"), 1 + alpha * point.doubleValue("beta"), alpha);
        }
        return new PowerLawGaussian(point.intValue("M"), point.doubleValue("a"), point.doubleValue("b"));
    }

    @Override
    public void validate(ResolvedSpec spec) {
        super.validate(spec);
        for (Point p : spec.points()) {
            if (p.doubleValue("alpha") > 0 && !(p.doubleValue("beta") > 0)) {
                throw new IllegalArgumentException("parameter beta = " + p.doubleValue("beta")
                        + " is invalid with alpha = " + p.doubleValue("alpha") + "; the alpha/beta parameterization needs beta > 0");
            }
            if (p.doubleValue("alpha") == 0 && p.doubleValue("beta") > 0) {
                throw new IllegalArgumentException("parameter beta is set but alpha is 0; set alpha > 0 to use the alpha/beta"
                        + " parameterization (b = alpha, a = 1 + alpha*beta), or use a and b");
            }
        }
    }
}
