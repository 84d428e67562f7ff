package dev.scalekernel.harness.sweep;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.Backends;
import dev.scalekernel.api.DType;
import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.store.ResultsStore;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs the points of a spec that its run directory does not hold yet. The resolved spec is saved
 * before any point runs; each finished point is committed to the store on its own, so an
 * interrupted sweep resumes where it stopped. Points the experiment can share work between (same
 * {@link Experiment#batchKey}) run as one task. Each worker opens its own backend; a point that throws
 * is recorded as failed and the sweep goes on.
 */
public final class SweepRunner {

    public static final String SPEC_FILE = "spec.yaml";

    /** What a sweep did. */
    public record Summary(int total, int alreadyDone, int ran, int failed, double seconds, String backend) {
    }

    /**
     * What running one group of points gave: an outcome per point, or the failure (the exception's
     * text) shared by all of them; wall_s of a group is shared evenly by its points.
     */
    public record GroupResult(List<Experiment.Outcome> outcomes, String failure, double wallShare) {
    }

    private SweepRunner() {
    }

    /** The local pool (the default runner): {@code workers} threads, each with its own backend. */
    public static Runner local(Backends.Choice choice, BackendOptions options, int workers) {
        return new Runner() {
            @Override
            public String describe() {
                return choice.reason();
            }

            @Override
            public Summary run(ResolvedSpec spec, Path directory, PrintWriter err, boolean terminal) {
                return SweepRunner.run(spec, directory, choice, options, workers, err, terminal);
            }
        };
    }

    /**
     * The points of {@code spec} not in {@code done}, grouped by {@link Experiment#batchKey} (points the
     * experiment can run together, e.g. learning rates on shared features, form one task), in spec order.
     */
    public static List<List<Point>> pendingGroups(ResolvedSpec spec, Set<String> done) {
        java.util.Map<String, List<Point>> groups = new java.util.LinkedHashMap<>();
        spec.points().stream().filter(p -> !done.contains(p.id()))
                .forEach(p -> groups.computeIfAbsent(spec.experiment().batchKey(p), k -> new ArrayList<>()).add(p));
        return new ArrayList<>(groups.values());
    }

    /** Runs one group on an open backend: the code path every runner's points go through. */
    public static GroupResult runGroup(Experiment experiment, Backend backend, DType dtype, List<Point> group) {
        long t0 = System.nanoTime();
        try {
            List<Experiment.Outcome> outcomes = experiment.runBatch(backend, dtype, group);
            return new GroupResult(outcomes, null, (System.nanoTime() - t0) / 1e9 / group.size());
        } catch (RuntimeException e) {
            return new GroupResult(null, String.valueOf(e), (System.nanoTime() - t0) / 1e9 / group.size());
        }
    }

    public static Summary run(ResolvedSpec spec, Path directory, Backends.Choice choice, BackendOptions options,
                              int workers, PrintWriter err, boolean terminal) {
        saveSpec(spec, directory);
        List<Point> points = spec.points();
        Experiment experiment = spec.experiment();
        long start = System.nanoTime();
        try (ResultsStore store = ResultsStore.open(directory, experiment)) {
            Set<String> done = store.completedPoints();
            List<List<Point>> groups = pendingGroups(spec, done);
            ConcurrentLinkedQueue<List<Point>> todo = new ConcurrentLinkedQueue<>(groups);
            int pending = groups.stream().mapToInt(List::size).sum();
            int alreadyDone = points.size() - pending;
            if (alreadyDone > 0) {
                err.println("resuming: " + alreadyDone + " of " + points.size() + " points already done");
            }
            int toRun = pending;
            Progress progress = new Progress(err, toRun, terminal);
            int[] failed = new int[1];
            String[] backendDescription = {choice.provider().id()};
            int threads = Math.max(1, Math.min(workers, toRun));
            ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "sweep-worker");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int w = 0; w < threads && toRun > 0; w++) {
                    futures.add(pool.submit(() -> {
                        try (Backend backend = choice.provider().open(options)) {
                            backendDescription[0] = backend.info().description();
                            ResultsStore.Provenance prov = new ResultsStore.Provenance(spec.hash(), backend.info().id(),
                                    spec.dtype().toString(), backend.info().threads(), host(), version());
                            for (List<Point> group; (group = todo.poll()) != null; ) {
                                // Each point is stored as soon as the experiment hands it over, so a long batch
                                // shows progress and what it finished survives a crash; its wall_s is the time
                                // since the previous point of the batch. If the batch throws, the rest fail.
                                List<Point> batch = group;
                                boolean[] stored = new boolean[batch.size()];
                                long[] last = {System.nanoTime()};
                                String failure = null;
                                try {
                                    experiment.runBatch(backend, spec.dtype(), batch, (i, outcome) -> {
                                        long now = System.nanoTime();
                                        store.append(batch.get(i), prov, outcome, (now - last[0]) / 1e9);
                                        last[0] = now;
                                        stored[i] = true;
                                        progress.pointFinished(true);
                                    });
                                } catch (RuntimeException e) {
                                    failure = String.valueOf(e);
                                }
                                int left = 0;
                                for (boolean b : stored) {
                                    left += b ? 0 : 1;
                                }
                                double share = (System.nanoTime() - last[0]) / 1e9 / Math.max(1, left);
                                for (int i = 0; i < batch.size(); i++) {
                                    if (!stored[i]) {
                                        store.fail(batch.get(i), failure != null ? failure
                                                : "the experiment returned no outcome for this point", share);
                                        synchronized (failed) {
                                            failed[0]++;
                                        }
                                        progress.pointFinished(false);
                                    }
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("the sweep was interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } finally {
                pool.shutdownNow();
            }
            return new Summary(points.size(), alreadyDone, toRun, failed[0], (System.nanoTime() - start) / 1e9,
                    backendDescription[0]);
        }
    }

    /** Writes spec.yaml (atomically) or checks that the directory already holds this very spec. */
    public static void saveSpec(ResolvedSpec spec, Path directory) {
        try {
            Files.createDirectories(directory);
            Path file = directory.resolve(SPEC_FILE);
            if (Files.exists(file)) {
                String existing = Files.readString(file);
                if (!existing.contains("(hash " + spec.hash() + ")")) {
                    throw new IllegalArgumentException("run directory '" + directory + "' holds a different spec than "
                            + spec.hash() + " (see its " + SPEC_FILE + "); choose another --out");
                }
                return;
            }
            Path tmp = directory.resolve(SPEC_FILE + ".tmp");
            Files.writeString(tmp, spec.toYaml());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the spec to " + directory + ": " + e.getMessage(), e);
        }
    }

    public static String host() {
        String h = System.getenv("HOSTNAME");
        if (h != null && !h.isBlank()) {
            return h;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    public static String version() {
        String v = SweepRunner.class.getPackage().getImplementationVersion();
        return "scalekernel " + (v == null ? "dev" : v) + ", java " + Runtime.version();
    }
}
