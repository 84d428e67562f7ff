package dev.scalekernel.harness.sweep;

import dev.scalekernel.harness.cli.Main;
import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.spec.SpecLoader;
import dev.scalekernel.harness.store.ResultsStore;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spark runner on local Spark against the local runner: the same rows, value for value; a task
 * that dies part-way is retried and every point still has exactly one row set; a resumed sweep sends
 * only the missing points.
 */
class SparkRunnerTest {

    /** 2 widths x 2 trainers (ridge, GD with 4 recorded steps per decade) x 2 seeds = 8 points, on the CPU backend. */
    static final List<String> SWEEP = List.of("smoke", "--backend", "cpu", "--threads", "1", "--set", "N=8,24", "--set", "P=16",
            "--set", "M=12", "--set", "steps=50", "--set", "test=64");
    static final int POINTS = 8;
    /** Columns that legitimately differ between two runs of the same point: timing and where it ran. */
    static final Set<String> UNSTABLE = Set.of("wall_s", "finished_at", "host", "version");

    @TempDir
    static Path tmp;

    static List<List<Object>> localRows;

    record Result(int code, String out, String err) {
    }

    static Result cli(Path out, String... extra) {
        return cli(SWEEP, out, extra);
    }

    static Result cli(List<String> sweep, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(sweep);
        args.addAll(List.of("--out", out.toString()));
        args.addAll(List.of(extra));
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.execute(args.toArray(String[]::new), new PrintWriter(o, true), new PrintWriter(e, true));
        return new Result(code, o.toString(), e.toString());
    }

    @BeforeAll
    static void localReference() throws Exception {
        // Spark reads spark.* system properties into every SparkConf: no UI, loopback only.
        System.setProperty("spark.ui.enabled", "false");
        System.setProperty("spark.driver.host", "127.0.0.1");
        System.setProperty("spark.driver.bindAddress", "127.0.0.1");
        System.setProperty("spark.sql.shuffle.partitions", "2");
        Result local = cli(tmp.resolve("local"));
        assertEquals(Main.OK, local.code(), local.err());
        localRows = rows(tmp.resolve("local"));
        assertEquals(POINTS, localRows.stream().map(r -> r.get(0)).distinct().count());
    }

    @AfterAll
    static void stopSpark() {
        SparkSession.getDefaultSession().foreach(s -> {
            s.stop();
            return null;
        });
    }

