package dev.scalekernel.harness.spec;

import dev.scalekernel.api.DType;
import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.experiment.Experiments;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Turns a preset name or a spec file, plus {@code --set KEY=VALUE} overrides, into a
 * {@link ResolvedSpec}, before any work starts. Every problem is one line naming the field, the bad
 * value and what is allowed.
 */
public final class SpecLoader {

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private SpecLoader() {
    }

    /** The built-in presets, by name, in a stable order. */
    public static List<String> presets() {
        return List.of("smoke", "theory-check", "dynamics", "dynamics-large", "width-variance", "data-reuse", "sparse-double-descent",
                "sparse-exponents", "sparse-instability", "sparse-compute", "sparse-large",
                "graph-width", "graph-tokens", "plrf-phase-ia", "plrf-phase-ii", "plrf-phase-iii",
                "bahri-variance", "bahri-resolution");
    }

    /** The raw spec of a preset (its YAML resource). */
    public static String presetText(String name) {
        try (InputStream in = SpecLoader.class.getResourceAsStream("/presets/" + name + ".yaml")) {
            if (in == null) {
                throw new IllegalArgumentException("unknown preset '" + name + "'");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * @param presetOrFile a preset name, or a path to a .yaml/.yml/.json spec
     * @param settings     KEY=VALUE overrides: a parameter, "seeds" or "dtype"; "a,b,c" makes an axis,
     *                     "log:FROM:TO:PER_DECADE" a log-spaced axis
     */
    public static ResolvedSpec load(String presetOrFile, List<String> settings) {
        String name;
        String text;
        String source;
        if (presets().contains(presetOrFile)) {
            name = presetOrFile;
            text = presetText(presetOrFile);
            source = "preset " + presetOrFile;
        } else if (looksLikeFile(presetOrFile)) {
            Path path = Path.of(presetOrFile);
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException("spec file '" + presetOrFile + "' not found");
            }
            try {
                text = Files.readString(path);
            } catch (IOException e) {
                throw new IllegalArgumentException("spec file '" + presetOrFile + "' cannot be read: " + e.getMessage());
            }
            String file = path.getFileName().toString();
            name = file.replaceFirst("\\.(ya?ml|json)$", "");
            source = file;
        } else {
            throw new IllegalArgumentException("unknown preset '" + presetOrFile + "'; expected one of "
                    + String.join(", ", presets()) + " or a path to a .yaml/.json spec (see: scalekernel presets)");
        }
        return resolve(name, parse(text, source), settings, source);
    }

    static SpecFile parse(String text, String source) {
        try {
            SpecFile file = YAML.readValue(text, SpecFile.class);
            if (file == null) {
                throw new IllegalArgumentException(source + ": the spec is empty");
            }
            return file;
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(source + ": unknown field '" + e.getPropertyName() + "'"
                    + lineOfField(text, e.getPropertyName())
                    + "; expected one of " + new TreeSet<>(e.getKnownPropertyIds().stream().map(Object::toString).toList()));
        } catch (MismatchedInputException e) {
            throw new IllegalArgumentException(source + ": field '" + e.getPathReference().replaceAll(".*\\[\"?|\"?\\]", "")
                    + "' has the wrong type" + line(e) + " (" + firstLine(e.getOriginalMessage()) + ")");
        } catch (JacksonException e) {
            throw new IllegalArgumentException(source + ": not valid YAML/JSON" + line(e) + ": " + firstLine(e.getOriginalMessage()));
        }
    }

    private static ResolvedSpec resolve(String name, SpecFile file, List<String> settings, String source) {
        if (file.experiment() == null) {
            throw new IllegalArgumentException(source + ": field 'experiment' is missing; expected one of " + Experiments.ids());
        }
        Experiment experiment = Experiments.get(file.experiment());
        Map<String, Param> declared = new LinkedHashMap<>();
        experiment.params().forEach(p -> declared.put(p.name(), p));

        Map<String, Object> fixed = new LinkedHashMap<>();
        Map<String, List<Object>> axes = new LinkedHashMap<>();
        if (file.params() != null) {
            file.params().forEach((k, v) -> {
                Param p = param(declared, k, source + " params");
                if (v.isArray() || v.isObject()) {
                    throw new IllegalArgumentException(source + ": params." + k + " must be a single value; put axes under 'sweep'");
                }
                fixed.put(k, p.convert(scalarOf(v)));
            });
        }
        if (file.sweep() != null) {
            file.sweep().forEach((k, v) -> {
                Param p = param(declared, k, source + " sweep");
                if (fixed.containsKey(k)) {
                    throw new IllegalArgumentException(source + ": " + k + " is both a fixed param and a sweep axis");
                }
                axes.put(k, axis(p, v, source + " sweep." + k));
            });
        }
        DType dtype = file.dtype() == null ? DType.F32 : DType.parse(file.dtype());
        List<Long> seeds = file.seeds() == null ? List.of(0L) : seeds(file.seeds(), source);
        for (String s : settings) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set '" + s + "' is not KEY=VALUE");
            }
            String key = s.substring(0, eq).trim();
            String value = s.substring(eq + 1).trim();
            if (key.equals("dtype")) {
                dtype = DType.parse(value);
            } else if (key.equals("seeds")) {
                seeds = seedsFromText(value);
            } else {
                Param p = param(declared, key, "--set");
                if (value.contains(",") || value.startsWith("log:")) {
                    fixed.remove(key);
                    axes.put(key, axisFromText(p, value));
                } else {
                    axes.remove(key);
                    fixed.put(key, p.convert(value));
                }
            }
        }
        // Defaults for everything not given, then the experiment's declaration order throughout.
        Map<String, Object> orderedFixed = new LinkedHashMap<>();
        Map<String, List<Object>> orderedAxes = new LinkedHashMap<>();
        for (Param p : experiment.params()) {
            if (axes.containsKey(p.name())) {
                orderedAxes.put(p.name(), axes.get(p.name()));
            } else {
                orderedFixed.put(p.name(), fixed.getOrDefault(p.name(), p.defaultValue()));
            }
        }
        String backend = file.backend() == null || file.backend().id() == null ? "auto" : file.backend().id();
        int threads = file.backend() == null || file.backend().threads() == null ? 0 : file.backend().threads();
        if (threads < 0) {
            throw new IllegalArgumentException(source + ": backend.threads = " + threads + " is invalid; use 0 (all processors) or more");
        }
        ResolvedSpec spec = new ResolvedSpec(name, experiment, file.description() == null ? "" : file.description(), dtype,
                seeds, orderedFixed, orderedAxes, backend, threads);
        experiment.validate(spec);
        return spec;
    }

