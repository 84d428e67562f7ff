package dev.scalekernel.bench;

import dev.scalekernel.bench.Metrics.Kind;
import dev.scalekernel.bench.Metrics.Measure;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns measured runs into the report: the ratio of each row to OpenBLAS measured in the same run
 * (same op, shape, dtype and threads; > 1 means faster than OpenBLAS), the percentage of the
 * machine's measured FMA peak (compute-bound rows, same dtype and threads) or of the measured
 * STREAM bandwidth (bandwidth-bound rows, same threads), the records of latest.json and the
 * printed table.
 */
public final class Report {

    /** A run as read back: its measure and the other sessions' CPU share while it ran (NaN if unknown). */
    public record Run(Measure measure, double foreignPercent) {
    }

    /** A row of the report. ratioOpenblas and pctPeak are null where they do not apply. */
    public record Row(Measure m, Double ratioOpenblas, Double pctPeak, double foreignPercent, String note) {
    }

    private static final List<String> OP_ORDER = List.of("peak_fma", "stream_triad", "gemm", "gram_syrk",
            "featureMap_relu", "featureMap_gemm", "featureMapSparse_relu", "gd", "fillGaussian");
    private static final List<String> BACKEND_ORDER = List.of("vector-api", "java", Impls.REFERENCE, Impls.CPU,
            Impls.GPU, Impls.OPENBLAS, Impls.VECTORBLAS);

    private final List<Row> rows;
    private final Map<String, Double> peak = new TreeMap<>();
    private final Map<Integer, Double> bandwidth = new TreeMap<>();

    public Report(List<Run> all) {
        List<Run> runs = dedupe(all);
        Map<String, Double> openblas = new HashMap<>();
        Map<String, Double> gemmMillis = new HashMap<>();
        Map<String, Integer> shapeOrder = new HashMap<>();
        for (Run r : runs) {
            Measure m = r.measure();
            shapeOrder.putIfAbsent(m.op() + "|" + m.shape(), shapeOrder.size());
            switch (m.kind()) {
                case PEAK_FMA -> peak.merge(m.dtype() + "/" + m.threads(), m.gflops(), Math::max);
                case PEAK_BANDWIDTH -> bandwidth.merge(m.threads(), m.gbps(), Math::max);
                default -> {
                }
            }
            if (Impls.OPENBLAS.equals(m.backend())) {
                openblas.put(same(m), m.rate());
            }
            if (m.op().equals("featureMap_gemm")) {
                gemmMillis.put(m.shape() + "|" + m.dtype() + "|" + m.threads() + "|" + m.backend(), m.medianMillis());
            }
        }
        List<Row> out = new ArrayList<>();
        for (Run r : runs) {
            Measure m = r.measure();
            boolean machine = m.kind() == Kind.PEAK_FMA || m.kind() == Kind.PEAK_BANDWIDTH;
            Double base = machine ? null : openblas.get(same(m));
            Double ratio = base == null ? null : m.rate() / base;
            Double pct = null;
            if (!machine && !Impls.GPU.equals(m.backend())) {
                Double limit = m.kind() == Kind.COMPUTE ? peak.get(m.dtype() + "/" + m.threads())
                        : bandwidth.get(m.threads());
                pct = limit == null ? null : 100 * m.rate() / limit;
            }
            String note = m.note();
            if (m.op().equals("featureMap_relu")) {
                Double g = gemmMillis.get(m.shape() + "|" + m.dtype() + "|" + m.threads() + "|" + m.backend());
                if (g != null) {
                    note = join(note, String.format(Locale.ROOT, "time / own gemm = %.3f", m.medianMillis() / g));
                }
            }
            out.add(new Row(m, ratio, pct, r.foreignPercent(), note));
        }
        out.sort(Comparator.<Row>comparingInt(x -> order(OP_ORDER, x.m().op()))
                .thenComparingInt(x -> shapeOrder.get(x.m().op() + "|" + x.m().shape()))
                .thenComparing(x -> x.m().dtype())
                .thenComparingInt(x -> x.m().threads())
                .thenComparingInt(x -> order(BACKEND_ORDER, x.m().backend())));
        this.rows = List.copyOf(out);
    }

    /**
     * One run per (op, shape, dtype, threads, backend), in first-seen order: for the machine limits
     * the highest rate (a peak is the best the machine did; run.sh measures them first and last),
     * otherwise the run least disturbed by other processes.
     */
    static List<Run> dedupe(List<Run> runs) {
        Map<String, Run> kept = new LinkedHashMap<>();
        for (Run r : runs) {
            Measure m = r.measure();
            String key = same(m) + "|" + m.backend();
            kept.merge(key, r, (a, b) -> {
                boolean peak = m.kind() == Kind.PEAK_FMA || m.kind() == Kind.PEAK_BANDWIDTH;
                if (peak) {
                    return b.measure().rate() > a.measure().rate() ? b : a;
                }
                return foreignOrMax(b) < foreignOrMax(a) ? b : a;
            });
        }
        return new ArrayList<>(kept.values());
    }

