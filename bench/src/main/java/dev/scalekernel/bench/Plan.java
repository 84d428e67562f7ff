package dev.scalekernel.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which benchmark runs with which parameters, per profile. JMH would run the cartesian product
 * of a class's {@code @Param} values; the plan instead lists the combinations that make sense
 * (the reference only at small sizes, VectorBLAS only on one thread, the GEMM family also on one
 * thread), and BenchMain runs each as its own JMH run.
 */
public final class Plan {

    /** JMH settings of a profile. */
    public record Profile(String name, int forks, int warmupIterations, int warmupMillis, int measurementIterations,
                          int measurementMillis) {

        public static final Profile QUICK = new Profile("quick", 1, 2, 500, 4, 500);
        public static final Profile FULL = new Profile("full", 2, 1, 1000, 3, 1000);

        /** The quick profile's sizes (fewer, smaller); any other name plans the full sizes. */
        public boolean quick() {
            return "quick".equals(name);
        }

        /** This profile with JMH settings overridden where given (--forks, --wi, --w, --i, --r; times in ms). */
        public Profile with(Map<String, String> o) {
            return new Profile(name, Integer.parseInt(o.getOrDefault("forks", String.valueOf(forks))),
                    Integer.parseInt(o.getOrDefault("wi", String.valueOf(warmupIterations))),
                    Integer.parseInt(o.getOrDefault("w", String.valueOf(warmupMillis))),
                    Integer.parseInt(o.getOrDefault("i", String.valueOf(measurementIterations))),
                    Integer.parseInt(o.getOrDefault("r", String.valueOf(measurementMillis))));
        }

        public static Profile named(String name) {
            return switch (name) {
                case "quick" -> QUICK;
                case "full" -> FULL;
                default -> throw new IllegalArgumentException("unknown profile '" + name + "'; expected quick or full");
            };
        }
    }

    /** One JMH run: a benchmark method (Class.method) and one value per parameter. */
    public record Config(String benchmark, Map<String, String> params) {

        public Config {
            params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
        }

        /** The implementation (backend or baseline) this run measures; "machine" for the peak loops. */
        public String impl() {
            return params.getOrDefault("impl", MACHINE);
        }

        /** "GemmBench.gemm impl=cpu dtype=f32 n=1001 threads=2". */
        public String describe() {
            StringBuilder sb = new StringBuilder(benchmark);
            params.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
            return sb.toString();
        }
    }

    /** The pseudo-implementation of the machine-limit loops (FMA peak, STREAM triad). */
    public static final String MACHINE = "machine";

    private Plan() {
    }

