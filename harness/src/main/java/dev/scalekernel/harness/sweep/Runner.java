package dev.scalekernel.harness.sweep;

import dev.scalekernel.harness.spec.ResolvedSpec;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * Where the points of a sweep run. Two implementations: the local pool ({@link SweepRunner#local}, the
 * default, embedded) and Apache Spark ({@code SparkRunner}, compiled with the harness's {@code spark}
 * profile and loaded by name, so that Spark is never on the default class path). Either way the
 * resolved spec is saved first, the points already stored in the run directory are not run again,
 * each point runs through {@link SweepRunner#runGroup}, and every stored point has exactly one row set.
 */
public interface Runner {

    /** One line for the user: which backend runs the points, and where. */
    String describe();

    /** Runs the points of {@code spec} that {@code directory} does not hold yet; progress goes to {@code err}. */
    SweepRunner.Summary run(ResolvedSpec spec, Path directory, PrintWriter err, boolean terminal);
}
