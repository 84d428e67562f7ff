package dev.scalekernel.harness.spec;

import tools.jackson.databind.JsonNode;

import java.util.Map;

/**
 * A spec file as written (YAML or JSON). Unknown fields are rejected.
 * <pre>
 * experiment: random_features        # which experiment (scalekernel presets lists them)
 * description: one line
 * dtype: f32                          # or f64
 * seeds: 3                            # a count (seeds 0..2) or a list [0, 5, 9]
 * params: {M: 128, trainer: gd}       # fixed values of the experiment's parameters
 * sweep:                              # axes: a list, or a log-spaced range
 *   N: [32, 128, 512]
 *   P: {from: 64, to: 4096, per_decade: 2}
 * backend: {id: cpu, threads: 2}      # optional; --backend/--threads override it
 * </pre>
 */
public record SpecFile(String experiment, String description, String dtype, JsonNode seeds, Map<String, JsonNode> params,
                       Map<String, JsonNode> sweep, BackendSpec backend) {

    /** Where the spec would like to run: a backend id (auto, cpu, gpu, reference) and its thread count. */
    public record BackendSpec(String id, Integer threads) {
    }
}
