package dev.scalekernel.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * {@code threads} workers for the machine-limit loops: the calling thread runs part 0 and
 * {@code threads − 1} daemon helpers the others (as the CPU backend's pool does), so one call
 * keeps exactly {@code threads} threads busy.
 */
final class Pool implements AutoCloseable {
    private final int threads;
    private final ExecutorService helpers;

    Pool(int threads) {
        this.threads = threads;
        this.helpers = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "bench-helper");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    int threads() {
        return threads;
    }

    /** Runs part(0..threads−1), one per thread, and returns when all have finished. */
    void run(IntConsumer part) {
        List<Future<?>> pending = new ArrayList<>();
        for (int p = 1; p < threads; p++) {
            int q = p;
            pending.add(helpers.submit(() -> part.accept(q)));
        }
        part.accept(0);
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    @Override
    public void close() {
        if (helpers != null) {
            helpers.shutdownNow();
        }
    }
}
