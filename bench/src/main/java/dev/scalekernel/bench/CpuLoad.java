package dev.scalekernel.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the machine was with work that is not ours: the CPU time all processes used (the
 * aggregate line of /proc/stat) minus what this JVM and its waited-for children used
 * (utime + stime + cutime + cstime of /proc/self/stat). JMH's forks are children of the JVM that
 * runs {@link BenchMain}, and JMH waits for each before the next starts, so a snapshot before and
 * after one benchmark gives the other sessions' share of the machine during it. Linux only;
 * elsewhere {@link #read()} returns null and the load is reported as unknown.
 */
public record CpuLoad(long totalTicks, long busyTicks, long ownTicks) {

    /** A snapshot, or null where /proc is not readable. */
    public static CpuLoad read() {
        try {
            String stat = Files.readString(Path.of("/proc/stat"));
            String cpu = stat.lines().filter(l -> l.startsWith("cpu ")).findFirst().orElse(null);
            String self = Files.readString(Path.of("/proc/self/stat"));
            if (cpu == null) {
                return null;
            }
            return parse(cpu, self);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** From the "cpu ..." line of /proc/stat and the content of /proc/self/stat. */
    static CpuLoad parse(String cpuLine, String selfStat) {
        String[] f = cpuLine.trim().split("\\s+");
        long total = 0;
        long idle = 0;
        // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
        for (int i = 1; i < Math.min(f.length, 9); i++) {
            long v = Long.parseLong(f[i]);
            total += v;
            if (i == 4 || i == 5) {
                idle += v;
            }
        }
        // The command name (field 2) may hold spaces: count fields after the closing parenthesis.
        String[] s = selfStat.substring(selfStat.lastIndexOf(')') + 2).trim().split("\\s+");
        // After ")": state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17); s[0] is field 3.
        long own = Long.parseLong(s[11]) + Long.parseLong(s[12]) + Long.parseLong(s[13]) + Long.parseLong(s[14]);
        return new CpuLoad(total, total - idle, own);
    }

    /**
     * Percent of the machine's CPU capacity (all CPUs) that other processes used between
     * {@code before} and {@code after}; NaN when unknown.
     */
    public static double foreignPercent(CpuLoad before, CpuLoad after) {
        if (before == null || after == null) {
            return Double.NaN;
        }
        long total = after.totalTicks - before.totalTicks;
        if (total <= 0) {
            return Double.NaN;
        }
        long foreign = (after.busyTicks - before.busyTicks) - (after.ownTicks - before.ownTicks);
        return 100.0 * Math.max(0, foreign) / total;
    }
}
