package dev.scalekernel.harness;

import dev.scalekernel.harness.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void smokeRunsEndToEndOnTheReferenceBackend() {
        Result r = run("run", "smoke", "--backend", "reference", "--set", "N=8,24", "--set", "P=16", "--set", "M=12",
                "--set", "steps=50", "--set", "test=64");
        assertEquals(Main.OK, r.code(), r.err());
        assertTrue(r.out().contains("backend: reference"), r.out());
        assertTrue(r.out().contains("2 points in"), r.out());
        String[] lines = r.out().lines().filter(l -> l.matches("\\s+\\d+\\s+\\d+ \\|.*")).toArray(String[]::new);
        assertEquals(2, lines.length, r.out());
        assertTrue(r.err().contains("point 2/2 done"), r.err());
    }

    @Test
    void smokeRunsOnTheAutoBackendInBothPrecisions() {
        for (String dtype : new String[] {"f32", "f64"}) {
            Result r = run("run", "smoke", "--dtype", dtype, "--set", "N=16", "--set", "P=32", "--set", "M=16",
                    "--set", "steps=20", "--set", "test=32");
            assertEquals(Main.OK, r.code(), r.err());
            assertTrue(r.out().contains("backend: auto chose "), r.out());
        }
    }

    @Test
    void backendsListsTheProbes() {
        Result r = run("backends");
        assertEquals(Main.OK, r.code());
        assertTrue(r.out().contains("reference") && r.out().contains("gpu") && r.out().contains("auto:"), r.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "run nope                      | unknown preset 'nope'",
        "run smoke --backend tpu       | unknown backend 'tpu'",
        "run smoke --dtype f16         | unknown dtype 'f16'",
        "run smoke --set N=-3          | N = -3 is invalid",
        "run smoke --set N=abc         | N = 'abc' is not an integer",
        "run smoke --set colour=red    | unknown setting 'colour'",
        "run smoke --set steps         | is not KEY=VALUE",
        "run smoke --threads -1        | --threads = -1 is invalid",
        "run smoke --set a=0.5         | the task exponent must be > 1",
    })
    void userErrorsAreOneLineAndExitTwo(String args, String message) {
        Result r = run(args.trim().split("\\s+"));
        assertEquals(Main.USER_ERROR, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(message), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        Result r = run("run", "smoke", "--colour", "red");
        assertEquals(Main.USER_ERROR, r.code());
        assertTrue(r.err().contains("Unknown option"), r.err());
    }
}
