package dev.scalekernel.harness.cli;

import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.Backends;
import dev.scalekernel.harness.report.RunReport;
import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.spec.SpecLoader;
import dev.scalekernel.harness.sweep.Runner;
import dev.scalekernel.harness.sweep.SweepRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run a preset or a spec file as a resumable sweep; write results, plots and a report.",
            "Running the same command again runs only the points that are missing."})
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PRESET|SPEC", description = "a preset (see: scalekernel presets) or a .yaml/.json spec file")
    String preset;

    @Option(names = "--backend", description = "auto, cpu, gpu or reference (default: the spec's backend.id, else auto)")
    String backend;

    @Option(names = "--threads", description = "threads per backend; 0 = all processors (default: the spec's backend.threads, else 0)")
    Integer threads;

    @Option(names = "--workers", defaultValue = "0",
            description = "points run at once, each on its own backend; 0 = sized to the machine: one per processor for the"
                    + " single-threaded reference backend, else 1 (the CPU backend uses every core, a GPU serialises its work)")
    int workers;

    @Option(names = "--dtype", description = "f32 or f64 (default: the spec's, else f32)")
    String dtype;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "override a parameter: N=512 (fixed), N=64,256,1024 (axis), N=log:64:4096:2 (log axis), seeds=5, dtype=f64")
    List<String> settings = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "run directory (default: runs/NAME-SPECHASH)")
    Path out;

    @Option(names = "--runner", defaultValue = "local",
            description = "local (a thread pool in this JVM, the default) or spark (each point, or batch of points, a Spark task;"
                    + " needs the spark-submit artifact, see the README)")
    String runner;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master for --runner spark, e.g. local[4] or spark://host:7077 (default: spark-submit's --master)")
    String master;

    @Option(names = "--parts", paramLabel = "URL",
            description = "where Spark executors write their Parquet parts before the driver merges them"
                    + " (default: DIR/spark-parts, which must then be on a filesystem every executor shares; any Hadoop URL)")
    String parts;

    @Option(names = "--task-size", paramLabel = "N", defaultValue = "1",
            description = "points (or batches of points the experiment runs together) per Spark task (default 1)")
    int taskSize;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (threads != null && threads < 0) {
            throw new IllegalArgumentException("--threads = " + threads + " is invalid; use 0 (all processors) or more");
        }
        if (workers < 0) {
            throw new IllegalArgumentException("--workers = " + workers + " is invalid; use 0 (sized to the machine) or more");
        }
        List<String> all = new ArrayList<>(settings);
        if (dtype != null) {
            all.add("dtype=" + dtype);
        }
        if (!runner.equals("local") && !runner.equals("spark")) {
            throw new IllegalArgumentException("--runner = '" + runner + "' is invalid; expected local or spark");
        }
        if (runner.equals("local") && (master != null || parts != null || taskSize != 1)) {
            throw new IllegalArgumentException((master != null ? "--master" : parts != null ? "--parts" : "--task-size")
                    + " applies to --runner spark only");
        }
        if (runner.equals("spark") && workers > 0) {
            throw new IllegalArgumentException("--workers applies to --runner local only; on Spark, each executor runs"
                    + " spark.executor.cores / spark.task.cpus tasks at once");
        }
        if (taskSize < 1) {
            throw new IllegalArgumentException("--task-size = " + taskSize + " is invalid; use 1 or more");
        }
        ResolvedSpec resolved = SpecLoader.load(preset, all);
        String backendId = backend != null ? backend : resolved.backend();
        int threadCount = threads != null ? threads : resolved.threads();
        Path directory = out != null ? out : Path.of("runs", resolved.name() + "-" + resolved.hash());
        Runner chosen;
        if (runner.equals("spark")) {
            chosen = SparkRunners.create(backendId, threadCount, master,
                    parts != null ? parts : directory.resolve("spark-parts").toAbsolutePath().toUri().toString(), taskSize);
        } else {
            Backends.Choice choice = Backends.choose(backendId);
            int pool = workers > 0 ? workers
                    : choice.provider().id().equals("reference") ? Runtime.getRuntime().availableProcessors() : 1;
            chosen = SweepRunner.local(choice, BackendOptions.defaults().withThreads(threadCount), pool);
        }
        int points = resolved.points().size();
        stdout.println("backend: " + chosen.describe());
        stdout.println("run " + resolved.name() + " (" + resolved.experiment().id() + ", " + resolved.dtype() + ", spec "
                + resolved.hash() + "): " + points + " points -> " + directory);
        boolean terminal = System.console() != null && System.console().isTerminal();
        SweepRunner.Summary summary = chosen.run(resolved, directory, err, terminal);
        Path report = RunReport.write(directory);
        String text = Files.readString(report);
        int from = text.indexOf("## Final losses");
        int to = text.indexOf("## Fits");
        if (from >= 0 && to > from) {
            stdout.print(text.substring(from, to));
        }
        stdout.printf("%d points run, %d already done, %d failed, in %.2f s on %s%n", summary.ran(), summary.alreadyDone(),
                summary.failed(), summary.seconds(), summary.backend());
        stdout.println("report: " + report);
        if (summary.failed() > 0) {
            err.println("error: " + summary.failed() + " point(s) failed; their messages are in " + report.getParent()
                    + "/results.duckdb (table points); running the same command again retries them");
            return Main.POINTS_FAILED;
        }
        return Main.OK;
    }
}
