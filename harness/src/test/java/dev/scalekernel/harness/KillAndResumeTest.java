package dev.scalekernel.harness;

import dev.scalekernel.api.GdOptions;
import dev.scalekernel.harness.cli.Main;
import dev.scalekernel.harness.store.ResultsStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real kill -9 of a child JVM in the middle of a sweep; the same command then completes it exactly. */
class KillAndResumeTest {

    @TempDir
    Path tmp;

    @Test
    void aKilledSweepResumesWithExactlyOneRowSetPerPoint() throws Exception {
        Path out = tmp.resolve("run");
        List<String> sweep = List.of("run", "smoke", "--backend", "reference", "--out", out.toString(),
                "--set", "trainer=gd", "--set", "N=8,12,16,20,24", "--set", "P=16,24,32,40", "--set", "M=8",
                "--set", "steps=400", "--set", "test=16", "--set", "seeds=6");
        int total = 5 * 4 * 6;
        int rowsPerPoint = GdOptions.logSpaced(400, 4).records();

        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(sweep);
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                log.append(line).append('\n');
                if (line.startsWith("progress: ")) { // the first point is committed
                    Thread.sleep(300);
                    child.destroyForcibly(); // SIGKILL: no shutdown hooks, no flush
                    break;
                }
            }
        }
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
        assertEquals(137, child.exitValue(), "killed by SIGKILL; output:\n" + log);

        long donePoints;
        try (Connection c = ResultsStore.openReadOnly(out); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM points WHERE status = 'done'")) {
            rs.next();
            donePoints = rs.getLong(1);
        }
        assertTrue(donePoints >= 1 && donePoints < total, "the kill landed mid-sweep: " + donePoints + " of " + total);

        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.execute(sweep.toArray(String[]::new), new PrintWriter(o, true), new PrintWriter(e, true));
        assertEquals(Main.OK, code, e.toString());
        assertTrue(o.toString().contains((total - donePoints) + " points run, " + donePoints + " already done"), o.toString());

        try (Connection c = ResultsStore.openReadOnly(out); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(DISTINCT point_id), count(*) FROM results")) {
                rs.next();
                assertEquals(total, rs.getLong(1), "every point has rows");
                assertEquals((long) total * rowsPerPoint, rs.getLong(2), "no row lost, none duplicated");
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM (SELECT point_id, step FROM results "
                    + "GROUP BY point_id, step HAVING count(*) > 1)")) {
                rs.next();
                assertEquals(0, rs.getLong(1), "duplicated (point, step) rows");
            }
        }
    }
}
