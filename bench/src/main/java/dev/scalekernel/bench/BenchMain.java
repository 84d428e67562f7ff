package dev.scalekernel.bench;

import dev.scalekernel.api.Backends;
import dev.scalekernel.bench.Metrics.Measure;
import dev.scalekernel.bench.Plan.Config;
import dev.scalekernel.bench.Plan.Profile;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The bench's entry point (the main class of benchmarks.jar); bench/run.sh drives it.
 *
 * <pre>
 *   run    [--profile quick|full] [--impls machine,reference,cpu,gpu,vectorblas,openblas] [--family NAME]
 *          [--only REGEX] [--group NAME] [--stamp S] [--results DIR] [--jvm-args-file F] [--log F]
 *          [--max-foreign PCT] [--retries N] [--wait-budget S]
 *   report [--stamp S] [--results DIR] [--host H]
 *   list   [--profile quick|full] [--impls ...] [--family NAME]
 * </pre>
 *
 * {@code run} runs each planned (benchmark, parameters) combination as its own JMH run, in forks
 * that receive the project's JVM flags (target/jvm.args, filtered from the parent POM's
 * {@code sk.jvmArgs}) through {@code jvmArgsAppend}; it measures the other sessions' CPU share
 * during each run, waits for a quiet machine and re-runs a disturbed one within a time budget, and
 * writes JMH's JSON per backend ({@code <stamp>_<host>_<backend>.json}, merged across invocations
 * of the same stamp) plus {@code <stamp>_<host>_meta-<group>.json}. {@code report} reads them back
 * and writes {@code latest.json} and the table.
 */
public final class BenchMain {

    /** Benchmark classes of each family (for --family). */
    static final Map<String, List<String>> FAMILIES = new LinkedHashMap<>();

    static {
        FAMILIES.put("machine", List.of("PeakFmaBench", "StreamBench"));
        FAMILIES.put("gemm", List.of("GemmBench"));
        FAMILIES.put("gram", List.of("GramBench", "LatentGramBench"));
        FAMILIES.put("featureMap", List.of("FeatureMapBench"));
        FAMILIES.put("sparse", List.of("SparseFeatureMapBench"));
        FAMILIES.put("gd", List.of("GdBench"));
        FAMILIES.put("fill", List.of("FillGaussianBench"));
    }

