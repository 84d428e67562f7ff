package dev.scalekernel.harness.experiment;

import dev.scalekernel.harness.model.LatentModel;
import dev.scalekernel.harness.model.PowerLawGaussian;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.sweep.Point;

import java.util.List;

/** Random features on power-law Gaussian latents ({@link PowerLawGaussian}). */
public final class RandomFeaturesExperiment extends LatentFeaturesExperiment {

    private static final List<Param> MODEL = List.of(
            Param.integer("M", 128, 1, "latent dimension"),
            Param.real("a", 2.0, Math.nextUp(1.0), Double.POSITIVE_INFINITY, "task exponent: lambda_k w*_k^2 = k^-a"),
            Param.real("b", 1.5, Double.MIN_VALUE, Double.POSITIVE_INFINITY, "spectrum exponent: lambda_k = k^-b"));

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
        return new PowerLawGaussian(point.intValue("M"), point.doubleValue("a"), point.doubleValue("b"));
    }
}