    private static double foreignOrMax(Run r) {
        return Double.isNaN(r.foreignPercent()) ? Double.MAX_VALUE : r.foreignPercent();
    }

    private static String same(Measure m) {
        return m.op() + "|" + m.shape() + "|" + m.dtype() + "|" + m.threads();
    }

    private static int order(List<String> list, String s) {
        int i = list.indexOf(s);
        return i < 0 ? list.size() : i;
    }

    private static String join(String a, String b) {
        return a == null || a.isEmpty() ? b : a + "; " + b;
    }

    public List<Row> rows() {
        return rows;
    }

    /** Measured FMA peak in GFLOP/s by "dtype/threads", e.g. "f32/2". */
    public Map<String, Double> peak() {
        return peak;
    }

    /** Measured STREAM triad bandwidth in GB/s by thread count. */
    public Map<Integer, Double> bandwidth() {
        return bandwidth;
    }

    /** The records of latest.json: exactly op, shape, dtype, threads, backend, gflops, gbps, ratio_openblas, pct_peak. */
    public List<Map<String, Object>> records() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put("op", r.m().op());
            rec.put("shape", r.m().shape());
            rec.put("dtype", r.m().dtype());
            rec.put("threads", r.m().threads());
            rec.put("backend", r.m().backend());
            rec.put("gflops", round(r.m().gflops(), 2));
            rec.put("gbps", round(r.m().gbps(), 2));
            rec.put("ratio_openblas", round(r.ratioOpenblas(), 3));
            rec.put("pct_peak", round(r.pctPeak(), 1));
            out.add(rec);
        }
        return out;
    }

    static Double round(Double v, int decimals) {
        if (v == null || !Double.isFinite(v)) {
            return null;
        }
        double scale = Math.pow(10, decimals);
        return Math.round(v * scale) / scale;
    }

    /** The lines with the machine's measured limits (what every percentage divides by). */
    public List<String> limitLines() {
        List<String> out = new ArrayList<>();
        for (String dt : List.of("f32", "f64")) {
            StringBuilder sb = new StringBuilder("Measured " + dt + " FMA peak: ");
            boolean any = false;
            for (Map.Entry<String, Double> e : peak.entrySet()) {
                if (e.getKey().startsWith(dt + "/")) {
                    int t = Integer.parseInt(e.getKey().substring(4));
                    sb.append(any ? ", " : "").append(String.format(Locale.ROOT, "%.1f GFLOP/s on %d thread%s",
                            e.getValue(), t, t == 1 ? "" : "s"));
                    any = true;
                }
            }
            out.add(any ? sb.toString() : "Measured " + dt + " FMA peak: not measured in this run");
        }
        StringBuilder sb = new StringBuilder("Measured memory bandwidth (STREAM triad): ");
        boolean any = false;
        for (Map.Entry<Integer, Double> e : bandwidth.entrySet()) {
            sb.append(any ? ", " : "").append(String.format(Locale.ROOT, "%.1f GB/s on %d thread%s", e.getValue(),
                    e.getKey(), e.getKey() == 1 ? "" : "s"));
            any = true;
        }
        out.add(any ? sb.toString() : "Measured memory bandwidth: not measured in this run");
        return out;
    }

    /** The table, as Markdown. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append("| op | shape | dtype | threads | backend | GFLOP/s | GB/s | vs OpenBLAS | % of peak | ms/call "
                + "| foreign CPU | note |\n");
        sb.append("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (Row r : rows) {
            Measure m = r.m();
            sb.append("| ").append(m.op())
                    .append(" | ").append(m.shape())
                    .append(" | ").append(m.dtype())
                    .append(" | ").append(m.threads())
                    .append(" | ").append(m.backend())
                    .append(" | ").append(m.gflops() == null ? "" : fmt(m.gflops()))
                    .append(" | ").append(m.gbps() == null ? "" : fmt(m.gbps()))
                    .append(" | ").append(r.ratioOpenblas() == null ? "–" : String.format(Locale.ROOT, "%.2f×",
                            r.ratioOpenblas()))
                    .append(" | ").append(r.pctPeak() == null ? "–" : String.format(Locale.ROOT, "%.0f%%",
                            r.pctPeak()))
                    .append(" | ").append(fmt(m.medianMillis()))
                    .append(" | ").append(Double.isNaN(r.foreignPercent()) ? "?" : String.format(Locale.ROOT, "%.0f%%",
                            r.foreignPercent()))
                    .append(" | ").append(r.note() == null ? "" : r.note())
                    .append(" |\n");
        }
        return sb.toString();
    }

    /** Three significant digits, no exponent for the usual range. */
    static String fmt(double v) {
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
