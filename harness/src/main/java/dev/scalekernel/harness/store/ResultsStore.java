package dev.scalekernel.harness.store;

import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.experiment.Measurement;
import dev.scalekernel.harness.spec.Param;
import dev.scalekernel.harness.sweep.Point;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The results of one run directory in an embedded DuckDB file ({@code results.duckdb}).
 *
 * <p>Table {@code results}: one row per (point, recorded step), columns
 * {@code point_id, spec_hash, experiment, backend, dtype, seed, threads}, every parameter under its
 * spec name, {@code step}, every measurement, then {@code wall_s, flops, finished_at, host, version}.
 * Table {@code points}: one row per finished point with its status ("done" or "failed") and message.
 *
 * <p>Crash safety: a point's rows and its {@code points} row are written in one transaction, so after
 * a kill at any moment a point is either complete or absent; opening the store also deletes any
 * result rows without a finished point (belt and braces). Rows are written through the Appender
 * (JDBC batches are two orders of magnitude slower).
 */
public final class ResultsStore implements AutoCloseable {

    public static final String FILE = "results.duckdb";

    private final DuckDBConnection connection;
    private final Experiment experiment;

    /** Provenance columns shared by every row of a run. */
    public record Provenance(String specHash, String backend, String dtype, int threads, String host, String version) {
    }

    private ResultsStore(DuckDBConnection connection, Experiment experiment) {
        this.connection = connection;
        this.experiment = experiment;
    }

    /** Opens (creating if needed) the store of a run directory. */
    public static ResultsStore open(Path runDirectory, Experiment experiment) {
        try {
            DuckDBConnection c = (DuckDBConnection) DriverManager.getConnection(
                    "jdbc:duckdb:" + runDirectory.resolve(FILE).toAbsolutePath());
            ResultsStore store = new ResultsStore(c, experiment);
            store.createTables();
            return store;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the results store in " + runDirectory + ": " + e.getMessage(), e);
        }
    }

    /** Opens an existing store read-only (report, export). */
    public static Connection openReadOnly(Path runDirectory) {
        Path file = runDirectory.resolve(FILE);
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no results in '" + runDirectory + "' (expected " + file + ")");
        }
        try {
            java.util.Properties ro = new java.util.Properties();
            ro.setProperty("duckdb.read_only", "true");
            return DriverManager.getConnection("jdbc:duckdb:" + file.toAbsolutePath(), ro);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    private void createTables() throws SQLException {
        StringBuilder ddl = new StringBuilder("CREATE TABLE IF NOT EXISTS results (point_id VARCHAR NOT NULL, "
                + "spec_hash VARCHAR, experiment VARCHAR, backend VARCHAR, dtype VARCHAR, seed BIGINT, threads INTEGER");
        for (Param p : experiment.params()) {
            ddl.append(", ").append(quote(p.name())).append(' ').append(p.sqlType());
        }
        ddl.append(", step BIGINT");
        for (Measurement m : experiment.measurements()) {
            ddl.append(", ").append(quote(m.name())).append(' ').append(m.sqlType());
        }
        ddl.append(", wall_s DOUBLE, flops DOUBLE, finished_at TIMESTAMP, host VARCHAR, version VARCHAR)");
        try (Statement s = connection.createStatement()) {
            s.execute(ddl.toString());
            s.execute("CREATE TABLE IF NOT EXISTS points (point_id VARCHAR PRIMARY KEY, status VARCHAR, message VARCHAR, "
                    + "wall_s DOUBLE, finished_at TIMESTAMP)");
            // A crash can leave nothing half-written (one transaction per point), but failed points are retried.
            s.execute("DELETE FROM points WHERE status <> 'done'");
            s.execute("DELETE FROM results WHERE point_id NOT IN (SELECT point_id FROM points)");
        }
        connection.setAutoCommit(false);
        connection.commit();
    }

    /** Ids of the points already complete. */
    public synchronized Set<String> completedPoints() {
        Set<String> ids = new HashSet<>();
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT point_id FROM points WHERE status = 'done'")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
            return ids;
        } catch (SQLException e) {
            throw new IllegalStateException("reading finished points: " + e.getMessage(), e);
        }
    }

