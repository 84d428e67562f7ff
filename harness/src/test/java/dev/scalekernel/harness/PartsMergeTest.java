package dev.scalekernel.harness;

import dev.scalekernel.harness.cli.Main;
import dev.scalekernel.harness.experiment.Experiments;
import dev.scalekernel.harness.store.ResultsStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The driver's merge of Parquet parts (what Spark executors write) into the DuckDB store, without
 * Spark: parts are made from a local run's rows. A point present in several parts (a retried or
 * speculative task) is stored once; merging again stores nothing; a failed attempt loses to a done one.
 */
class PartsMergeTest {

    @TempDir
    Path tmp;

    @Test
    void eachPointIsStoredOnceFromOneAttemptAndMergingIsIdempotent() throws Exception {
        Path local = tmp.resolve("local");
        CliTest.Result r = CliTest.run("run", "smoke", "--backend", "reference", "--out", local.toString(), "--set", "N=8,24",
                "--set", "P=16", "--set", "M=8", "--set", "steps=30", "--set", "test=16", "--set", "seeds=1");
        assertEquals(Main.OK, r.code(), r.err());
        var experiment = Experiments.get("random_features");
        String partColumns = ResultsStore.partColumns(experiment).stream().map(c -> c.name().equals("finished_at_us")
                ? "epoch_us(finished_at) AS finished_at_us" : "\"" + c.name() + "\"").collect(Collectors.joining(", "));
        Path all = tmp.resolve("all.parquet");
        Path copies = tmp.resolve("copies.parquet");
        String x;
        String y;
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("ATTACH '" + local.resolve(ResultsStore.FILE) + "' AS l (READ_ONLY)");
            try (ResultSet rs = s.executeQuery("SELECT point_id FROM l.points ORDER BY point_id LIMIT 2")) {
                rs.next();
                x = rs.getString(1);
                rs.next();
                y = rs.getString(1);
            }
            String rows = "SELECT *, NULL::VARCHAR AS message, 'test backend' AS backend_info FROM l.results";
            // One attempt with every point.
            s.execute("COPY (SELECT " + partColumns + " FROM (SELECT 'job/0.0/0.0' AS attempt, 'done' AS status, * FROM ("
                    + rows + "))) TO '" + all + "' (FORMAT parquet)");
            // A second (speculative) attempt of point x, and a failed attempt of point y (one row, no measurements).
            s.execute("COPY (SELECT " + partColumns + " FROM (SELECT 'job/0.0/1.1' AS attempt, 'done' AS status, * FROM ("
                    + rows + ") WHERE point_id = '" + x + "' UNION ALL BY NAME SELECT 'job/0.0/2.0' AS attempt, 'failed' AS status, "
                    + "* REPLACE ('boom' AS message, NULL AS step, NULL AS test_loss) FROM (" + rows + ") WHERE point_id = '" + y
                    + "' AND step = 0)) TO '" + copies + "' (FORMAT parquet)");
        }

        Path merged = java.nio.file.Files.createDirectories(tmp.resolve("merged"));
        try (ResultsStore store = ResultsStore.open(merged, experiment)) {
            ResultsStore.MergeResult first = store.mergeParts(List.of(all, copies));
            assertEquals(4, first.done());
            assertEquals(0, first.failed(), "a done attempt wins over a failed one");
            assertEquals(2, first.ignored(), "the second copy of x and the failed attempt of y");
            assertEquals(List.of("test backend"), first.backends());
            ResultsStore.MergeResult again = store.mergeParts(List.of(all, copies));
            assertEquals(0, again.done() + again.failed(), "points already stored are skipped");
        }
        assertSameRows(local, merged);

        // Only the copies: x is done (from its second attempt), y failed with its message and no rows.
        Path partial = java.nio.file.Files.createDirectories(tmp.resolve("partial"));
        try (ResultsStore store = ResultsStore.open(partial, experiment)) {
            ResultsStore.MergeResult m = store.mergeParts(List.of(copies));
            assertEquals(1, m.done());
            assertEquals(1, m.failed());
            List<String[]> failures = store.failures();
            assertEquals(1, failures.size());
            assertEquals(y, failures.getFirst()[0]);
            assertEquals("boom", failures.getFirst()[1]);
        }
        try (Connection c = ResultsStore.openReadOnly(partial); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(DISTINCT point_id), count(*) FILTER (WHERE point_id = '" + y + "') FROM results")) {
            rs.next();
            assertEquals(1, rs.getLong(1));
            assertEquals(0, rs.getLong(2), "a failed point has no result rows");
        }
    }

    /** Both stores hold the same results rows, every column (finished_at included) compared exactly. */
    static void assertSameRows(Path a, Path b) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("ATTACH '" + a.resolve(ResultsStore.FILE) + "' AS a (READ_ONLY)");
            s.execute("ATTACH '" + b.resolve(ResultsStore.FILE) + "' AS b (READ_ONLY)");
            for (String q : new String[] {"SELECT * FROM a.results EXCEPT ALL SELECT * FROM b.results",
                "SELECT * FROM b.results EXCEPT ALL SELECT * FROM a.results"}) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM (" + q + ")")) {
                    rs.next();
                    assertEquals(0, rs.getLong(1), q);
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM a.results), (SELECT count(*) FROM b.results)")) {
                rs.next();
                assertEquals(rs.getLong(1), rs.getLong(2));
            }
        }
    }
}
