package dev.scalekernel.cpu;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The backend's own fixed set of compute threads. {@link #run} hands out numbered tasks to the
 * calling thread and to {@code threads − 1} daemon helpers; the caller computes too because it
 * would otherwise only wait, and a single-threaded backend then needs no hand-off at all.
 *
 * <p>Determinism is the callers' part of the contract: a task's number, never the worker that
 * happens to run it, decides what it computes, every output element belongs to exactly one task,
 * and reductions keep one partial per task and combine them in task order afterwards. The worker
 * index passed to a task only selects scratch memory.
 */
final class WorkerPool implements AutoCloseable {

    /** One numbered piece of work; {@code worker} ∈ [0, threads) picks the scratch it may use. */
    @FunctionalInterface
    interface Task {
        void run(int worker, int task);
    }

    private final int threads;
    private final ExecutorService helpers;

    WorkerPool(int threads) {
        this.threads = threads;
        AtomicInteger created = new AtomicInteger();
        this.helpers = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "scalekernel-cpu-" + created.incrementAndGet());
            t.setDaemon(true); // an unclosed backend must not keep the JVM alive
            return t;
        });
    }

    int threads() {
        return threads;
    }

    /**
     * Runs tasks 0..count−1, each exactly once, and returns when all have finished. The first
     * exception a task throws is rethrown here (after the other tasks have finished).
     */
    void run(int count, Task task) {
        int participants = Math.min(threads, count);
        if (participants <= 1) {
            for (int t = 0; t < count; t++) {
                task.run(0, t);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Future<?>[] futures = new Future<?>[participants - 1];
        for (int w = 1; w < participants; w++) {
            int worker = w;
            futures[w - 1] = helpers.submit(() -> drain(worker, next, count, task));
        }
        Throwable failure = null;
        try {
            drain(0, next, count, task);
        } catch (Throwable t) {
            failure = t;
        }
        boolean interrupted = false;
        for (Future<?> f : futures) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the helpers write into our outputs: wait for them regardless
                } catch (ExecutionException e) {
                    failure = merge(failure, e.getCause());
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException("a CPU worker failed", failure);
        }
    }

    private static void drain(int worker, AtomicInteger next, int count, Task task) {
        for (int t = next.getAndIncrement(); t < count; t = next.getAndIncrement()) {
            task.run(worker, t);
        }
    }

    private static Throwable merge(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    @Override
    public void close() {
        if (helpers != null) {
            helpers.shutdown();
        }
    }
}
