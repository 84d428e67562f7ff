package dev.scalekernel.harness.spec;

import java.util.List;
import java.util.Locale;

/**
 * A parameter an experiment declares: its name (also its column in the results), type, default,
 * allowed range or choices, and a one-line description. Converts raw values from spec files and
 * {@code --set} into typed values, or fails with one line naming the parameter, the value and what
 * is allowed.
 */
public record Param(String name, Kind kind, Object defaultValue, double min, double max, List<String> choices,
                    String description) {

    public enum Kind { INT, LONG, REAL, CHOICE }

    public static Param integer(String name, int defaultValue, int min, String description) {
        return new Param(name, Kind.INT, defaultValue, min, Integer.MAX_VALUE, List.of(), description);
    }

    public static Param longValue(String name, long defaultValue, long min, String description) {
        return new Param(name, Kind.LONG, defaultValue, min, Long.MAX_VALUE, List.of(), description);
    }

    /** A real in [min, max] (use ±infinity for open ends; NaN is never allowed). */
    public static Param real(String name, double defaultValue, double min, double max, String description) {
        return new Param(name, Kind.REAL, defaultValue, min, max, List.of(), description);
    }

    public static Param choice(String name, String defaultValue, List<String> choices, String description) {
        return new Param(name, Kind.CHOICE, defaultValue, 0, 0, List.copyOf(choices), description);
    }

    /** The DuckDB column type of this parameter. */
    public String sqlType() {
        return switch (kind) {
            case INT -> "INTEGER";
            case LONG -> "BIGINT";
            case REAL -> "DOUBLE";
            case CHOICE -> "VARCHAR";
        };
    }

    /** Converts a raw value (Number, String or Boolean from YAML, or a String from --set). */
    public Object convert(Object raw) {
        if (raw == null) {
            throw invalid("null", "a value");
        }
        String text = raw.toString().trim();
        return switch (kind) {
            case INT -> {
                long v = parseLong(raw, text);
                if (v > Integer.MAX_VALUE) {
                    throw invalid(text, "an integer <= " + Integer.MAX_VALUE);
                }
                yield (int) checkRange(v, text);
            }
            case LONG -> checkRange(parseLong(raw, text), text);
            case REAL -> {
                double v;
                try {
                    v = raw instanceof Number n ? n.doubleValue() : Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw invalid(text, "a number");
                }
                if (!(v >= min && v <= max)) {
                    throw invalid(text, "a number in " + range());
                }
                yield v;
            }
            case CHOICE -> {
                String v = text.toLowerCase(Locale.ROOT);
                if (!choices.contains(v)) {
                    throw invalid(text, "one of " + String.join(", ", choices));
                }
                yield v;
            }
        };
    }

    private long parseLong(Object raw, String text) {
        if (raw instanceof Integer || raw instanceof Long) {
            return ((Number) raw).longValue();
        }
        if (raw instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 0x1p53) {
            return (long) n.doubleValue();
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            // Allow 1e6-style integers, common for sizes.
            try {
                double d = Double.parseDouble(text);
                if (d == Math.rint(d) && Math.abs(d) < 0x1p53) {
                    return (long) d;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the error below
            }
            throw invalid(text, "an integer");
        }
    }

    private long checkRange(long v, String text) {
        if (v < min || v > max) {
            throw invalid(text, "an integer in " + range());
        }
        return v;
    }

    private String range() {
        String lo = Double.isInfinite(min) ? "(-inf" : "[" + fmt(min);
        String hi = Double.isInfinite(max) || max >= Long.MAX_VALUE / 2.0 ? "inf)" : fmt(max) + "]";
        return lo + ", " + hi;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private IllegalArgumentException invalid(String value, String expected) {
        return new IllegalArgumentException("parameter " + name + " = '" + value + "' is invalid; expected " + expected);
    }
}
