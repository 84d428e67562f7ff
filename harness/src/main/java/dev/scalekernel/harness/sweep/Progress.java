package dev.scalekernel.harness.sweep;

import java.io.PrintWriter;

/**
 * Progress of a sweep: on a terminal a bar redrawn in place with points per second and ETA; when
 * the output is a file or a pipe, a plain line at most every few seconds and at the end.
 */
final class Progress {
    private static final long PLAIN_INTERVAL_NANOS = 5_000_000_000L;

    private final PrintWriter err;
    private final int total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long lastPrint;
    private int done;
    private int failed;

    Progress(PrintWriter err, int total, boolean terminal) {
        this.err = err;
        this.total = total;
        this.terminal = terminal;
    }

    synchronized void pointFinished(boolean ok) {
        done++;
        if (!ok) {
            failed++;
        }
        long now = System.nanoTime();
        if (terminal || done == total || now - lastPrint >= PLAIN_INTERVAL_NANOS) {
            lastPrint = now;
            print(now);
        }
    }

    private void print(long now) {
        double seconds = (now - start) / 1e9;
        double rate = done / Math.max(seconds, 1e-9);
        double eta = (total - done) / Math.max(rate, 1e-9);
        String counts = String.format("%d/%d points%s, %.2f points/s, elapsed %s, ETA %s", done, total,
                failed > 0 ? " (" + failed + " failed)" : "", rate, duration(seconds), duration(eta));
        if (terminal) {
            int width = 30;
            int filled = (int) Math.round(width * done / (double) Math.max(total, 1));
            err.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + counts + "   ");
            if (done == total) {
                err.println();
            }
        } else {
            err.println("progress: " + counts);
        }
        err.flush();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s < 60 ? s + "s" : s < 3600 ? (s / 60) + "m" + (s % 60) + "s" : (s / 3600) + "h" + (s % 3600 / 60) + "m";
    }
}
