package dev.scalekernel.harness.cli;

import dev.scalekernel.harness.sweep.Runner;

import java.lang.reflect.InvocationTargetException;

/**
 * Loads the Spark runner by name, so that Spark is needed only when {@code --runner spark} asks for it:
 * the default build and the launcher never have it on their class path.
 */
final class SparkRunners {

    static final String RUNNER_CLASS = "dev.scalekernel.harness.sweep.SparkRunner";
    static final String HOW = "build the spark-submit jar with ./mvnw -B -Pspark -pl harness -am package -DskipTests"
            + " and run harness/target/scalekernel-spark.jar through spark-submit (README: Running on a Spark cluster)";

    private SparkRunners() {
    }

    static boolean sparkPresent() {
        return present("org.apache.spark.sql.SparkSession");
    }

    static Runner create(String backend, int threads, String master, String parts, int groupsPerTask) {
        if (!sparkPresent()) {
            throw new IllegalArgumentException("--runner spark needs Apache Spark on the class path, and this one has none; " + HOW);
        }
        if (!present(RUNNER_CLASS)) {
            throw new IllegalArgumentException("--runner spark: this scalekernel was built without the 'spark' profile; " + HOW);
        }
        try {
            return (Runner) Class.forName(RUNNER_CLASS)
                    .getConstructor(String.class, int.class, String.class, String.class, int.class)
                    .newInstance(backend, threads, master, parts, groupsPerTask);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("cannot create the Spark runner: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create the Spark runner: " + e, e);
        }
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, SparkRunners.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