    /** Writes a point's rows and marks it done, atomically. */
    public synchronized void append(Point point, Provenance prov, Experiment.Outcome outcome, double wallSeconds) {
        LocalDateTime now = LocalDateTime.now();
        try {
            try (DuckDBAppender a = connection.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "results")) {
                for (Experiment.Row row : outcome.rows()) {
                    a.beginRow();
                    a.append(point.id());
                    a.append(prov.specHash());
                    a.append(experiment.id());
                    a.append(prov.backend());
                    a.append(prov.dtype());
                    a.append(point.seed());
                    a.append(prov.threads());
                    for (Param p : experiment.params()) {
                        appendValue(a, point.values().get(p.name()));
                    }
                    appendValue(a, row.step());
                    for (Measurement m : experiment.measurements()) {
                        appendValue(a, row.values().get(m.name()));
                    }
                    a.append(wallSeconds);
                    a.append(outcome.flops());
                    a.append(now);
                    a.append(prov.host());
                    a.append(prov.version());
                    a.endRow();
                }
            }
            markPoint(point, "done", null, wallSeconds, now);
            connection.commit();
        } catch (SQLException e) {
            rollback();
            throw new IllegalStateException("writing the results of point " + point.id() + ": " + e.getMessage(), e);
        }
    }

    /** Records a point that threw; it is retried the next time the sweep runs. */
    public synchronized void fail(Point point, String message, double wallSeconds) {
        try {
            markPoint(point, "failed", message, wallSeconds, LocalDateTime.now());
            connection.commit();
        } catch (SQLException e) {
            rollback();
            throw new IllegalStateException("recording the failure of point " + point.id() + ": " + e.getMessage(), e);
        }
    }

    /** Failed points of this session: id and message. */
    public synchronized List<String[]> failures() {
        List<String[]> out = new ArrayList<>();
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT point_id, message FROM points WHERE status = 'failed' ORDER BY point_id")) {
            while (rs.next()) {
                out.add(new String[] {rs.getString(1), rs.getString(2)});
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    // ---- Parquet parts: rows computed elsewhere (Spark executors), merged here by the driver ----

    /** A column of a Parquet part file: its name and DuckDB type (VARCHAR, BIGINT, INTEGER, DOUBLE or BOOLEAN). */
    public record PartColumn(String name, String sqlType) {
    }

    /**
     * What {@link #mergeParts} stored: new done and failed points, the point copies it ignored (other
     * attempts, or points already done), and the backends' descriptions found in the parts.
     */
    public record MergeResult(int done, int failed, int ignored, List<String> backends) {
    }

    /**
     * The columns of a Parquet part, in order: {@code attempt} (the task attempt that wrote the row),
     * {@code status} ("done" or "failed"), {@code message}, then the {@code results} columns with
     * {@code finished_at} as {@code finished_at_us} (microseconds since 1970 of the local date-time),
     * then {@code backend_info} (the backend's one-line description). A failed point has one row, with
     * null step and measurements.
     */
    public static List<PartColumn> partColumns(Experiment experiment) {
        List<PartColumn> c = new ArrayList<>(List.of(new PartColumn("attempt", "VARCHAR"), new PartColumn("status", "VARCHAR"),
                new PartColumn("message", "VARCHAR")));
        for (PartColumn r : resultColumns(experiment)) {
            c.add(r.name().equals("finished_at") ? new PartColumn("finished_at_us", "BIGINT") : r);
        }
        c.add(new PartColumn("backend_info", "VARCHAR"));
        return c;
    }

    private static List<PartColumn> resultColumns(Experiment experiment) {
        List<PartColumn> c = new ArrayList<>(List.of(new PartColumn("point_id", "VARCHAR"), new PartColumn("spec_hash", "VARCHAR"),
                new PartColumn("experiment", "VARCHAR"), new PartColumn("backend", "VARCHAR"), new PartColumn("dtype", "VARCHAR"),
                new PartColumn("seed", "BIGINT"), new PartColumn("threads", "INTEGER")));
        experiment.params().forEach(p -> c.add(new PartColumn(p.name(), p.sqlType())));
        c.add(new PartColumn("step", "BIGINT"));
        experiment.measurements().forEach(m -> c.add(new PartColumn(m.name(), m.sqlType())));
        c.addAll(List.of(new PartColumn("wall_s", "DOUBLE"), new PartColumn("flops", "DOUBLE"),
                new PartColumn("finished_at", "TIMESTAMP"), new PartColumn("host", "VARCHAR"), new PartColumn("version", "VARCHAR")));
        return c;
    }

    /**
     * Stores the points found in Parquet part files (local paths), in one transaction. Idempotent: a
     * point already done here is skipped, and a point present in several files (a task retried after
     * its output was committed, or a speculative copy) is stored once, from one attempt — a done
     * attempt over a failed one, then the smallest attempt id — so it never has two row sets.
     */
    public synchronized MergeResult mergeParts(List<Path> files) {
        if (files.isEmpty()) {
            return new MergeResult(0, 0, 0, List.of());
        }
        String list = files.stream().map(f -> "'" + f.toAbsolutePath().toString().replace("'", "''") + "'")
                .collect(java.util.stream.Collectors.joining(", ", "[", "]"));
        List<String> targets = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (PartColumn c : resultColumns(experiment)) {
            targets.add(quote(c.name()));
            sources.add(c.name().equals("finished_at") ? "make_timestamp(s.finished_at_us)" : "s." + quote(c.name()));
        }
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE OR REPLACE TEMP TABLE staged AS SELECT * FROM read_parquet(" + list + ", union_by_name = true)");
            s.execute("CREATE OR REPLACE TEMP TABLE chosen AS SELECT point_id, attempt, status FROM ("
                    + "SELECT point_id, attempt, status, row_number() OVER (PARTITION BY point_id "
                    + "ORDER BY status <> 'done', attempt) AS r FROM (SELECT DISTINCT point_id, attempt, status FROM staged)) "
                    + "WHERE r = 1 AND point_id NOT IN (SELECT point_id FROM points WHERE status = 'done')");
            int copies;
            try (ResultSet rs = s.executeQuery("SELECT count(*) - (SELECT count(*) FROM chosen) "
                    + "FROM (SELECT DISTINCT point_id, attempt FROM staged)")) {
                rs.next();
                copies = rs.getInt(1);
            }
            s.execute("INSERT INTO results (" + String.join(", ", targets) + ") SELECT " + String.join(", ", sources)
                    + " FROM staged s JOIN chosen c ON s.point_id = c.point_id AND s.attempt = c.attempt WHERE c.status = 'done'");
            s.execute("INSERT OR REPLACE INTO points SELECT s.point_id, c.status, any_value(s.message), any_value(s.wall_s), "
                    + "make_timestamp(max(s.finished_at_us)) FROM staged s JOIN chosen c "
                    + "ON s.point_id = c.point_id AND s.attempt = c.attempt GROUP BY s.point_id, c.status");
            int done;
            int failed;
            try (ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE status = 'done'), "
                    + "count(*) FILTER (WHERE status <> 'done') FROM chosen")) {
                rs.next();
                done = rs.getInt(1);
                failed = rs.getInt(2);
            }
            List<String> backends = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT DISTINCT backend_info FROM staged WHERE backend_info IS NOT NULL "
                    + "ORDER BY 1")) {
                while (rs.next()) {
                    backends.add(rs.getString(1));
                }
            }
            s.execute("DROP TABLE chosen");
            s.execute("DROP TABLE staged");
            connection.commit();
            return new MergeResult(done, failed, copies, backends);
        } catch (SQLException e) {
            rollback();
            throw new IllegalStateException("merging Parquet parts " + files + " into " + FILE + ": " + e.getMessage(), e);
        }
    }

    private void markPoint(Point point, String status, String message, double wallSeconds, LocalDateTime now)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, point.id());
            ps.setString(2, status);
            ps.setString(3, message);
            ps.setDouble(4, wallSeconds);
            ps.setObject(5, now);
            ps.executeUpdate();
        }
    }

    private static void appendValue(DuckDBAppender a, Object v) throws SQLException {
        switch (v) {
            case null -> a.appendNull();
            case Integer i -> a.append(i);
            case Long l -> a.append(l);
            case Double d -> a.append(d);
            case Boolean b -> a.append(b);
            case String s -> a.append(s);
            default -> throw new IllegalArgumentException("cannot store a " + v.getClass().getSimpleName() + ": " + v);
        }
    }

    private void rollback() {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // The original failure is what the caller reports.
        }
    }

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    @Override
    public synchronized void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException("closing the results store: " + e.getMessage(), e);
        }
    }
}