    /**
     * The runs of a profile, in order: machine limits first, then each family. {@code cores} is the
     * "all cores" thread count of the main table, {@code bits} the preferred vector width, and
     * {@code gpu} whether the GPU backend's probe said available.
     */
    public static List<Config> configs(Profile profile, int cores, int bits, boolean gpu) {
        boolean quick = profile.quick();
        List<Config> out = new ArrayList<>();
        List<Integer> oneAndAll = cores > 1 ? List.of(1, cores) : List.of(1);

        // Machine limits, measured in the same run: every percentage divides by these.
        for (String dt : List.of("f32", "f64")) {
            for (int t : oneAndAll) {
                out.add(config("PeakFmaBench.fma", "dtype", dt, "threads", t, "bits", bits));
            }
        }
        for (int t : oneAndAll) {
            out.add(config("StreamBench.triad", "threads", t, "mib", 256));
        }

        // GEMM, square, on one thread and on all cores; sizes include non-multiples of 16 and 8.
        List<Integer> gemmSizes = quick ? List.of(256, 1001) : List.of(256, 1001, 2048);
        for (String dt : List.of("f32", "f64")) {
            for (int n : gemmSizes) {
                if (quick && n == 256 && !"f32".equals(dt)) {
                    continue;
                }
                boolean small = n <= 256;
                if (small) {
                    out.add(config("GemmBench.gemm", "impl", Impls.REFERENCE, "dtype", dt, "n", n, "threads", 1));
                }
                List<Integer> threads = quick && small ? List.of(1) : oneAndAll;
                for (int t : threads) {
                    out.add(config("GemmBench.gemm", "impl", Impls.CPU, "dtype", dt, "n", n, "threads", t));
                    out.add(config("GemmBench.gemm", "impl", Impls.OPENBLAS, "dtype", dt, "n", n, "threads", t));
                }
                if (gpu) {
                    out.add(config("GemmBench.gemm", "impl", Impls.GPU, "dtype", dt, "n", n, "threads", cores));
                }
                // VectorBLAS falls off a cliff at n >= 1536 (several seconds a call): fp32 shows it.
                if (n < 2048 || "f32".equals(dt)) {
                    out.add(config("GemmBench.gemm", "impl", Impls.VECTORBLAS, "dtype", dt, "n", n, "threads", 1));
                }
            }
        }

        // Symmetric Gram A·Aᵀ against ?syrk.
        List<int[]> gramShapes = quick ? List.of(new int[] {2001, 1000})
                : List.of(new int[] {2001, 1000}, new int[] {4096, 4096});
        for (String dt : List.of("f32", "f64")) {
            for (int[] s : gramShapes) {
                for (String impl : backendsAndOpenBlas(gpu)) {
                    out.add(config("GramBench.gram", "impl", impl, "dtype", dt, "p", s[0], "n", s[1], "threads",
                            cores));
                }
            }
        }

        // The reduced path's S = Σ X_tᵀX_t: Philox + SYRK per tile, SYRK alone, and OpenBLAS ssyrk.
        for (int m : quick ? List.of(2048) : List.of(1024, 4096)) {
            for (String impl : backendsAndOpenBlas(gpu)) {
                if (!Impls.OPENBLAS.equals(impl)) {
                    out.add(config("LatentGramBench.accumulate", "impl", impl, "m", m, "tiles", 2, "threads", cores));
                }
                out.add(config("LatentGramBench.syrk", "impl", impl, "m", m, "tiles", 2, "threads", cores));
            }
        }

        // Dense feature map with fused ReLU, and the same backend's GEMM of that shape.
        int[] fm = quick ? new int[] {2048, 257, 2048} : new int[] {4096, 1001, 4096};
        for (String dt : quick ? List.of("f32") : List.of("f32", "f64")) {
            for (String method : List.of("featureMap", "gemm")) {
                for (String impl : backendsAndOpenBlas(gpu)) {
                    out.add(config("FeatureMapBench." + method, "impl", impl, "dtype", dt, "p", fm[0], "m", fm[1], "n",
                            fm[2], "threads", cores));
                }
            }
        }

        // CSR feature map on a 1 %-dense input (bandwidth-bound).
        int[] csr = quick ? new int[] {2048, 4096, 4096} : new int[] {4096, 4096, 4096};
        for (String dt : quick ? List.of("f32") : List.of("f32", "f64")) {
            for (String impl : backends(gpu)) {
                out.add(config("SparseFeatureMapBench.featureMapSparse", "impl", impl, "dtype", dt, "p", csr[0], "m",
                        csr[1], "n", csr[2], "density", "0.01", "threads", cores));
            }
        }

        // Gradient descent, fp32: k = 1 (bandwidth-bound) and k = 16 (compute-bound).
        // Φ is 128 MiB (quick) or 256 MiB (full): several times the last-level cache.
        int[] gd = quick ? new int[] {16384, 2048} : new int[] {16384, 4096};
        for (int k : List.of(1, 16)) {
            for (String impl : backendsAndOpenBlas(gpu)) {
                out.add(config("GdBench.gd", "impl", impl, "dtype", "f32", "p", gd[0], "n", gd[1], "k", k, "steps", 4,
                        "threads", cores));
            }
        }

        // Philox normals.
        for (String dt : quick ? List.of("f32") : List.of("f32", "f64")) {
            for (String impl : backends(gpu)) {
                out.add(config("FillGaussianBench.fillGaussian", "impl", impl, "dtype", dt, "rows", quick ? 4096 : 8192,
                        "threads", cores));
            }
        }
        out.add(config("FillGaussianBench.fillGaussian", "impl", Impls.REFERENCE, "dtype", "f32", "rows", 256,
                "threads", 1));
        return out;
    }

    private static List<String> backends(boolean gpu) {
        return gpu ? List.of(Impls.CPU, Impls.GPU) : List.of(Impls.CPU);
    }

    private static List<String> backendsAndOpenBlas(boolean gpu) {
        return gpu ? List.of(Impls.CPU, Impls.GPU, Impls.OPENBLAS) : List.of(Impls.CPU, Impls.OPENBLAS);
    }

    /** Only the runs whose implementation is in {@code impls} (in plan order). */
    public static List<Config> select(List<Config> all, Collection<String> impls, String onlyRegex) {
        java.util.regex.Pattern only = onlyRegex == null ? null : java.util.regex.Pattern.compile(onlyRegex);
        return all.stream().filter(c -> impls.contains(c.impl()))
                .filter(c -> only == null || only.matcher(c.describe()).find()).toList();
    }

    static Config config(String benchmark, Object... kv) {
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            params.put((String) kv[i], String.valueOf(kv[i + 1]));
        }
        return new Config(benchmark, params);
    }

    /** A stable key for a run: benchmark simple name and its parameters sorted by name. */
    public static String key(String benchmark, Map<String, ?> params) {
        StringBuilder sb = new StringBuilder(Metrics.simpleName(benchmark));
        new TreeMap<>(params).forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        return sb.toString();
    }
}
