package dev.scalekernel.harness;

import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.spec.SpecLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpecLoaderTest {

    @TempDir
    Path tmp;

    @Test
    void presetResolvesWithDefaultsAndAStableHash() {
        ResolvedSpec a = SpecLoader.load("smoke", List.of());
        ResolvedSpec b = SpecLoader.load("smoke", List.of());
        assertEquals(a.hash(), b.hash());
        assertEquals(a.points().stream().map(p -> p.id()).toList(), b.points().stream().map(p -> p.id()).toList());
        assertEquals(3 * 2 * 2 * 2, a.points().size(), "N x P x trainer x seeds");
        assertEquals(a.points().size(), a.points().stream().map(p -> p.id()).distinct().count(), "point ids are unique");
        assertTrue(a.fixed().containsKey("eta_rel"), "defaults are filled in");
        assertNotEquals(a.hash(), SpecLoader.load("smoke", List.of("steps=999")).hash());
    }

    @Test
    void savedSpecLoadsBackToTheSameSpec() throws Exception {
        ResolvedSpec a = SpecLoader.load("smoke", List.of("N=log:10:1000:2", "dtype=f64", "seeds=3"));
        assertEquals(List.of(10, 32, 100, 316, 1000), a.axes().get("N"));
        assertEquals(List.of(10, 32, 100, 316, 1000, 2000), SpecLoader.load("smoke", List.of("N=log:10:2000:2")).axes().get("N"));
        Path file = tmp.resolve("again.yaml");
        Files.writeString(file, a.toYaml());
        ResolvedSpec b = SpecLoader.load(file.toString(), List.of());
        assertEquals(a.hash(), b.hash());
        assertEquals(a.points().size(), b.points().size());
    }

    @Test
    void alphaBetaParameterizationIsCheckedBeforeRunning() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SpecLoader.load("smoke", List.of("alpha=1.5")))
                .getMessage().contains("needs beta > 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SpecLoader.load("smoke", List.of("beta=0.5")))
                .getMessage().contains("alpha is 0"));
        assertEquals(24, SpecLoader.load("smoke", List.of("alpha=1.5", "beta=0.5")).points().size());
    }

    @Test
    void setMovesAParameterBetweenFixedAndSwept() {
        ResolvedSpec a = SpecLoader.load("smoke", List.of("N=64", "M=16,32"));
        assertEquals(64, a.fixed().get("N"));
        assertEquals(List.of(16, 32), a.axes().get("M"));
        assertTrue(!a.axes().containsKey("N"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "'experiment: random_features\nwidth: 3'                                  | unknown field 'width' at line 2",
        "'experiment: random_features\nparams: {N: abc}'                          | parameter N = 'abc' is invalid",
        "'experiment: random_features\nparams: {N: -4}'                           | parameter N = '-4' is invalid",
        "'experiment: random_features\nparams: [1, 2]'                            | field 'params' has the wrong type",
        "'experiment: random_features\nsweep: {N: []}'                            | the sweep axis is empty",
        "'experiment: random_features\nsweep: {N: {from: 10, to: 100}}'           | a range needs exactly the fields from, to, per_decade",
        "'experiment: random_features\nseeds: []'                                 | seeds is an empty list",
        "'experiment: random_features\nseeds: lots'                               | seeds must be a count or a list",
        "'experiment: random_features\nparams: {N: 4}\nsweep: {N: [1, 2]}'        | N is both a fixed param and a sweep axis",
        "'experiment: rnn'                                                         | unknown experiment 'rnn'",
        "'description: no experiment'                                              | field 'experiment' is missing",
        "'experiment: random_features\ndtype: f8'                                 | unknown dtype 'f8'",
        "'experiment: \"unterminated'                                            | not valid YAML/JSON",
    })
    void malformedSpecsAreOneLineErrors(String yaml, String message) throws Exception {
        Path file = tmp.resolve("bad.yaml");
        Files.writeString(file, yaml.replace("\\n", "\n"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpecLoader.load(file.toString(), List.of()));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
