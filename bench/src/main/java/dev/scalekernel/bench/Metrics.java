package dev.scalekernel.bench;

import java.util.Locale;
import java.util.Map;

/**
 * What one benchmark run measured, in the units of the report: its work per call (FLOPs or
 * bytes, from the parameters) divided by the median time per call.
 */
public final class Metrics {

    /** Compute-bound (GFLOP/s against the FMA peak), bandwidth-bound (GB/s against STREAM), or a machine limit. */
    public enum Kind { COMPUTE, BANDWIDTH, PEAK_FMA, PEAK_BANDWIDTH }

    /**
     * One measured run. Exactly one of gflops and gbps is non-null. {@code stepMillis} is the time of
     * one gradient-descent step (NaN for other ops); {@code note} says what else is worth knowing.
     */
    public record Measure(String op, String shape, String dtype, int threads, String backend, Kind kind,
                          Double gflops, Double gbps, double medianMillis, double stepMillis, String note) {

        /** The rate the ratio and percentage use: GFLOP/s or GB/s. */
        public double rate() {
            return gflops != null ? gflops : gbps;
        }
    }

    private Metrics() {
    }

    /**
     * The measure of benchmark {@code benchmark} (fully qualified or Class.method) with JMH
     * parameters {@code params} and time per call {@code medianMillis} (the median, or the best call
     * for machine limits: see {@link #percentile}).
     */
    public static Measure of(String benchmark, Map<String, String> params, double medianMillis) {
        String name = simpleName(benchmark);
        double seconds = medianMillis * 1e-3;
        String dtype = params.getOrDefault("dtype", "f64");
        int bytes = "f32".equals(dtype) ? 4 : 8;
        int threads = Integer.parseInt(params.getOrDefault("threads", "1"));
        String backend = params.getOrDefault("impl", Plan.MACHINE);
        switch (name) {
            case "PeakFmaBench.fma" -> {
                int bits = Integer.parseInt(params.get("bits"));
                double lanes = bits / (bytes * 8.0);
                double flops = (double) threads * PeakFmaBench.ITERATIONS * PeakFmaBench.ACCUMULATORS * lanes * 2;
                return new Measure("peak_fma", PeakFmaBench.ACCUMULATORS + " acc x " + bits + "-bit", dtype, threads,
                        "vector-api", Kind.PEAK_FMA, flops / seconds * 1e-9, null, medianMillis, Double.NaN,
                        "register-only FMA loop; best call");
            }
            case "StreamBench.triad" -> {
                int mib = Integer.parseInt(params.get("mib"));
                double moved = 3.0 * mib * (1 << 20);
                return new Measure("stream_triad", "3x" + mib + "MiB", "f64", threads, "java", Kind.PEAK_BANDWIDTH, null,
                        moved / seconds * 1e-9, medianMillis, Double.NaN, "a = b + s*c, 24 bytes/element; best call");
            }
            case "GemmBench.gemm" -> {
                double n = Double.parseDouble(params.get("n"));
                return compute("gemm", "n=" + params.get("n"), dtype, threads, backend, 2 * n * n * n, seconds,
                        medianMillis, "");
            }
            case "GramBench.gram" -> {
                double p = Double.parseDouble(params.get("p"));
                double n = Double.parseDouble(params.get("n"));
                return compute("gram_syrk", "P=" + params.get("p") + ",N=" + params.get("n"), dtype, threads, backend,
                        p * (p + 1) * n, seconds, medianMillis, "");
            }
            case "LatentGramBench.accumulate", "LatentGramBench.syrk" -> {
                int m = Integer.parseInt(params.get("m"));
                int tiles = Integer.parseInt(params.get("tiles"));
                double rows = (double) tiles * LatentGramBench.rows(m);
                String op = name.endsWith("accumulate") ? "latentGram_philox+syrk" : "latentGram_syrk";
                return compute(op, "M=" + m + ",rows=" + (long) rows, "f32", threads, backend, rows * m * (m + 1.0), seconds,
                        medianMillis, name.endsWith("accumulate") ? "fillGaussian + gramColumns(beta=1) per tile" : "");
            }
            case "FeatureMapBench.featureMap", "FeatureMapBench.gemm" -> {
                double p = Double.parseDouble(params.get("p"));
                double m = Double.parseDouble(params.get("m"));
                double n = Double.parseDouble(params.get("n"));
                String op = name.endsWith("featureMap") ? "featureMap_relu" : "featureMap_gemm";
                String shape = "P=" + params.get("p") + ",M=" + params.get("m") + ",N=" + params.get("n");
                String note = Impls.OPENBLAS.equals(backend) && op.equals("featureMap_relu") ? "sgemm + ReLU pass" : "";
                return compute(op, shape, dtype, threads, backend, 2 * p * m * n, seconds, medianMillis, note);
            }
            case "SparseFeatureMapBench.featureMapSparse" -> {
                int p = Integer.parseInt(params.get("p"));
                int m = Integer.parseInt(params.get("m"));
                int n = Integer.parseInt(params.get("n"));
                double density = Double.parseDouble(params.get("density"));
                int perRow = SparseFeatureMapBench.perRow(m, density);
                double nnz = (double) p * perRow;
                double moved = (nnz * n + (double) p * n) * bytes;
                String shape = "P=" + p + ",M=" + m + ",N=" + n + ",nnz/row=" + perRow;
                return new Measure("featureMapSparse_relu", shape, dtype, threads, backend, Kind.BANDWIDTH, null,
                        moved / seconds * 1e-9, medianMillis, Double.NaN, "bytes = (nnz*N + P*N)*dtype");
            }
            case "GdBench.gd" -> {
                double p = Double.parseDouble(params.get("p"));
                double n = Double.parseDouble(params.get("n"));
                int k = Integer.parseInt(params.get("k"));
                int steps = Integer.parseInt(params.get("steps"));
                String shape = "P=" + params.get("p") + ",N=" + params.get("n") + ",k=" + k;
                boolean openblas = Impls.OPENBLAS.equals(backend);
                // Backends: one call = `steps` steps plus a final loss pass, i.e. steps + 1 reads of Φ,
                // of which the last does only the residual (2PNk FLOPs instead of 4PNk).
                double stepSeconds = openblas ? seconds : seconds / (steps + 1);
                if (k == 1) {
                    double gbps = p * n * bytes / stepSeconds * 1e-9;
                    String note = String.format(Locale.ROOT, "%.3f ms/step%s", stepSeconds * 1e3,
                            openblas ? "; 2 sgemv = 2 passes over Phi" : "; 1 pass over Phi per step");
                    return new Measure("gd", shape, dtype, threads, backend, Kind.BANDWIDTH, null, gbps, medianMillis,
                            stepSeconds * 1e3, note);
                }
                double flops = openblas ? 4 * p * n * k : (4.0 * steps + 2) * p * n * k;
                double gflops = flops / seconds * 1e-9;
                double perStep = 4 * p * n * k / (gflops * 1e9);
                String note = String.format(Locale.ROOT, "%.3f ms/step%s", perStep * 1e3,
                        openblas ? "; 2 sgemm" : "");
                return new Measure("gd", shape, dtype, threads, backend, Kind.COMPUTE, gflops, null, medianMillis,
                        perStep * 1e3, note);
            }
            case "FillGaussianBench.fillGaussian" -> {
                double count = Double.parseDouble(params.get("rows")) * FillGaussianBench.COLS;
                String note = String.format(Locale.ROOT, "%.3g normals/s", count / seconds);
                return new Measure("fillGaussian", "count=" + (long) count, dtype, threads, backend, Kind.BANDWIDTH,
                        null, count * bytes / seconds * 1e-9, medianMillis, Double.NaN, note + "; GB/s of output");
            }
            default -> throw new IllegalArgumentException("no metric for benchmark " + benchmark);
        }
    }

    private static Measure compute(String op, String shape, String dtype, int threads, String backend, double flops,
                                   double seconds, double medianMillis, String note) {
        return new Measure(op, shape, dtype, threads, backend, Kind.COMPUTE, flops / seconds * 1e-9, null, medianMillis,
                Double.NaN, note);
    }

    /**
     * Whether the benchmark measures a machine limit (FMA peak, STREAM). Those are summarised by
     * their best call rather than the median, as STREAM does: another process can only slow a call
     * down, so the fastest call is the closest to what the hardware does.
     */
    public static boolean isMachineLimit(String benchmark) {
        String name = simpleName(benchmark);
        return name.startsWith("PeakFmaBench.") || name.startsWith("StreamBench.");
    }

    /** The percentile of the sampled call times a benchmark is summarised by: 0 (best) for machine limits, else 50. */
    public static double percentile(String benchmark) {
        return isMachineLimit(benchmark) ? 0.0 : 50.0;
    }

    /** "dev.scalekernel.bench.GemmBench.gemm" → "GemmBench.gemm". */
    public static String simpleName(String benchmark) {
        int method = benchmark.lastIndexOf('.');
        int cls = benchmark.lastIndexOf('.', method - 1);
        return benchmark.substring(cls + 1);
    }
}
