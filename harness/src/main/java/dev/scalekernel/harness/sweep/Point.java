package dev.scalekernel.harness.sweep;

import java.util.Map;

/**
 * One run of an experiment: every parameter's value and the seed. The id is a hash of the
 * experiment, dtype, seed and values, so the same point has the same id in every run of a spec.
 * Serializable (values are Integer, Long, Double or String) so that a Spark task can carry it.
 */
public record Point(String id, Map<String, Object> values, long seed) implements java.io.Serializable {

    public int intValue(String name) {
        return ((Number) values.get(name)).intValue();
    }

    public long longValue(String name) {
        return ((Number) values.get(name)).longValue();
    }

    public double doubleValue(String name) {
        return ((Number) values.get(name)).doubleValue();
    }

    public String stringValue(String name) {
        return (String) values.get(name);
    }
}