    private static final String PACKAGE = "dev.scalekernel.bench.";
    private static final String DEFAULT_IMPLS = "machine,reference,cpu,gpu,vectorblas,openblas";

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            usage();
            return;
        }
        Map<String, String> opts = options(Arrays.copyOfRange(args, 1, args.length));
        int rc = switch (args[0]) {
            case "run" -> run(opts);
            case "report" -> report(opts);
            case "list" -> list(opts);
            default -> {
                System.err.println("unknown command '" + args[0] + "'");
                usage();
                yield 2;
            }
        };
        System.exit(rc);
    }

    private static void usage() {
        System.out.println("""
                usage: java <jvm flags> -jar benchmarks.jar COMMAND [options]   (bench/run.sh does all of this)
                  run     run planned benchmarks; JMH JSON per backend into --results
                          --profile quick|full  --impls a,b,...  --family machine|gemm|gram|featureMap|sparse|gd|fill
                          --only REGEX  --group NAME  --stamp YYYY-MM-DDTHH-MM  --results DIR  --jvm-args-file FILE
                          --log FILE  --max-foreign PCT (10)  --retries N (1)  --wait-budget SECONDS (180 quick, 360 full)
                          --wait-budget-file FILE (what is left of it, shared by several invocations)
                          --forks N  --wi N  --w MS  --i N  --r MS   (override the profile's JMH settings)
                          --disturbed-only   run again only the runs of this stamp and group that other
                                             processes disturbed (the report keeps the least disturbed run)
                  report  merge a stamp's results into latest.json and print the table
                          --stamp S (default: newest)  --results DIR  --host H
                  list    print the planned runs (same selection options as run)""");
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
            if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                m.put(a.substring(2), "true");
            } else {
                m.put(a.substring(2), args[++i]);
            }
        }
        return m;
    }

    // ---- list / selection ----------------------------------------------------------------

    private static List<Config> selected(Map<String, String> opts, Profile profile, boolean gpu) {
        Set<String> impls = new LinkedHashSet<>(Arrays.asList(opts.getOrDefault("impls", DEFAULT_IMPLS).split(",")));
        String only = opts.get("only");
        String family = opts.get("family");
        if (family != null) {
            List<String> classes = FAMILIES.get(family);
            if (classes == null) {
                throw new IllegalArgumentException("unknown family '" + family + "'; expected one of " + FAMILIES.keySet());
            }
            String re = "^(" + String.join("|", classes) + ")\\.";
            only = only == null ? re : "(?=.*" + only + ")" + re;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        return Plan.select(Plan.configs(profile, cores, preferredBits(), gpu), impls, only);
    }

    private static int preferredBits() {
        try {
            return PeakFmaBench.preferredBits();
        } catch (Throwable t) {
            throw new IllegalStateException("the Vector API module is not loaded; start BenchMain with the flags in "
                    + "bench/target/jvm.args (bench/run.sh does)", t);
        }
    }

    private static int list(Map<String, String> opts) {
        Profile profile = Profile.named(opts.getOrDefault("profile", "full"));
        List<Config> configs = selected(opts, profile, gpuAvailable());
        configs.forEach(c -> System.out.println(c.describe()));
        System.out.println(configs.size() + " runs in profile " + profile.name());
        return 0;
    }

    private static boolean gpuAvailable() {
        return Backends.list().stream().anyMatch(s -> s.id().equals(Impls.GPU) && s.probe().available());
    }

    private static String gpuDetail() {
        return Backends.list().stream().filter(s -> s.id().equals(Impls.GPU)).map(s -> s.probe().detail()).findFirst()
                .orElse("no gpu provider on the class path");
    }

    // ---- run -----------------------------------------------------------------------------

    private static int run(Map<String, String> opts) throws IOException {
        Profile profile = Profile.named(opts.getOrDefault("profile", "full")).with(opts);
        boolean gpu = gpuAvailable();
        List<Config> configs = selected(opts, profile, gpu);
        Path jarDir = jarDir();
        Path results = Path.of(opts.getOrDefault("results", jarDir.resolveSibling("results").toString()));
        String stamp = opts.getOrDefault("stamp", LocalDateTime.now().format(DateTimeFormatter.ofPattern(
                "yyyy-MM-dd'T'HH-mm")));
        String host = host();
        String group = opts.getOrDefault("group", "main");
        double maxForeign = Double.parseDouble(opts.getOrDefault("max-foreign", "10"));
        boolean repair = opts.containsKey("disturbed-only");
        if (repair) {
            Set<String> disturbed = disturbed(results.resolve(stamp + "_" + host + "_meta-" + group + ".json"),
                    maxForeign);
            configs = configs.stream().filter(c -> disturbed.contains(Plan.key(PACKAGE + c.benchmark(), c.params())))
                    .toList();
            if (!configs.isEmpty()) {
                System.out.println(group + ": running again the " + configs.size() + " run(s) during which other "
                        + "processes used more than " + maxForeign + " % of the CPUs");
            }
        }
        int retries = Integer.parseInt(opts.getOrDefault("retries", "1"));
        double nominal = Double.parseDouble(opts.getOrDefault("wait-budget", profile.quick() ? "180" : "360"));
        // A budget shared by several invocations (run.sh runs one per family and group): the file holds
        // what is left, and one invocation may take at most twice its share of the nominal budget (by
        // its number of runs in the whole plan), so that a burst of load early on cannot use it all.
        Path budgetFile = opts.containsKey("wait-budget-file") ? Path.of(opts.get("wait-budget-file")) : null;
        double remaining = nominal;
        double waitBudget = nominal;
        if (budgetFile != null) {
            if (Files.exists(budgetFile)) {
                remaining = Double.parseDouble(Files.readString(budgetFile).trim());
            }
            int planned = Plan.configs(profile, Runtime.getRuntime().availableProcessors(), preferredBits(), gpu).size();
            waitBudget = repair ? remaining : Math.min(remaining, 2 * nominal * configs.size() / Math.max(1, planned));
        }
        List<String> jvmFlags = jvmFlags(opts, jarDir);
        Path log = Path.of(opts.getOrDefault("log", jarDir.resolve("jmh-" + stamp + "-" + group + ".log").toString()));
        Files.createDirectories(results);
        String family = opts.get("family");
        if (opts.getOrDefault("impls", DEFAULT_IMPLS).contains(Impls.GPU) && !gpu
                && (family == null || family.equals("machine")) && !configs.isEmpty()) {
            System.out.println("gpu: skipped (" + gpuDetail() + ")");
        }
        if (configs.isEmpty()) {
            return 0;
        }
        System.out.printf(Locale.ROOT, "%s: %d run(s), profile %s (%d fork(s), %dx%d ms warm-up, %dx%d ms measured), "
                        + "fork JVM flags %s; JMH log %s%n", group, configs.size(), profile.name(), profile.forks(),
                profile.warmupIterations(), profile.warmupMillis(), profile.measurementIterations(),
                profile.measurementMillis(), jvmFlags, log);

        Map<String, List<RunResult>> byBackend = new LinkedHashMap<>();
        List<Map<String, Object>> runLog = new ArrayList<>();
        double[] budget = {waitBudget};
        long started = System.nanoTime();
        try (PrintStream logStream = new PrintStream(new FileOutputStream(log.toFile(), true), true,
                StandardCharsets.UTF_8)) {
            int index = 0;
            for (Config c : configs) {
                index++;
                if (repair && budget[0] <= 0) {
                    System.out.println("        the waiting budget is spent: " + (configs.size() - index + 1)
                            + " disturbed run(s) stay as they were");
                    break;
                }
                Attempt best = null;
                for (int attempt = 0; attempt <= retries; attempt++) {
                    waitForQuiet(maxForeign, budget);
                    Attempt a = attempt(c, profile, jvmFlags, logStream, log);
                    if (repair) {
                        budget[0] -= a.seconds; // a second chance is paid from the budget too
                    }
                    if (best == null || a.foreign < best.foreign || Double.isNaN(best.foreign)) {
                        best = a;
                    }
                    boolean disturbed = a.foreign > maxForeign;
                    if (!disturbed || attempt == retries || budget[0] <= a.seconds) {
                        break;
                    }
                    budget[0] -= a.seconds;
                    System.out.printf(Locale.ROOT, "        %s: foreign CPU %.0f%% > %.0f%%, running it again%n",
                            c.describe(), a.foreign, maxForeign);
                }
                Measure m = Metrics.of(c.benchmark(), c.params(), best.median);
                System.out.printf(Locale.ROOT, "[%2d/%d] %-75s %s %9.3f ms  %s  foreign CPU %s  (%.0f s)%n", index,
                        configs.size(), c.describe(), Metrics.isMachineLimit(c.benchmark()) ? "best  " : "median",
                        best.median,
                        m.gflops() != null ? String.format(Locale.ROOT, "%8.1f GFLOP/s", m.gflops())
                                : String.format(Locale.ROOT, "%8.1f GB/s   ", m.gbps()),
                        Double.isNaN(best.foreign) ? "?" : String.format(Locale.ROOT, "%.0f%%", best.foreign),
                        best.seconds);
                byBackend.computeIfAbsent(c.impl(), k -> new ArrayList<>()).add(best.result);
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("key", Plan.key(PACKAGE + c.benchmark(), c.params()));
                entry.put("benchmark", c.benchmark());
                entry.put("params", new LinkedHashMap<>(c.params()));
                entry.put("median_ms", best.median);
                entry.put("foreign_cpu_pct", best.foreign);
                entry.put("wall_s", best.seconds);
                runLog.add(entry);
            }
        }
        if (budgetFile != null) {
            double used = waitBudget - Math.max(0, budget[0]);
            Files.writeString(budgetFile, String.format(Locale.ROOT, "%.1f%n", Math.max(0, remaining - used)));
        }
        for (Map.Entry<String, List<RunResult>> e : byBackend.entrySet()) {
            Path file = results.resolve(stamp + "_" + host + "_" + e.getKey() + ".json");
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
                ResultFormatFactory.getInstance(ResultFormatType.JSON, ps).writeOut(e.getValue());
            }
            String json = bytes.toString(StandardCharsets.UTF_8);
            Files.writeString(file, Files.exists(file) ? mergeArrays(Files.readString(file), json) : json);
        }
        writeMeta(results.resolve(stamp + "_" + host + "_meta-" + group + ".json"), opts, profile, group, host, stamp,
                jvmFlags, runLog, (System.nanoTime() - started) * 1e-9);
        return 0;
    }

    private record Attempt(RunResult result, double median, double foreign, double seconds) {
    }

    /** Keys of the runs in a meta file none of whose attempts so far had at most maxForeign % foreign CPU. */
    @SuppressWarnings("unchecked")
    private static Set<String> disturbed(Path meta, double maxForeign) throws IOException {
        Set<String> bad = new LinkedHashSet<>();
        Set<String> good = new LinkedHashSet<>();
        if (!Files.exists(meta)) {
            return bad;
        }
        Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(meta));
        for (Object o : (List<Object>) m.getOrDefault("runs", List.of())) {
            Map<String, Object> r = (Map<String, Object>) o;
            Object f = r.get("foreign_cpu_pct");
            String key = (String) r.get("key");
            if (f instanceof Double d && d <= maxForeign) {
                good.add(key);
            } else if (f instanceof Double) {
                bad.add(key);
            }
        }
        bad.removeAll(good);
        return bad;
    }

    private static Attempt attempt(Config c, Profile profile, List<String> jvmFlags, PrintStream logStream, Path log) {
        ChainedOptionsBuilder ob = new OptionsBuilder()
                .include("^" + Pattern.quote(PACKAGE + c.benchmark()) + "$")
                .forks(profile.forks())
                .warmupIterations(profile.warmupIterations())
                .warmupTime(TimeValue.milliseconds(profile.warmupMillis()))
                .measurementIterations(profile.measurementIterations())
                .measurementTime(TimeValue.milliseconds(profile.measurementMillis()))
                .mode(Mode.SampleTime)
                .timeUnit(TimeUnit.MILLISECONDS)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.NORMAL)
                // Not inherited from this JVM: the forks get exactly these flags, the project's appended.
                .jvmArgs("--sun-misc-unsafe-memory-access=allow")
                .jvmArgsAppend(jvmFlags.toArray(String[]::new));
        c.params().forEach(ob::param);
        logStream.println("#### " + LocalDateTime.now() + " " + c.describe());
        CpuLoad before = CpuLoad.read();
        long t0 = System.nanoTime();
        Collection<RunResult> results;
        // JMH copies the forks' stdout and stderr to System.out/err: send them to the log too.
        PrintStream out = System.out;
        PrintStream err = System.err;
        System.setOut(logStream);
        System.setErr(logStream);
        try {
            results = new Runner(ob.build(), OutputFormatFactory.createFormatInstance(logStream, VerboseMode.NORMAL))
                    .run();
        } catch (RunnerException e) {
            throw new IllegalStateException(c.describe() + " failed (agreement check or error); see " + log, e);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        double seconds = (System.nanoTime() - t0) * 1e-9;
        double foreign = CpuLoad.foreignPercent(before, CpuLoad.read());
        if (results == null || results.size() != 1) {
            throw new IllegalStateException(c.describe() + " produced " + (results == null ? 0 : results.size())
                    + " results; see " + log);
        }
        RunResult r = results.iterator().next();
        if (!"ms/op".equals(r.getPrimaryResult().getScoreUnit())) {
            throw new IllegalStateException("unexpected unit " + r.getPrimaryResult().getScoreUnit());
        }
        double p = Metrics.percentile(c.benchmark());
        double time = p == 0 ? r.getPrimaryResult().getStatistics().getMin()
                : r.getPrimaryResult().getStatistics().getPercentile(p);
        return new Attempt(r, time, foreign, seconds);
    }

    /** Waits (within the budget) until one second passes with other processes using at most maxForeign % of the CPUs. */
    private static void waitForQuiet(double maxForeign, double[] budget) {
        boolean announced = false;
        while (budget[0] >= 1) {
            CpuLoad a = CpuLoad.read();
            sleep(1000);
            budget[0] -= 1;
            double f = CpuLoad.foreignPercent(a, CpuLoad.read());
            if (Double.isNaN(f) || f <= maxForeign) {
                return;
            }
            if (!announced) {
                System.out.printf(Locale.ROOT, "        waiting for a quieter machine (other processes use %.0f%%)%n", f);
                announced = true;
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Two JSON arrays as one (text level: JMH's objects are kept exactly as JMH wrote them). */
    static String mergeArrays(String a, String b) {
        String x = a.trim();
        String y = b.trim();
        if (!x.startsWith("[") || !x.endsWith("]") || !y.startsWith("[") || !y.endsWith("]")) {
            throw new IllegalArgumentException("not JSON arrays");
        }
        String xi = x.substring(1, x.length() - 1).trim();
        String yi = y.substring(1, y.length() - 1).trim();
        if (xi.isEmpty()) {
            return y + "\n";
        }
        if (yi.isEmpty()) {
            return x + "\n";
        }
        return "[\n    " + xi + ",\n    " + yi + "\n]\n";
    }

    @SuppressWarnings("unchecked")
    private static void writeMeta(Path file, Map<String, String> opts, Profile profile, String group, String host,
                                  String stamp, List<String> jvmFlags, List<Map<String, Object>> runLog, double seconds)
            throws IOException {
        Map<String, Object> meta = new LinkedHashMap<>();
        List<Object> runs = new ArrayList<>();
        double wall = 0;
        if (Files.exists(file)) {
            Map<String, Object> old = (Map<String, Object>) Json.parse(Files.readString(file));
            runs.addAll((List<Object>) old.getOrDefault("runs", List.of()));
            Object w = old.get("wall_s");
            wall = w instanceof Double d ? d : 0;
        }
        runs.addAll(runLog);
        meta.put("group", group);
        meta.put("stamp", stamp);
        meta.put("host", host);
        meta.put("profile", profile.name());
        meta.put("updated", LocalDateTime.now().toString());
        meta.put("wall_s", wall + seconds);
        meta.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        meta.put("fork_jvm_flags", String.join(" ", jvmFlags));
        meta.put("cpus", Runtime.getRuntime().availableProcessors());
        meta.put("cpu_model", cpuModel());
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("OPENBLAS_CORETYPE", System.getenv("OPENBLAS_CORETYPE"));
        env.put("OPENBLAS_L2_SIZE", System.getenv("OPENBLAS_L2_SIZE"));
        meta.put("env", env);
        meta.put("gpu", gpuDetail());
        if (runLog.stream().anyMatch(r -> Impls.OPENBLAS.equals(((Map<String, Object>) r.get("params")).get("impl")))
                || opts.getOrDefault("impls", "").equals(Impls.OPENBLAS)) {
            // Same environment as the forks, so OpenBLAS makes the same choice of kernels here.
            Map<String, Object> ob = new LinkedHashMap<>();
            try {
                OpenBlas.load();
                ob.put("core", OpenBlas.coreName());
                ob.put("config", OpenBlas.config().trim());
            } catch (Throwable t) {
                ob.put("error", t.toString());
            }
            meta.put("openblas", ob);
        }
        meta.put("runs", runs);
        Files.writeString(file, Json.writePretty(meta));
    }

    static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            List<String> l = lines.filter(s -> s.startsWith("model name") || s.startsWith("cpu family")
                    || s.startsWith("model\t")).limit(3).map(s -> s.substring(s.indexOf(':') + 1).trim()).toList();
            return l.size() == 3 ? l.get(2) + " (family " + l.get(0) + ", model " + l.get(1) + ")" : String.join(" ", l);
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    private static List<String> jvmFlags(Map<String, String> opts, Path jarDir) throws IOException {
        Path file = Path.of(opts.getOrDefault("jvm-args-file", jarDir.resolve("jvm.args").toString()));
        if (!Files.exists(file)) {
            throw new IllegalStateException(file + " is missing: build the bench module (./mvnw -pl bench -am package),"
                    + " which filters the parent POM's sk.jvmArgs into it");
        }
        String text = Files.readString(file).trim();
        if (text.contains("${")) {
            throw new IllegalStateException(file + " was not filtered: " + text);
        }
        return Arrays.stream(text.split("\\s+")).filter(s -> !s.isEmpty()).toList();
    }

    /** The directory of benchmarks.jar (bench/target), or the working directory when run from classes. */
    private static Path jarDir() {
        try {
            // bench/target/benchmarks.jar, or bench/target/classes: either way the parent is bench/target.
            return Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of(".").toAbsolutePath();
        }
    }

    static String host() {
        String h = System.getenv("HOSTNAME");
        if (h == null || h.isBlank()) {
            try {
                h = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                h = "host";
            }
        }
        int dot = h.indexOf('.');
        if (dot > 0) {
            h = h.substring(0, dot);
        }
        String clean = h.replaceAll("[^A-Za-z0-9-]", "-");
        return clean.isEmpty() ? "host" : clean;
    }

    // ---- report --------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static int report(Map<String, String> opts) throws IOException {
        Path results = Path.of(opts.getOrDefault("results", jarDir().resolveSibling("results").toString()));
        String host = opts.getOrDefault("host", host());
        String stamp = opts.get("stamp");
        if (stamp == null) {
            try (Stream<Path> files = Files.list(results)) {
                stamp = files.map(p -> p.getFileName().toString()).filter(n -> n.contains("_" + host + "_"))
                        .map(n -> n.substring(0, n.indexOf('_'))).max(String::compareTo).orElse(null);
            }
            if (stamp == null) {
                System.err.println("no results for host " + host + " in " + results);
                return 1;
            }
        }
        String prefix = stamp + "_" + host + "_";
        List<Path> files;
        try (Stream<Path> s = Files.list(results)) {
            files = s.filter(p -> p.getFileName().toString().startsWith(prefix))
                    .filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        // Foreign CPU per run key, in the order the runs happened (a key may repeat: machine limits run twice).
        Map<String, java.util.ArrayDeque<Double>> foreign = new LinkedHashMap<>();
        List<Map<String, Object>> metas = new ArrayList<>();
        List<Map<String, Object>> jmh = new ArrayList<>();
        for (Path f : files) {
            Object parsed = Json.parse(Files.readString(f));
            if (f.getFileName().toString().startsWith(prefix + "meta-")) {
                Map<String, Object> meta = (Map<String, Object>) parsed;
                metas.add(meta);
                for (Object o : (List<Object>) meta.getOrDefault("runs", List.of())) {
                    Map<String, Object> r = (Map<String, Object>) o;
                    Object pct = r.get("foreign_cpu_pct");
                    foreign.computeIfAbsent((String) r.get("key"), k -> new java.util.ArrayDeque<>())
                            .add(pct instanceof Double d ? d : Double.NaN);
                }
            } else {
                for (Object o : (List<Object>) parsed) {
                    jmh.add((Map<String, Object>) o);
                }
            }
        }
        // Main group first, so that the table follows the plan's order.
        jmh.sort((a, b) -> Boolean.compare(isOpenBlas(a), isOpenBlas(b)));
        List<Report.Run> runs = new ArrayList<>();
        for (Map<String, Object> e : jmh) {
            String benchmark = (String) e.get("benchmark");
            Map<String, String> params = new LinkedHashMap<>();
            ((Map<String, Object>) e.getOrDefault("params", Map.of())).forEach((k, v) -> params.put(k, String.valueOf(v)));
            Map<String, Object> metric = (Map<String, Object>) e.get("primaryMetric");
            Map<String, Object> pct = (Map<String, Object>) metric.get("scorePercentiles");
            double median = ((Number) pct.get(Metrics.percentile(benchmark) == 0 ? "0.0" : "50.0")).doubleValue();
            if (!"ms/op".equals(metric.get("scoreUnit"))) {
                throw new IllegalStateException("unexpected unit " + metric.get("scoreUnit") + " in " + benchmark);
            }
            java.util.ArrayDeque<Double> q = foreign.get(Plan.key(benchmark, params));
            double f = q == null || q.isEmpty() ? Double.NaN : q.poll();
            runs.add(new Report.Run(Metrics.of(benchmark, params, median), f));
        }
        Report report = new Report(runs);
        Path latest = results.resolve("latest.json");
        Files.writeString(latest, Json.writeLines(report.records()));

        StringBuilder out = new StringBuilder();
        out.append("scalekernel bench, ").append(stamp).append(" on ").append(host);
        metas.stream().findFirst().ifPresent(m -> out.append(" (").append(m.get("cpu_model")).append(", ")
                .append(fmtInt(m.get("cpus"))).append(" CPUs; ").append(m.get("java")).append("; profile ")
                .append(m.get("profile")).append(")"));
        out.append('\n');
        report.limitLines().forEach(l -> out.append(l).append('\n'));
        for (Map<String, Object> m : metas) {
            Map<String, Object> env = (Map<String, Object>) m.getOrDefault("env", Map.of());
            Object ob = m.get("openblas");
            if (ob instanceof Map<?, ?> obm && !"main".equals(m.get("group"))) {
                out.append("OpenBLAS (").append(m.get("group")).append(" runs; OPENBLAS_CORETYPE=")
                        .append(orUnset(env.get("OPENBLAS_CORETYPE"))).append(", OPENBLAS_L2_SIZE=")
                        .append(orUnset(env.get("OPENBLAS_L2_SIZE"))).append("): core ").append(obm.get("core"))
                        .append(" — ").append(obm.get("config")).append('\n');
            } else if (ob instanceof Map<?, ?> obm) {
                out.append("OpenBLAS (").append(m.get("group")).append(" runs): core ").append(obm.get("core"))
                        .append('\n');
            }
            if ("main".equals(m.get("group"))) {
                out.append("Environment of the other runs: OPENBLAS_CORETYPE=")
                        .append(orUnset(env.get("OPENBLAS_CORETYPE"))).append(", OPENBLAS_L2_SIZE=")
                        .append(orUnset(env.get("OPENBLAS_L2_SIZE"))).append("; gpu: ").append(m.get("gpu"))
                        .append('\n');
            }
        }
        double[] fs = runs.stream().mapToDouble(Report.Run::foreignPercent).filter(d -> !Double.isNaN(d)).sorted()
                .toArray();
        if (fs.length > 0) {
            out.append(String.format(Locale.ROOT, "Foreign CPU (other processes' share of all CPUs during each run): "
                    + "median %.1f%%, max %.1f%% over %d runs%n", fs[fs.length / 2], fs[fs.length - 1], fs.length));
        }
        out.append('\n').append(report.table());
        out.append("\nvs OpenBLAS: rate / OpenBLAS's rate for the same op, shape, dtype and threads in this run "
                + "(> 1 = faster). % of peak: of the measured FMA peak (GFLOP/s rows) or STREAM bandwidth (GB/s rows) "
                + "at the same thread count. ms/call: the median of all sampled calls (machine limits: the best call).\n");
        out.append("Wrote ").append(latest).append('\n');
        System.out.print(out);
        return 0;
    }

    private static boolean isOpenBlas(Map<String, Object> jmhEntry) {
        Object p = jmhEntry.get("params");
        return p instanceof Map<?, ?> m && Impls.OPENBLAS.equals(m.get("impl"));
    }

    private static String orUnset(Object v) {
        return v == null ? "(unset)" : v.toString();
    }

    private static String fmtInt(Object v) {
        return v instanceof Double d ? String.valueOf(d.longValue()) : String.valueOf(v);
    }
}