    private static Param param(Map<String, Param> declared, String key, String where) {
        Param p = declared.get(key);
        if (p == null) {
            throw new IllegalArgumentException(where + ": unknown parameter '" + key + "'; expected one of "
                    + String.join(", ", declared.keySet()) + " (or seeds, dtype with --set)");
        }
        return p;
    }

    private static List<Object> axis(Param p, JsonNode v, String where) {
        if (v.isArray()) {
            List<Object> values = new ArrayList<>();
            v.forEach(e -> values.add(p.convert(scalarOf(e))));
            return nonEmpty(values, where);
        }
        if (v.isObject()) {
            Collection<String> fields = new TreeSet<>(v.propertyNames());
            if (!fields.equals(new TreeSet<>(List.of("from", "to", "per_decade")))) {
                throw new IllegalArgumentException(where + ": a range needs exactly the fields from, to, per_decade; got " + fields);
            }
            return logAxis(p, v.get("from").asDouble(), v.get("to").asDouble(), v.get("per_decade").asInt(), where);
        }
        return List.of(p.convert(scalarOf(v)));
    }

    private static List<Object> axisFromText(Param p, String value) {
        String where = "--set " + p.name();
        if (value.startsWith("log:")) {
            String[] parts = value.substring(4).split(":");
            if (parts.length != 3) {
                throw new IllegalArgumentException(where + "=" + value + " is invalid; expected log:FROM:TO:PER_DECADE");
            }
            try {
                return logAxis(p, Double.parseDouble(parts[0]), Double.parseDouble(parts[1]), Integer.parseInt(parts[2]), where);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + "=" + value + " is invalid; expected log:FROM:TO:PER_DECADE with numbers");
            }
        }
        List<Object> values = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            if (part.isBlank()) {
                throw new IllegalArgumentException(where + "=" + value + " has an empty entry");
            }
            values.add(p.convert(part.trim()));
        }
        return nonEmpty(values, where);
    }

    /** from, from·10^(1/k), … while at most to, then to itself; rounded for integer parameters, without repeats. */
    static List<Object> logAxis(Param p, double from, double to, int perDecade, String where) {
        if (!(from > 0) || !(to >= from) || perDecade < 1) {
            throw new IllegalArgumentException(where + ": a log range needs 0 < from <= to and per_decade >= 1, got from="
                    + from + " to=" + to + " per_decade=" + perDecade);
        }
        LinkedHashSet<Object> values = new LinkedHashSet<>();
        int steps = (int) Math.floor(Math.log10(to / from) * perDecade + 1e-9);
        for (int i = 0; i <= steps; i++) {
            double v = from * Math.pow(10, i / (double) perDecade);
            values.add(p.convert(p.kind() == Param.Kind.REAL ? Double.parseDouble(String.format(Locale.ROOT, "%.6g", v))
                    : Math.round(v)));
        }
        values.add(p.convert(p.kind() == Param.Kind.REAL ? to : Math.round(to)));
        return nonEmpty(new ArrayList<>(values), where);
    }

    private static List<Object> nonEmpty(List<Object> values, String where) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException(where + ": the sweep axis is empty; give at least one value");
        }
        return List.copyOf(values);
    }

    private static List<Long> seeds(JsonNode v, String source) {
        if (v.isIntegralNumber()) {
            return seedCount(v.asLong(), source + " seeds");
        }
        if (v.isArray()) {
            List<Long> seeds = new ArrayList<>();
            for (JsonNode e : v) {
                if (!e.isIntegralNumber()) {
                    throw new IllegalArgumentException(source + ": seeds must be integers, got " + e);
                }
                seeds.add(e.asLong());
            }
            if (seeds.isEmpty()) {
                throw new IllegalArgumentException(source + ": seeds is an empty list; give a count or at least one seed");
            }
            return List.copyOf(seeds);
        }
        throw new IllegalArgumentException(source + ": seeds must be a count or a list of integers, got " + v);
    }

    private static List<Long> seedsFromText(String value) {
        try {
            if (value.contains(",")) {
                return List.of(value.split(",")).stream().map(s -> Long.parseLong(s.trim())).collect(Collectors.toUnmodifiableList());
            }
            return seedCount(Long.parseLong(value), "--set seeds");
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--set seeds=" + value + " is invalid; expected a count or a list like 0,1,7");
        }
    }

    private static List<Long> seedCount(long n, String where) {
        if (n < 1 || n > 100_000) {
            throw new IllegalArgumentException(where + " = " + n + " is invalid; expected a count in [1, 100000]");
        }
        List<Long> seeds = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            seeds.add(i);
        }
        return List.copyOf(seeds);
    }

    private static Object scalarOf(JsonNode v) {
        if (v.isNumber()) {
            return v.numberValue();
        }
        return v.asString();
    }

    private static boolean looksLikeFile(String s) {
        return s.endsWith(".yaml") || s.endsWith(".yml") || s.endsWith(".json") || s.contains("/") || Files.exists(Path.of(s));
    }

    /** " at line L" of a top-level field (records are bound through a creator, which loses token locations). */
    private static String lineOfField(String text, String field) {
        try (tools.jackson.core.JsonParser p = YAML.createParser(text)) {
            int depth = 0;
            for (tools.jackson.core.JsonToken t; (t = p.nextToken()) != null; ) {
                if (t.isStructStart()) {
                    depth++;
                } else if (t.isStructEnd()) {
                    depth--;
                } else if (depth == 1 && t == tools.jackson.core.JsonToken.PROPERTY_NAME && field.equals(p.currentName())) {
                    return " at line " + p.currentTokenLocation().getLineNr();
                }
            }
        } catch (JacksonException ignored) {
            // Only the line number is lost.
        }
        return "";
    }

    private static String line(JacksonException e) {
        int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
        return line > 0 ? " at line " + line : "";
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
