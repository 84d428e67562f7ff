package dev.scalekernel.harness;

import dev.scalekernel.harness.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.scalekernel.harness.store.ResultsStore;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

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

    @TempDir
    Path tmp;

    @Test
    void smokeRunsEndToEndAndWritesARunDirectory() throws Exception {
        Path out = tmp.resolve("smoke");
        Result r = run("run", "smoke", "--backend", "reference", "--out", out.toString(), "--set", "N=8,24",
                "--set", "P=16", "--set", "M=12", "--set", "steps=50", "--set", "test=64");
        assertEquals(Main.OK, r.code(), r.err());
        assertTrue(r.out().contains("backend: reference"), r.out());
        assertTrue(r.out().contains("8 points run, 0 already done, 0 failed"), r.out());
        for (String f : new String[] {"spec.yaml", "results.duckdb", "report.md", "plots/population_loss_vs_N.png",
            "plots/population_loss_vs_N.svg", "plots/loss_vs_step.png"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), "missing " + f);
        }
        // The same command again runs nothing.
        Result again = run("run", "smoke", "--backend", "reference", "--out", out.toString(), "--set", "N=8,24",
                "--set", "P=16", "--set", "M=12", "--set", "steps=50", "--set", "test=64");
        assertEquals(Main.OK, again.code(), again.err());
        assertTrue(again.out().contains("0 points run, 8 already done"), again.out());
        // A different spec in the same directory is refused.
        Result other = run("run", "smoke", "--backend", "reference", "--out", out.toString(), "--set", "N=9");
        assertEquals(Main.USER_ERROR, other.code());
        assertTrue(other.err().contains("holds a different spec"), other.err());
    }

    @Test
    void smokeRunsOnTheAutoBackendInBothPrecisions() {
        for (String dtype : new String[] {"f32", "f64"}) {
            Result r = run("run", "smoke", "--dtype", dtype, "--out", tmp.resolve(dtype).toString(), "--set", "N=16",
                    "--set", "P=32", "--set", "M=16", "--set", "steps=20", "--set", "test=32", "--set", "seeds=1");
            assertEquals(Main.OK, r.code(), r.err());
            assertTrue(r.out().contains("backend: auto chose "), r.out());
            assertTrue(r.out().contains(", " + dtype + ", spec"), r.out());
        }
    }

    @Test
    void exportWritesParquetAndCsvWithEveryRow() throws Exception {
        Path out = tmp.resolve("export");
        assertEquals(Main.OK, run("run", "smoke", "--backend", "reference", "--out", out.toString(), "--set", "N=8",
                "--set", "P=16", "--set", "M=8", "--set", "steps=30", "--set", "test=16").code());
        long rows;
        try (Connection c = ResultsStore.openReadOnly(out); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM results")) {
            rs.next();
            rows = rs.getLong(1);
        }
        assertTrue(rows > 4, "ridge and GD rows: " + rows);
        Path parquet = tmp.resolve("r.parquet");
        Path csv = tmp.resolve("r.csv");
        Result p = run("export", out.toString(), "--format", "parquet", "--to", parquet.toString());
        assertEquals(Main.OK, p.code(), p.err());
        Result c = run("export", out.toString(), "--format", "csv", "--to", csv.toString());
        assertEquals(Main.OK, c.code(), c.err());
        try (Connection conn = DriverManager.getConnection("jdbc:duckdb:"); Statement s = conn.createStatement()) {
            for (String q : new String[] {"read_parquet('" + parquet + "')", "read_csv_auto('" + csv + "')"}) {
                try (ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT point_id) FROM " + q)) {
                    rs.next();
                    assertEquals(rows, rs.getLong(1), q);
                    assertEquals(4, rs.getLong(2), q);
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT * FROM read_parquet('" + parquet + "') LIMIT 1")) {
                java.sql.ResultSetMetaData md = rs.getMetaData();
                List<String> columns = new java.util.ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    columns.add(md.getColumnName(i));
                }
                for (String col : new String[] {"point_id", "spec_hash", "backend", "dtype", "seed", "threads", "N", "P", "M",
                    "step", "train_loss", "test_loss", "population_loss", "lambda_max", "eta_used", "diverged", "diverged_step", "wall_s", "flops"}) {
                    assertTrue(columns.contains(col), "export lacks column " + col + ": " + columns);
                }
            }
        }
        assertEquals(Main.USER_ERROR, run("export", out.toString(), "--format", "xlsx", "--to", csv.toString()).code());
        assertEquals(Main.USER_ERROR, run("export", tmp.resolve("nothing").toString(), "--format", "csv", "--to", csv.toString()).code());
    }

    @Test
    void aPointThatThrowsIsRecordedAndTheSweepGoesOn() throws Exception {
        // Ridgeless on rank-deficient materialized features: with M = 4 latents, N = 8 features have a singular 8x8
        // Gram. (The latent-space path would find the minimum-norm solution instead, so it is turned off.)
        Path out = tmp.resolve("failing");
        String[] args = {"run", "smoke", "--backend", "reference", "--out", out.toString(), "--set", "M=4", "--set", "P=16",
            "--set", "N=3,8", "--set", "ridge=0", "--set", "trainer=ridge", "--set", "seeds=1", "--set", "test=8",
            "--set", "path=materialized"};
        Result r = run(args);
        assertEquals(Main.POINTS_FAILED, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("2 points run, 0 already done, 1 failed"), r.out());
        assertTrue(r.err().contains("1 point(s) failed"), r.err());
        try (Connection c = ResultsStore.openReadOnly(out); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT status, message FROM points ORDER BY status")) {
            assertTrue(rs.next());
            assertEquals("done", rs.getString(1));
            assertTrue(rs.next());
            assertEquals("failed", rs.getString(1));
            assertTrue(rs.getString(2).contains("not numerically positive definite"), rs.getString(2));
        }
        Result again = run(args);
        assertEquals(Main.POINTS_FAILED, again.code());
        assertTrue(again.out().contains("1 points run, 1 already done, 1 failed"), "the failed point is retried: " + again.out());
    }

    @Test
    void theSpecCanNameItsBackend() throws Exception {
        Path spec = tmp.resolve("b.yaml");
        Files.writeString(spec, "experiment: random_features\nparams: {M: 8, N: 8, P: 16, test: 8}\nbackend: {id: reference, threads: 1}\n");
        Result r = run("run", spec.toString(), "--out", tmp.resolve("b").toString());
        assertEquals(Main.OK, r.code(), r.err());
        assertTrue(r.out().contains("backend: reference"), r.out());
        Files.writeString(spec, "experiment: random_features\nbackend: {id: cpu, cores: 2}\n");
        Result bad = run("run", spec.toString(), "--out", tmp.resolve("c").toString());
        assertEquals(Main.USER_ERROR, bad.code());
        assertTrue(bad.err().contains("unknown field 'cores'"), bad.err());
    }

    @Test
    void backendsListsTheProbes() {
        Result r = run("backends");
        assertEquals(Main.OK, r.code());
        assertTrue(r.out().contains("reference") && r.out().contains("gpu") && r.out().contains("auto:"), r.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "run nope                          | unknown preset 'nope'",
        "run missing.yaml                  | spec file 'missing.yaml' not found",
        "run smoke --backend tpu           | unknown backend 'tpu'",
        "run smoke --dtype f16             | unknown dtype 'f16'",
        "run smoke --set N=-3              | parameter N = '-3' is invalid; expected an integer in [1, ",
        "run smoke --set N=abc             | parameter N = 'abc' is invalid; expected an integer",
        "run smoke --set colour=red        | unknown parameter 'colour'",
        "run smoke --set steps             | is not KEY=VALUE",
        "run smoke --set N=8,,9            | has an empty entry",
        "run smoke --set seeds=0           | seeds = 0 is invalid",
        "run smoke --set N=log:100:10:2    | a log range needs 0 < from <= to",
        "run smoke --threads -1            | --threads = -1 is invalid",
        "run smoke --set a=0.5             | parameter a = '0.5' is invalid; expected a number in",
        "run smoke --set trainer=adam      | expected one of ridge, gd, sgd",
        "export . --format csv --to x.csv  | no results in '.'",
    })
    void userErrorsAreOneLineAndExitTwo(String args, String message) {
        Result r = run(args.trim().split("\\s+"));
        assertEquals(Main.USER_ERROR, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(message), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "'experiment: random_features\nparams: {N: [3]}'       | params.N must be a single value",
        "'experiment: random_features\nparams: {P: true}'      | parameter P = 'true' is invalid",
        "'experiment: random_features\nsteps: 10'              | unknown field 'steps' at line 2",
        "'experiment: random_features\nparams: {N: -1}'        | parameter N = '-1' is invalid",
        "'experiment: random_features\nsweep: {N: []}'         | the sweep axis is empty",
        "'experiment: random_features\nseeds: {n: 2}'          | seeds must be a count or a list",
    })
    void malformedSpecFilesExitTwoWithOneLine(String yaml, String message) throws Exception {
        Path spec = tmp.resolve("spec.yaml");
        Files.writeString(spec, yaml.replace("\\n", "\n"));
        Result r = run("run", spec.toString(), "--out", tmp.resolve("never").toString());
        assertEquals(Main.USER_ERROR, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(message), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(!Files.exists(tmp.resolve("never")), "nothing is written before the spec is valid");
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        Result r = run("run", "smoke", "--colour", "red");
        assertEquals(Main.USER_ERROR, r.code());
        assertTrue(r.err().contains("Unknown option"), r.err());
    }
}
