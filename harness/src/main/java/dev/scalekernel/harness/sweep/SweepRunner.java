package dev.scalekernel.harness.sweep;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.Backends;
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

    private SweepRunner() {
    }

    public static Summary run(ResolvedSpec spec, Path directory, Backends.Choice choice, BackendOptions options,
                              int workers, PrintWriter err, boolean terminal) {
        saveSpec(spec, directory);
        List<Point> points = spec.points();
        Experiment experiment = spec.experiment();
        long start = System.nanoTime();
        try (ResultsStore store = ResultsStore.open(directory, experiment)) {
            Set<String> done = store.completedPoints();
            // Points the experiment can run together (e.g. learning rates on shared features) form one task.
            java.util.Map<String, List<Point>> groups = new java.util.LinkedHashMap<>();
            points.stream().filter(p -> !done.contains(p.id()))
                    .forEach(p -> groups.computeIfAbsent(experiment.batchKey(p), k -> new ArrayList<>()).add(p));
            ConcurrentLinkedQueue<List<Point>> todo = new ConcurrentLinkedQueue<>(groups.values());
            int pending = groups.values().stream().mapToInt(List::size).sum();
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
                                long t0 = System.nanoTime();
                                List<Experiment.Outcome> outcomes;
                                try {
                                    outcomes = experiment.runBatch(backend, spec.dtype(), group);
                                } catch (RuntimeException e) {
                                    // wall_s of a group is shared evenly by its points.
                                    double share = (System.nanoTime() - t0) / 1e9 / group.size();
                                    for (Point p : group) {
                                        store.fail(p, String.valueOf(e), share);
                                        synchronized (failed) {
                                            failed[0]++;
                                        }
                                        progress.pointFinished(false);
                                    }
                                    continue;
                                }
                                double share = (System.nanoTime() - t0) / 1e9 / group.size();
                                for (int i = 0; i < group.size(); i++) {
                                    store.append(group.get(i), prov, outcomes.get(i), share);
                                    progress.pointFinished(true);
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
    static void saveSpec(ResolvedSpec spec, Path directory) {
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

    static String host() {
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
