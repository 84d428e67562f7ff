package dev.scalekernel.harness.cli;

import dev.scalekernel.harness.experiment.SmokeSpec;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The built-in experiments. */
enum Preset {
    SMOKE("smoke", "linear random features on power-law Gaussian data: ridge and GD over a small N x P grid, with exact population loss",
            SmokeSpec.defaults().toString());

    private final String id;
    private final String description;
    private final String defaultSize;

    Preset(String id, String description, String defaultSize) {
        this.id = id;
        this.description = description;
        this.defaultSize = defaultSize;
    }

    String id() {
        return id;
    }

    String description() {
        return description;
    }

    String defaultSize() {
        return defaultSize;
    }

    static Preset parse(String name) {
        for (Preset p : values()) {
            if (p.id.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + name + "'; expected one of "
                + Arrays.stream(values()).map(Preset::id).collect(Collectors.joining(", ")) + " (see: scalekernel presets)");
    }
}
