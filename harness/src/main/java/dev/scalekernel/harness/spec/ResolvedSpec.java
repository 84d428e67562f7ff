package dev.scalekernel.harness.spec;

import dev.scalekernel.api.DType;
import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.sweep.Point;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A spec with every parameter of its experiment resolved to a typed value or a sweep axis, in the
 * experiment's declaration order. Its canonical text (YAML) and hash identify the run; its points
 * are the grid of all axes times the seeds, in a fixed order.
 */
public record ResolvedSpec(String name, Experiment experiment, String description, DType dtype, List<Long> seeds,
                           Map<String, Object> fixed, Map<String, List<Object>> axes, String backend, int threads) {

    /** The canonical YAML saved in the run directory; loading it gives back the same spec. */
    public String toYaml() {
        StringBuilder sb = new StringBuilder();
        sb.append("# resolved spec of run '").append(name).append("' (hash ").append(hash()).append(")\n");
        sb.append("experiment: ").append(experiment.id()).append('\n');
        sb.append("description: ").append(quote(description)).append('\n');
        sb.append("dtype: ").append(dtype).append('\n');
        sb.append("seeds: ").append(seeds).append('\n');
        sb.append("params:\n");
        fixed.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(scalar(v)).append('\n'));
        sb.append("sweep:").append(axes.isEmpty() ? " {}" : "").append('\n');
        axes.forEach((k, v) -> sb.append("  ").append(k).append(": ")
                .append(v.stream().map(ResolvedSpec::scalar).toList()).append('\n'));
        sb.append("backend: {id: ").append(backend).append(", threads: ").append(threads).append("}\n");
        return sb.toString();
    }

    /**
     * First 12 hex digits of the SHA-256 of the canonical content. Name, description and backend are
     * excluded: they do not change the numbers a point should produce (the backend is recorded per row).
     */
    public String hash() {
        StringBuilder canonical = new StringBuilder(experiment.id()).append('|').append(dtype).append('|').append(seeds);
        fixed.forEach((k, v) -> canonical.append('|').append(k).append('=').append(scalar(v)));
        axes.forEach((k, v) -> canonical.append('|').append(k).append("=").append(v));
        return sha256(canonical.toString()).substring(0, 12);
    }

    /** Grid × seeds: the first axis varies slowest, seeds fastest. */
    public List<Point> points() {
        List<Map<String, Object>> grid = new ArrayList<>();
        grid.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<Object>> axis : axes.entrySet()) {
            List<Map<String, Object>> next = new ArrayList<>();
            for (Map<String, Object> partial : grid) {
                for (Object value : axis.getValue()) {
                    Map<String, Object> m = new LinkedHashMap<>(partial);
                    m.put(axis.getKey(), value);
                    next.add(m);
                }
            }
            grid = next;
        }
        List<Point> points = new ArrayList<>();
        for (Map<String, Object> g : grid) {
            Map<String, Object> values = new LinkedHashMap<>();
            for (Param p : experiment.params()) {
                values.put(p.name(), g.containsKey(p.name()) ? g.get(p.name()) : fixed.get(p.name()));
            }
            for (long seed : seeds) {
                points.add(new Point(pointId(values, seed), values, seed));
            }
        }
        return points;
    }

    private String pointId(Map<String, Object> values, long seed) {
        StringBuilder sb = new StringBuilder(experiment.id()).append('|').append(dtype).append('|').append(seed);
        values.forEach((k, v) -> sb.append('|').append(k).append('=').append(scalar(v)));
        return sha256(sb.toString()).substring(0, 16);
    }

    static String scalar(Object v) {
        if (v instanceof Double d) {
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.format("%.1f", d) : Double.toString(d);
        }
        return String.valueOf(v);
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
