package dev.scalekernel.harness.experiment;

/**
 * A column an experiment measures, with its DuckDB type (DOUBLE, BIGINT or BOOLEAN). Names are the
 * stable result names: train_loss, test_loss, population_loss, lambda_max, diverged, ...
 */
public record Measurement(String name, String sqlType, String description) {
    public static Measurement real(String name, String description) {
        return new Measurement(name, "DOUBLE", description);
    }

    public static Measurement integer(String name, String description) {
        return new Measurement(name, "BIGINT", description);
    }

    public static Measurement flag(String name, String description) {
        return new Measurement(name, "BOOLEAN", description);
    }
}
