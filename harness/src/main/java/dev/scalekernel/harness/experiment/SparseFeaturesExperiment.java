package dev.scalekernel.harness.experiment;

import dev.scalekernel.harness.model.LatentModel;
import dev.scalekernel.harness.model.SparseLatents;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.sweep.Point;

import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Random features on sparse latents ({@link SparseLatents}, Sous &amp; Winer), computed with the CSR
 * feature map. Beside the losses it reports the teacher mass on coordinates that no training sample
 * activated, measured and expected: the bottleneck that Gaussian theory (theory_loss) does not see.
 */
public final class SparseFeaturesExperiment extends LatentFeaturesExperiment {

    private static final List<Param> MODEL = List.of(
            Param.integer("M", 512, 1, "latent dimension"),
            Param.choice("activity", "power", List.of("power", "constant"), "p_k = p_max k^-(1+s), or p_k = p_max"),
            Param.real("s", 0.5, 0, Double.POSITIVE_INFINITY, "sparsity exponent: p_k proportional to k^-(1+s)"),
            Param.real("p_max", 0.5, Double.MIN_VALUE, 1, "activity probability of coordinate 1 (or of all, if constant)"),
            Param.choice("values", "gaussian", List.of("gaussian", "sign"), "value of an active coordinate"),
            Param.real("a", 2.0, Math.nextUp(1.0), Double.POSITIVE_INFINITY, "task exponent: p_k w*_k^2 = k^-a"));

    private static final List<Measurement> MEASUREMENTS = List.of(
            Measurement.real("unseen_mass", "sum of w*_k^2 q_k over coordinates no training sample activated"),
            Measurement.real("unseen_mass_theory", "its expectation sum_k w*_k^2 q_k (1 - p_k)^P"));

    @Override
    public String id() {
        return "sparse_features";
    }

    @Override
    public String description() {
        return "random features on sparse latents (coordinate k active with probability p_k), CSR feature map";
    }

    @Override
    List<Param> modelParams() {
        return MODEL;
    }

    @Override
    List<Measurement> modelMeasurements() {
        return MEASUREMENTS;
    }

    @Override
    LatentModel model(Point point) {
        return new SparseLatents(point.intValue("M"),
                SparseLatents.Activity.valueOf(point.stringValue("activity").toUpperCase(Locale.ROOT)),
                point.doubleValue("s"), point.doubleValue("p_max"), point.doubleValue("a"),
                SparseLatents.Values.valueOf(point.stringValue("values").toUpperCase(Locale.ROOT)));
    }

    /** The unseen mass: Σ w*_k² over the coordinates no training sample activated, measured and expected. */
    @Override
    TrainingProbe trainingProbe(LatentModel model, int samples) {
        SparseLatents sparse = (SparseLatents) model;
        BitSet seen = new BitSet(model.latentDim());
        return new TrainingProbe() {
            @Override
            public void accept(LatentModel.Sample tile) {
                seen.or(((SparseLatents.SparseSample) tile).seen());
            }

            @Override
            public Map<String, Object> values() {
                return Map.of("unseen_mass", sparse.unseenMass(seen), "unseen_mass_theory", sparse.expectedUnseenMass(samples));
            }
        };
    }
}
