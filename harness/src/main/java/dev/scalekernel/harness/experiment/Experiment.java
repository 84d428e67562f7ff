package dev.scalekernel.harness.experiment;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.DType;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.sweep.Point;

import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A kind of simulation: the parameters it takes, what it measures, and how one point runs on a
 * backend. Points are independent: an experiment keeps no state between them.
 */
public interface Experiment {

    /** One result row: the training step it belongs to (null when there is none) and the measurements. */
    record Row(Long step, Map<String, Object> values) {
    }

    /** What one point produced: its rows and an estimate of the floating-point operations it took. */
    record Outcome(List<Row> rows, double flops) {
    }

    String id();

    String description();

    /** Declared parameters, in the order they appear in specs and result columns. */
    List<Param> params();

    /** Measured columns, in result-column order. */
    List<Measurement> measurements();

    /** Cross-parameter checks on a resolved spec (each parameter alone was already checked). */
    default void validate(ResolvedSpec spec) {
    }

    /** Runs one point. Everything it allocates on the backend is closed before it returns. */
    Outcome run(Backend backend, DType dtype, Point point);

    /**
     * Points with the same key may run together ({@link #runBatch}); by default every point is alone.
     * Batching changes no number a point produces, only how much work is shared.
     */
    default String batchKey(Point point) {
        return point.id();
    }

    /** Runs points that share a {@link #batchKey}; one outcome per point, in order. */
    default List<Outcome> runBatch(Backend backend, DType dtype, List<Point> points) {
        return points.stream().map(p -> run(backend, dtype, p)).toList();
    }

    /**
     * {@link #runBatch(Backend, DType, List)}, handing each point's outcome to {@code done} (with the
     * point's index in {@code points}) as soon as it is known, so a sweep can store it before the rest
     * of a long batch finishes. By default, when the whole batch is done.
     */
    default void runBatch(Backend backend, DType dtype, List<Point> points, BiConsumer<Integer, Outcome> done) {
        List<Outcome> outcomes = runBatch(backend, dtype, points);
        for (int i = 0; i < outcomes.size(); i++) {
            done.accept(i, outcomes.get(i));
        }
    }
}