    /** Every results row but the unstable columns, ordered by point and step. */
    static List<List<Object>> rows(Path run) throws Exception {
        List<List<Object>> rows = new ArrayList<>();
        try (Connection c = ResultsStore.openReadOnly(run); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM results ORDER BY point_id, step")) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    if (!UNSTABLE.contains(md.getColumnName(i))) {
                        row.add(md.getColumnName(i) + "=" + rs.getObject(i));
                    }
                }
                rows.add(row);
            }
        }
        return rows;
    }

    static long count(Path run, String sql) throws Exception {
        try (Connection c = ResultsStore.openReadOnly(run); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void theSparkRunnerOnLocalSparkGivesExactlyTheLocalRows() throws Exception {
        Path out = tmp.resolve("spark");
        Result r = cli(out, "--runner", "spark", "--master", "local[2]");
        assertEquals(Main.OK, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("backend: cpu, opened by each Spark task"), r.out());
        assertTrue(r.out().contains(POINTS + " points run, 0 already done, 0 failed"), r.out());
        // Same seeds, same numbers: every column of every row, doubles compared exactly (their full text).
        assertEquals(localRows, rows(out));
        assertFalse(Files.exists(out.resolve("spark-parts").resolve("_SUCCESS")), "merged parts are removed");
        try (var parts = Files.list(out.resolve("spark-parts"))) {
            assertEquals(0, parts.count(), "merged job directories are removed");
        }
        // Running it again sends nothing to Spark, and does not even start it (this master URL would fail).
        Result again = cli(out, "--runner", "spark", "--master", "no-such-master");
        assertEquals(Main.OK, again.code(), again.err());
        assertTrue(again.out().contains("0 points run, " + POINTS + " already done"), again.out());
    }

    @Test
    void aTaskThatDiesPartWayIsRetriedAndEveryPointIsStoredOnce() throws Exception {
        // local[2,2]: two threads, and each task may fail once (spark.task.maxFailures = 2).
        SparkSession session = SparkSession.builder().master("local[2,2]").appName("fault").getOrCreate();
        AtomicInteger failedTasks = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason() instanceof ExceptionFailure f && f.description().contains("injected")) {
                    failedTasks.incrementAndGet();
                }
            }
        };
        session.sparkContext().addSparkListener(listener);
        try {
            ResolvedSpec spec = SpecLoader.load(SWEEP.getFirst(), settings());
            Path out = tmp.resolve("fault");
            // 3 points per task; the second task dies after its first point's rows were handed to the Parquet writer.
            SparkRunner.TaskFault fault = (context, pointInTask) -> {
                if (context.partitionId() == 1 && context.attemptNumber() == 0 && pointInTask == 1) {
                    throw new IllegalStateException("injected failure of the first attempt");
                }
            };
            SparkRunner runner = new SparkRunner("cpu", 1, null, out.resolve("parts").toUri().toString(), 3, fault);
            StringWriter err = new StringWriter();
            SweepRunner.Summary summary = runner.run(spec, out, new PrintWriter(err, true), false);
            assertEquals(1, failedTasks.get(), "the injected failure happened once and Spark retried the task");
            assertEquals(POINTS, summary.ran(), err.toString());
            assertEquals(0, summary.failed(), err.toString());
            assertEquals(localRows, rows(out), "one row set per point, the same as the local runner's");
            assertEquals(0, count(out, "SELECT count(*) FROM (SELECT point_id, step FROM results GROUP BY ALL HAVING count(*) > 1)"));
            assertEquals(POINTS, count(out, "SELECT count(*) FROM points WHERE status = 'done'"));

            // Resume: forget three points; the next run sends exactly those and stores each once.
            try (Connection c = java.sql.DriverManager.getConnection("jdbc:duckdb:" + out.resolve(ResultsStore.FILE));
                 Statement s = c.createStatement()) {
                s.execute("CREATE TEMP TABLE gone AS SELECT point_id FROM points ORDER BY point_id LIMIT 3");
                s.execute("DELETE FROM results WHERE point_id IN (SELECT point_id FROM gone)");
                s.execute("DELETE FROM points WHERE point_id IN (SELECT point_id FROM gone)");
            }
            SparkRunner resume = new SparkRunner("cpu", 1, null, out.resolve("parts").toUri().toString(), 1);
            SweepRunner.Summary resumed = resume.run(spec, out, new PrintWriter(err, true), false);
            assertEquals(3, resumed.ran(), err.toString());
            assertEquals(POINTS - 3, resumed.alreadyDone(), err.toString());
            assertEquals(localRows, rows(out));
        } finally {
            session.sparkContext().removeSparkListener(listener);
            session.stop();
        }
    }

    @Test
    void partsThatAnEarlierDriverLeftAreMergedFirstWithoutRunningThem() throws Exception {
        // A driver that died after its job committed but before it merged leaves parts: made here from the local rows.
        Path parts = tmp.resolve("leftover-parts");
        Path job = Files.createDirectories(parts.resolve("job-20260101-000000-000-app_1"));
        String columns = ResultsStore.partColumns(SpecLoader.load("smoke", List.of()).experiment()).stream()
                .map(c -> c.name().equals("finished_at_us") ? "epoch_us(finished_at) AS finished_at_us" : "\"" + c.name() + "\"")
                .collect(java.util.stream.Collectors.joining(", "));
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("ATTACH '" + tmp.resolve("local").resolve(ResultsStore.FILE) + "' AS l (READ_ONLY)");
            s.execute("COPY (SELECT " + columns + " FROM (SELECT 'job/0.0/0.0' AS attempt, 'done' AS status, NULL::VARCHAR AS message, "
                    + "'left over' AS backend_info, * FROM l.results)) TO '" + job.resolve("part-00000.snappy.parquet")
                    + "' (FORMAT parquet)");
        }
        Path out = tmp.resolve("leftover");
        // No Spark master that could start: the merge needs none, and no point is left to send.
        Result r = cli(out, "--runner", "spark", "--master", "no-such-master", "--parts", parts.toUri().toString());
        assertEquals(Main.OK, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("merged " + POINTS + " point(s) that an earlier driver left in"), r.err());
        assertTrue(r.out().contains("0 points run, " + POINTS + " already done"), r.out());
        assertEquals(localRows, rows(out));
        assertFalse(Files.exists(job), "merged parts are deleted");
    }

    @Test
    void aTaskOpensTheGpuSparkAssignedItAndUsesItsCores() {
        var gpu = new org.apache.spark.resource.ResourceInformation("gpu", new String[] {"3"});
        BackendOptionsView o = BackendOptionsView.of(SparkRunner.taskOptions(0, 2, java.util.Map.of("gpu", gpu)));
        assertEquals(new BackendOptionsView(2, 3), o, "spark.task.cpus threads, the assigned device");
        assertEquals(new BackendOptionsView(5, 0), BackendOptionsView.of(SparkRunner.taskOptions(5, 2, java.util.Map.of())),
                "--threads wins; no GPU assigned: device 0");
        var odd = new org.apache.spark.resource.ResourceInformation("gpu", new String[] {"GPU-5f1c"});
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SparkRunner.taskOptions(0, 1, java.util.Map.of("gpu", odd)));
        assertTrue(e.getMessage().contains("GPU address 'GPU-5f1c'"), e.getMessage());
    }

    record BackendOptionsView(int threads, int device) {
        static BackendOptionsView of(dev.scalekernel.api.BackendOptions o) {
            return new BackendOptionsView(o.threads(), o.device());
        }
    }

    @Test
    void aBackendThatTheExecutorsLackIsAOneLineUserError() throws Exception {
        // No GPU here: the executors' probe refuses it, the task fails, and the driver names the reason.
        Path out = tmp.resolve("gpu");
        List<String> onGpu = SWEEP.stream().map(a -> a.equals("cpu") ? "gpu" : a).toList();
        Result r = cli(onGpu, out, "--runner", "spark", "--master", "local[2]");
        assertEquals(Main.USER_ERROR, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("error: on a Spark executor: backend 'gpu' is unavailable"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertEquals(0, count(out, "SELECT count(*) FROM points"), "nothing stored");
    }

    @Test
    void jacksonTwoForSparkAndJacksonThreeForSpecsShareOneClassPath() throws Exception {
        // Spark's Scala module refuses a databind outside 2.21.x when it is registered; the harness's specs use Jackson 3.
        com.fasterxml.jackson.databind.ObjectMapper spark = new com.fasterxml.jackson.databind.ObjectMapper()
                .registerModule(com.fasterxml.jackson.module.scala.DefaultScalaModule$.MODULE$);
        assertEquals("[1,2]", spark.writeValueAsString(List.of(1, 2)));
        assertTrue(com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString().startsWith("2.21"),
                com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString());
        assertEquals("random_features", SpecLoader.load("smoke", List.of()).experiment().id());
        // One jackson-annotations serves both: the 2.23 that Jackson 3 needs (Jackson 2.21 works with it).
        String annotations = com.fasterxml.jackson.annotation.JsonInclude.class.getProtectionDomain().getCodeSource()
                .getLocation().toString();
        assertTrue(annotations.contains("jackson-annotations-2.23"), annotations);
    }

    static List<String> settings() {
        List<String> settings = new ArrayList<>();
        for (int i = 0; i < SWEEP.size(); i++) {
            if (SWEEP.get(i).equals("--set")) {
                settings.add(SWEEP.get(i + 1));
            }
        }
        return settings;
    }
}
