package dev.scalekernel.harness.sweep;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.BackendUnavailableException;
import dev.scalekernel.api.Backends;
import dev.scalekernel.api.DType;
import dev.scalekernel.harness.experiment.Experiment;
import dev.scalekernel.harness.experiment.Experiments;
import dev.scalekernel.harness.spec.ResolvedSpec;
import dev.scalekernel.harness.store.ResultsStore;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a sweep on Apache Spark: each pending group of points (one point, or the points the experiment
 * runs together) is an element of an RDD, {@code groupsPerTask} of them per task. A task opens the
 * backend the spec asks for on its executor (the GPU Spark assigned it, when
 * {@code spark.task.resource.gpu.amount} is set), runs its points through
 * {@link SweepRunner#runGroup} — the local runner's code path — and streams their rows to Spark SQL's
 * Parquet writer under {@code parts/job-.../}. Executors need no DuckDB.
 *
 * <p>Exactly once: Spark's output committer publishes one attempt per task (a failed or killed attempt's
 * files stay under {@code _temporary} and are never read), and the driver's merge
 * ({@link ResultsStore#mergeParts}) stores each point from one attempt only, skipping points already
 * stored, so a retried or speculative task never stores a point twice. Resume: points already in the
 * store are not sent; parts a previous driver wrote but did not merge are merged first. A point that
 * throws is data (recorded as failed, retried by the next run), as locally; a task that dies is
 * retried by Spark ({@code spark.task.maxFailures}).
 */
public final class SparkRunner implements Runner {

    /** Called in a task after each point it computed; tests use it to make a task fail part-way. */
    public interface TaskFault extends Serializable {
        TaskFault NONE = (context, pointInTask) -> { };

        void afterPoint(TaskContext context, int pointInTask);
    }

    private static final String PARTS_GLOB = "job-*/part-*.parquet";

    private final String backendId;
    private final int threads;
    private final String master;
    private final String parts;
    private final int groupsPerTask;
    private final TaskFault fault;

    /** For the CLI: {@code master} null means spark-submit's (or an active session's). */
    public SparkRunner(String backendId, int threads, String master, String parts, int groupsPerTask) {
        this(backendId, threads, master, parts, groupsPerTask, TaskFault.NONE);
    }

    public SparkRunner(String backendId, int threads, String master, String parts, int groupsPerTask, TaskFault fault) {
        // The driver cannot probe the executors' hardware (a GPU may exist there only), so it checks the name.
        List<String> known = Backends.list().stream().map(Backends.Status::id).toList();
        if (!backendId.equals("auto") && !known.contains(backendId)) {
            throw new BackendUnavailableException("unknown backend '" + backendId + "'; expected auto or one of "
                    + String.join(", ", known));
        }
        if (threads < 0 || groupsPerTask < 1) {
            throw new IllegalArgumentException("threads must be >= 0 and groupsPerTask >= 1, got " + threads + ", " + groupsPerTask);
        }
        this.backendId = backendId;
        this.threads = threads;
        this.master = master;
        this.parts = parts.endsWith("/") ? parts.substring(0, parts.length() - 1) : parts;
        this.groupsPerTask = groupsPerTask;
        this.fault = fault;
    }

    @Override
    public String describe() {
        return backendId + ", opened by each Spark task on its executor (master "
                + (master != null ? master : "from spark-submit") + "; parts in " + parts + ")";
    }

    @Override
    public SweepRunner.Summary run(ResolvedSpec spec, Path directory, PrintWriter err, boolean terminal) {
        boolean existed = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
        if (!existed && master == null && !new SparkConf().contains("spark.master")) {
            throw new IllegalArgumentException("--runner spark has no Spark master: pass --master (e.g. local[4] or"
                    + " spark://host:7077) or run through spark-submit");
        }
        if (existed && master != null) {
            err.println("using the Spark session already running in this JVM; --master " + master + " is ignored");
        }
        SweepRunner.saveSpec(spec, directory);
        Experiment experiment = spec.experiment();
        long start = System.nanoTime();
        try (ResultsStore store = ResultsStore.open(directory, experiment)) {
            // Spark starts only when there are points to send: a finished sweep re-run costs no Spark start-up.
            Configuration hadoop = existed ? SparkSession.active().sparkContext().hadoopConfiguration()
                    : SparkHadoopUtil.get().newConfiguration(new SparkConf());
            Set<String> descriptions = new TreeSet<>();
            int recovered = merge(store, experiment, hadoop, directory, descriptions).done();
            if (recovered > 0) {
                err.println("merged " + recovered + " point(s) that an earlier driver left in " + parts);
            }
            List<List<Point>> groups = SweepRunner.pendingGroups(spec, store.completedPoints());
            int pending = groups.stream().mapToInt(List::size).sum();
            int alreadyDone = spec.points().size() - pending;
            if (alreadyDone > 0) {
                err.println("resuming: " + alreadyDone + " of " + spec.points().size() + " points already done");
            }
            int failed = 0;
            if (!groups.isEmpty()) {
                SparkSession.Builder builder = SparkSession.builder().appName("scalekernel " + spec.name() + "-" + spec.hash());
                if (master != null && !existed) {
                    builder.master(master);
                }
                SparkSession session = builder.getOrCreate();
                try {
                    String job = "job-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"))
                            + "-" + session.sparkContext().applicationId().replaceAll("[^A-Za-z0-9_-]", "_");
                    write(session, spec, groups, job, new Progress(err, pending, terminal));
                    ResultsStore.MergeResult merged = merge(store, experiment, session.sparkContext().hadoopConfiguration(),
                            directory, descriptions);
                    failed = merged.failed();
                    if (merged.done() + merged.failed() != pending) {
                        throw new IllegalStateException("the Spark job ran " + pending + " points but its parts in " + parts + "/"
                                + job + " hold " + (merged.done() + merged.failed()));
                    }
                } finally {
                    if (!existed) {
                        session.stop();
                    }
                }
            }
            return new SweepRunner.Summary(spec.points().size(), alreadyDone, pending, failed,
                    (System.nanoTime() - start) / 1e9, (descriptions.isEmpty() ? backendId : String.join("; ", descriptions))
                            + " (Spark executors)");
        }
    }

    /** Runs the groups as one Spark job that writes Parquet under parts/job. */
    private void write(SparkSession session, ResolvedSpec spec, List<List<Point>> groups, String job, Progress progress) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(session.sparkContext());
        int tasks = (groups.size() + groupsPerTask - 1) / groupsPerTask;
        ProgressListener listener = new ProgressListener(job, groups, tasks, progress);
        session.sparkContext().addSparkListener(listener);
        jsc.setJobGroup(job, "scalekernel " + spec.name() + "-" + spec.hash(), false);
        try {
            JavaRDD<List<Point>> rdd = jsc.parallelize(groups, tasks);
            JavaRDD<Row> rows = rdd.mapPartitions(new PointTask(spec.experiment().id(), spec.dtype(), spec.hash(), backendId,
                    threads, job, fault));
            session.createDataFrame(rows, schema(spec.experiment())).write().mode(SaveMode.ErrorIfExists)
                    .parquet(parts + "/" + job);
        } catch (Exception e) { // Spark throws the checked SparkException from Scala code
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BackendUnavailableException b) {
                    throw new BackendUnavailableException("on a Spark executor: " + b.getMessage());
                }
            }
            throw new IllegalStateException("the Spark job failed (points already stored are kept; running the same"
                    + " command again resumes): " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        } finally {
            jsc.clearJobGroup();
            session.sparkContext().removeSparkListener(listener);
        }
    }

    /**
     * Merges every committed part under {@code parts} into the store, then deletes the merged job
     * directories. Part files on another filesystem (HDFS, S3, ...) are first copied next to the store,
     * since DuckDB reads local files.
     */
    private ResultsStore.MergeResult merge(ResultsStore store, Experiment experiment, Configuration hadoop, Path directory,
                                           Set<String> descriptions) {
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(parts);
        Path download = directory.resolve(".parts-download");
        try {
            FileSystem fs = root.getFileSystem(hadoop);
            FileStatus[] found = fs.globStatus(new org.apache.hadoop.fs.Path(root, PARTS_GLOB));
            if (found == null || found.length == 0) {
                return new ResultsStore.MergeResult(0, 0, 0, List.of());
            }
            boolean local = "file".equals(fs.getUri().getScheme());
            List<Path> files = new ArrayList<>();
            Set<org.apache.hadoop.fs.Path> jobs = new java.util.LinkedHashSet<>();
            for (FileStatus f : found) {
                jobs.add(f.getPath().getParent());
                if (local) {
                    files.add(Path.of(f.getPath().toUri()));
                } else {
                    Files.createDirectories(download);
                    Path copy = download.resolve(f.getPath().getParent().getName() + "-" + f.getPath().getName());
                    try (InputStream in = fs.open(f.getPath())) {
                        Files.copy(in, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                    files.add(copy);
                }
            }
            ResultsStore.MergeResult merged = store.mergeParts(files);
            descriptions.addAll(merged.backends());
            for (org.apache.hadoop.fs.Path job : jobs) {
                fs.delete(job, true);
            }
            if (!local) {
                for (Path f : files) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(download);
            }
            return merged;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the Spark parts in " + parts + ": " + e.getMessage(), e);
        }
    }

    /** The Spark schema of a Parquet part ({@link ResultsStore#partColumns}). */
    static StructType schema(Experiment experiment) {
        List<StructField> fields = new ArrayList<>();
        for (ResultsStore.PartColumn c : ResultsStore.partColumns(experiment)) {
            fields.add(DataTypes.createStructField(c.name(), sparkType(c.sqlType()), true));
        }
        return DataTypes.createStructType(fields);
    }

    private static DataType sparkType(String sqlType) {
        return switch (sqlType) {
            case "VARCHAR" -> DataTypes.StringType;
            case "BIGINT" -> DataTypes.LongType;
            case "INTEGER" -> DataTypes.IntegerType;
            case "DOUBLE" -> DataTypes.DoubleType;
            case "BOOLEAN" -> DataTypes.BooleanType;
            default -> throw new IllegalStateException("no Spark type for the column type " + sqlType);
        };
    }

    /**
     * The options a task opens its backend with: {@code threads} when set, else the cores Spark reserved
     * for the task ({@code spark.task.cpus}), not the whole executor; and the first GPU Spark assigned to
     * the task ({@code spark.task.resource.gpu.amount}), whose address is the CUDA device index.
     */
    static BackendOptions taskOptions(int threads, int taskCpus, Map<String, ResourceInformation> resources) {
        BackendOptions options = BackendOptions.defaults().withThreads(threads > 0 ? threads : Math.max(1, taskCpus));
        ResourceInformation gpu = resources.get("gpu");
        if (gpu != null && gpu.addresses().length > 0) {
            String address = gpu.addresses()[0].trim();
            try {
                options = options.withDevice(Integer.parseInt(address));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Spark assigned this task GPU address '" + address
                        + "'; expected a CUDA device index (0, 1, ...): check the GPU discovery script", e);
            }
        }
        return options;
    }

    /** A Spark task: opens the backend, runs its groups one after another, yields their rows as they finish. */
    static final class PointTask implements FlatMapFunction<Iterator<List<Point>>, Row> {
        private final String experimentId;
        private final DType dtype;
        private final String specHash;
        private final String backendId;
        private final int threads;
        private final String job;
        private final TaskFault fault;

        PointTask(String experimentId, DType dtype, String specHash, String backendId, int threads, String job, TaskFault fault) {
            this.experimentId = experimentId;
            this.dtype = dtype;
            this.specHash = specHash;
            this.backendId = backendId;
            this.threads = threads;
            this.job = job;
            this.fault = fault;
        }

        @Override
        public Iterator<Row> call(Iterator<List<Point>> groups) {
            TaskContext context = TaskContext.get();
            String attempt = job + "/" + context.stageId() + "." + context.stageAttemptNumber() + "/" + context.partitionId()
                    + "." + context.attemptNumber();
            BackendOptions options = taskOptions(threads, context.cpus(), context.resourcesJMap());
            Experiment experiment = Experiments.get(experimentId);
            Backend backend = Backends.open(backendId, options);
            context.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> backend.close());
            ResultsStore.Provenance prov = new ResultsStore.Provenance(specHash, backend.info().id(), dtype.toString(),
                    backend.info().threads(), SweepRunner.host(), SweepRunner.version());
            return new Iterator<>() {
                private final List<Row> buffer = new ArrayList<>();
                private int next;
                private int pointInTask;

                @Override
                public boolean hasNext() {
                    while (next == buffer.size() && groups.hasNext()) {
                        buffer.clear();
                        next = 0;
                        List<Point> group = groups.next();
                        SweepRunner.GroupResult result = SweepRunner.runGroup(experiment, backend, dtype, group);
                        for (int i = 0; i < group.size(); i++) {
                            buffer.addAll(rows(experiment, attempt, group.get(i), prov, backend.info().description(), result, i));
                            fault.afterPoint(context, pointInTask++);
                        }
                    }
                    return next < buffer.size();
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return buffer.get(next++);
                }
            };
        }

        private static List<Row> rows(Experiment experiment, String attempt, Point point, ResultsStore.Provenance prov,
                                      String description, SweepRunner.GroupResult result, int index) {
            LocalDateTime now = LocalDateTime.now();
            long finishedMicros = now.toEpochSecond(ZoneOffset.UTC) * 1_000_000L + now.getNano() / 1_000;
            List<ResultsStore.PartColumn> columns = ResultsStore.partColumns(experiment);
            Set<String> params = new java.util.HashSet<>();
            experiment.params().forEach(p -> params.add(p.name()));
            List<Row> out = new ArrayList<>();
            List<Experiment.Row> measured = result.failure() == null ? result.outcomes().get(index).rows()
                    : Collections.singletonList(null);
            double flops = result.failure() == null ? result.outcomes().get(index).flops() : Double.NaN;
            for (Experiment.Row row : measured) {
                Object[] values = new Object[columns.size()];
                for (int c = 0; c < columns.size(); c++) {
                    ResultsStore.PartColumn column = columns.get(c);
                    Object v = switch (column.name()) {
                        case "attempt" -> attempt;
                        case "status" -> result.failure() == null ? "done" : "failed";
                        case "message" -> result.failure();
                        case "point_id" -> point.id();
                        case "spec_hash" -> prov.specHash();
                        case "experiment" -> experiment.id();
                        case "backend" -> prov.backend();
                        case "dtype" -> prov.dtype();
                        case "seed" -> point.seed();
                        case "threads" -> prov.threads();
                        case "step" -> row == null ? null : row.step();
                        case "wall_s" -> result.wallShare();
                        case "flops" -> result.failure() == null ? flops : null;
                        case "finished_at_us" -> finishedMicros;
                        case "host" -> prov.host();
                        case "version" -> prov.version();
                        case "backend_info" -> description;
                        default -> params.contains(column.name()) ? point.values().get(column.name())
                                : row == null ? null : row.values().get(column.name());
                    };
                    values[c] = convert(v, column);
                }
                out.add(RowFactory.create(values));
            }
            return out;
        }

        /** The value as the Java type Spark expects for the column's type. */
        private static Object convert(Object v, ResultsStore.PartColumn column) {
            if (v == null) {
                return null;
            }
            return switch (column.sqlType()) {
                case "BIGINT" -> ((Number) v).longValue();
                case "INTEGER" -> ((Number) v).intValue();
                case "DOUBLE" -> ((Number) v).doubleValue();
                case "BOOLEAN" -> (Boolean) v;
                default -> v.toString();
            };
        }
    }

    /** Counts the points of successful tasks of this job, for the progress line. */
    static final class ProgressListener extends SparkListener {
        private final String job;
        private final int[] pointsPerTask;
        private final Progress progress;
        private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
        private final Set<Integer> counted = ConcurrentHashMap.newKeySet();

        ProgressListener(String job, List<List<Point>> groups, int tasks, Progress progress) {
            this.job = job;
            this.progress = progress;
            this.pointsPerTask = new int[tasks];
            // parallelize(list, n) gives partition t the elements [t * size / n, (t + 1) * size / n).
            long size = groups.size();
            for (int t = 0; t < tasks; t++) {
                for (long i = t * size / tasks; i < (t + 1) * size / tasks; i++) {
                    pointsPerTask[t] += groups.get((int) i).size();
                }
            }
        }

        @Override
        public void onJobStart(SparkListenerJobStart start) {
            if (start.properties() != null && job.equals(start.properties().getProperty("spark.jobGroup.id"))) {
                for (Object id : scala.jdk.javaapi.CollectionConverters.asJava(start.stageIds())) {
                    stages.add((Integer) id);
                }
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            int index = end.taskInfo().index();
            if (stages.contains(end.stageId()) && end.taskInfo().successful() && index < pointsPerTask.length
                    && counted.add(index)) {
                for (int i = 0; i < pointsPerTask[index]; i++) {
                    progress.pointFinished(true);
                }
            }
        }
    }
}
