package dev.scalekernel.harness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The default build has no Spark: --runner spark says in one line how to get it, and exits 2 before any work. */
class MissingSparkRunnerTest {

    @TempDir
    Path tmp;

    static boolean sparkOnClassPath() {
        try {
            Class.forName("org.apache.spark.sql.SparkSession", false, MissingSparkRunnerTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    @Test
    void theSparkRunnerWithoutSparkIsAOneLineUserError() {
        assumeFalse(sparkOnClassPath(), "Spark is on this class path (the 'spark' profile): SparkRunnerTest covers it");
        Path out = tmp.resolve("never");
        CliTest.Result r = CliTest.run("run", "smoke", "--runner", "spark", "--master", "local[2]", "--out", out.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("error: --runner spark needs Apache Spark on the class path"), r.err());
        assertTrue(r.err().contains("-Pspark") && r.err().contains("spark-submit"), "says how to get it: " + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertFalse(Files.exists(out), "nothing is written");
    }

    @Test
    void runnerOptionsAreChecked() {
        CliTest.Result bad = CliTest.run("run", "smoke", "--runner", "flink");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--runner = 'flink' is invalid; expected local or spark"), bad.err());
        CliTest.Result master = CliTest.run("run", "smoke", "--master", "local[2]");
        assertEquals(2, master.code());
        assertTrue(master.err().contains("--master applies to --runner spark only"), master.err());
        CliTest.Result workers = CliTest.run("run", "smoke", "--runner", "spark", "--workers", "4");
        assertEquals(2, workers.code());
        assertTrue(workers.err().contains("--workers applies to --runner local only"), workers.err());
        CliTest.Result size = CliTest.run("run", "smoke", "--runner", "spark", "--task-size", "0");
        assertEquals(2, size.code());
        assertTrue(size.err().contains("--task-size = 0 is invalid"), size.err());
    }
}
