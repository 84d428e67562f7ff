package dev.scalekernel.harness.experiment;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

/**
 * The smoke experiment's parameters: linear random features on power-law Gaussian data, a small
 * grid of widths N and sample sizes P, trained by ridge and by gradient descent.
 *
 * @param latentDim M
 * @param widths    the N grid
 * @param samples   the P grid
 * @param testSize  held-out samples for the test loss
 * @param a         task exponent (λ_k w*_k² = k^-a)
 * @param b         spectrum exponent (λ_k = k^-b)
 * @param ridge     ridge strength (per sample: (1/P)‖Φw − y‖² + ridge·‖w‖²)
 * @param steps     gradient-descent steps at η = 1/λ_max
 * @param seed      the Philox seed of data and features
 */
public record SmokeSpec(int latentDim, int[] widths, int[] samples, int testSize, double a, double b, double ridge,
                        long steps, long seed) {

    public static SmokeSpec defaults() {
        return new SmokeSpec(128, new int[] {32, 128, 512}, new int[] {64, 256}, 1000, 2.0, 1.5, 1e-4, 1000, 0);
    }

    public SmokeSpec {
        positive("M", latentDim);
        positive("test", testSize);
        if (widths.length == 0 || samples.length == 0) {
            throw new IllegalArgumentException("N and P need at least one value each");
        }
        for (int n : widths) {
            positive("N", n);
        }
        for (int p : samples) {
            positive("P", p);
        }
        if (!(a > 1) || !Double.isFinite(a)) {
            throw new IllegalArgumentException("a = " + a + " is invalid; the task exponent must be > 1");
        }
        if (!(b > 0) || !Double.isFinite(b)) {
            throw new IllegalArgumentException("b = " + b + " is invalid; the spectrum exponent must be > 0");
        }
        if (!(ridge > 0) || !Double.isFinite(ridge)) {
            throw new IllegalArgumentException("ridge = " + ridge + " is invalid; it must be > 0");
        }
        if (steps < 0) {
            throw new IllegalArgumentException("steps = " + steps + " is invalid; it must be >= 0");
        }
    }

    /** Applies "key=value" overrides; unknown keys and bad values are one-line errors. */
    public SmokeSpec with(Map<String, String> overrides) {
        Map<String, BiFunction<SmokeSpec, String, SmokeSpec>> setters = new LinkedHashMap<>();
        setters.put("M", (s, v) -> new SmokeSpec(integer("M", v), s.widths, s.samples, s.testSize, s.a, s.b, s.ridge, s.steps, s.seed));
        setters.put("N", (s, v) -> new SmokeSpec(s.latentDim, integers("N", v), s.samples, s.testSize, s.a, s.b, s.ridge, s.steps, s.seed));
        setters.put("P", (s, v) -> new SmokeSpec(s.latentDim, s.widths, integers("P", v), s.testSize, s.a, s.b, s.ridge, s.steps, s.seed));
        setters.put("test", (s, v) -> new SmokeSpec(s.latentDim, s.widths, s.samples, integer("test", v), s.a, s.b, s.ridge, s.steps, s.seed));
        setters.put("a", (s, v) -> new SmokeSpec(s.latentDim, s.widths, s.samples, s.testSize, real("a", v), s.b, s.ridge, s.steps, s.seed));
        setters.put("b", (s, v) -> new SmokeSpec(s.latentDim, s.widths, s.samples, s.testSize, s.a, real("b", v), s.ridge, s.steps, s.seed));
        setters.put("ridge", (s, v) -> new SmokeSpec(s.latentDim, s.widths, s.samples, s.testSize, s.a, s.b, real("ridge", v), s.steps, s.seed));
        setters.put("steps", (s, v) -> new SmokeSpec(s.latentDim, s.widths, s.samples, s.testSize, s.a, s.b, s.ridge, longValue("steps", v), s.seed));
        setters.put("seed", (s, v) -> new SmokeSpec(s.latentDim, s.widths, s.samples, s.testSize, s.a, s.b, s.ridge, s.steps, longValue("seed", v)));
        SmokeSpec spec = this;
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            BiFunction<SmokeSpec, String, SmokeSpec> setter = setters.get(e.getKey());
            if (setter == null) {
                throw new IllegalArgumentException("unknown setting '" + e.getKey() + "' for preset smoke; expected one of "
                        + String.join(", ", setters.keySet()));
            }
            spec = setter.apply(spec, e.getValue());
        }
        return spec;
    }

    @Override
    public String toString() {
        return "M=" + latentDim + " N=" + join(widths) + " P=" + join(samples) + " test=" + testSize + " a=" + a + " b=" + b
                + " ridge=" + ridge + " steps=" + steps + " seed=" + seed;
    }

    private static String join(int[] v) {
        return Arrays.stream(v).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " = " + v + " is invalid; it must be >= 1");
        }
    }

    private static int integer(String name, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " = '" + v + "' is not an integer");
        }
    }

    private static long longValue(String name, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " = '" + v + "' is not an integer");
        }
    }

    private static int[] integers(String name, String v) {
        String[] parts = v.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = integer(name, parts[i]);
        }
        return out;
    }

    private static double real(String name, String v) {
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " = '" + v + "' is not a number");
        }
    }
}
