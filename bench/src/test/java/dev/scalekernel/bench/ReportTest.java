package dev.scalekernel.bench;

import dev.scalekernel.api.DType;
import dev.scalekernel.bench.Metrics.Kind;
import dev.scalekernel.bench.Metrics.Measure;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The summary arithmetic and the JSON plumbing; nothing here is timed. */
class ReportTest {

    private static Map<String, String> params(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void workPerCallFollowsTheDocumentedFormulas() {
        // 2n³ FLOPs for GEMM: n = 1000 in 10 ms is 200 GFLOP/s.
        Measure gemm = Metrics.of("dev.scalekernel.bench.GemmBench.gemm",
                params("impl", "cpu", "dtype", "f32", "n", "1000", "threads", "2"), 10.0);
        assertEquals(200.0, gemm.gflops(), 1e-9);
        assertNull(gemm.gbps());
        assertEquals("n=1000", gemm.shape());
        // SYRK: P(P+1)N.
        Measure gram = Metrics.of("GramBench.gram", params("impl", "openblas", "dtype", "f64", "p", "100", "n", "10",
                "threads", "2"), 1.0);
        assertEquals(100.0 * 101 * 10 / 1e-3 * 1e-9, gram.gflops(), 1e-12);
        // Peak: threads · iterations · 12 accumulators · lanes · 2.
        Measure peak = Metrics.of("PeakFmaBench.fma", params("dtype", "f64", "threads", "2", "bits", "512"), 1000.0);
        assertEquals(2.0 * PeakFmaBench.ITERATIONS * 12 * 8 * 2 * 1e-9, peak.gflops(), 1e-9);
        assertEquals(Kind.PEAK_FMA, peak.kind());
        // STREAM: 3 arrays of mib MiB.
        Measure triad = Metrics.of("StreamBench.triad", params("threads", "1", "mib", "256"), 100.0);
        assertEquals(3.0 * 256 * 1048576 / 0.1 * 1e-9, triad.gbps(), 1e-9);
        // CSR: (nnz·N + P·N)·dtype with nnz = P·round(M·density).
        Measure csr = Metrics.of("SparseFeatureMapBench.featureMapSparse", params("impl", "cpu", "dtype", "f32", "p",
                "10", "m", "1000", "n", "50", "density", "0.01", "threads", "2"), 1.0);
        assertEquals((10.0 * 10 * 50 + 10.0 * 50) * 4 / 1e-3 * 1e-9, csr.gbps(), 1e-12);
        assertEquals(Kind.BANDWIDTH, csr.kind());
    }

    @Test
    void gradientDescentCountsStepsPlusTheFinalLossPass() {
        // Backend, k = 1: steps + 1 reads of Φ per call; the rate is P·N·4 bytes per step time.
        Measure cpu = Metrics.of("GdBench.gd", params("impl", "cpu", "dtype", "f32", "p", "1000", "n", "500", "k", "1",
                "steps", "4", "threads", "2"), 10.0);
        assertEquals(2.0, cpu.stepMillis(), 1e-12);
        assertEquals(1000.0 * 500 * 4 / 2e-3 * 1e-9, cpu.gbps(), 1e-12);
        // OpenBLAS: one call is one step.
        Measure ob = Metrics.of("GdBench.gd", params("impl", "openblas", "dtype", "f32", "p", "1000", "n", "500", "k",
                "1", "steps", "4", "threads", "2"), 4.0);
        assertEquals(4.0, ob.stepMillis(), 1e-12);
        // k = 16: (4·steps + 2)·P·N·k FLOPs per backend call, 4·P·N·k per OpenBLAS step.
        Measure k16 = Metrics.of("GdBench.gd", params("impl", "cpu", "dtype", "f32", "p", "1000", "n", "500", "k", "16",
                "steps", "4", "threads", "2"), 18.0);
        assertEquals(18.0 * 1000 * 500 * 16 / 18e-3 * 1e-9, k16.gflops(), 1e-9);
        assertEquals(4.0, k16.stepMillis(), 1e-9);
    }

    private static Report.Run run(String op, String dtype, int threads, String backend, Kind kind, double rate,
                                  double foreign) {
        boolean flops = kind == Kind.COMPUTE || kind == Kind.PEAK_FMA;
        return new Report.Run(new Measure(op, "s", dtype, threads, backend, kind, flops ? rate : null,
                flops ? null : rate, 1.0, Double.NaN, ""), foreign);
    }

    @Test
    void ratiosAndPercentagesUseTheSameRunsOpenBlasAndMeasuredLimits() {
        List<Report.Run> runs = List.of(
                run("peak_fma", "f32", 2, "vector-api", Kind.PEAK_FMA, 200, 0),
                run("peak_fma", "f32", 2, "vector-api", Kind.PEAK_FMA, 230, 0), // second measurement: the max counts
                run("peak_fma", "f32", 1, "vector-api", Kind.PEAK_FMA, 115, 0),
                run("stream_triad", "f64", 2, "java", Kind.PEAK_BANDWIDTH, 40, 0),
                run("gemm", "f32", 2, "cpu", Kind.COMPUTE, 184, 1),
                run("gemm", "f32", 2, "cpu", Kind.COMPUTE, 100, 30), // more disturbed duplicate: dropped
                run("gemm", "f32", 2, "openblas", Kind.COMPUTE, 200, 0),
                run("gemm", "f32", 1, "vectorblas", Kind.COMPUTE, 23, 0),
                run("gd", "f32", 2, "cpu", Kind.BANDWIDTH, 30, 0),
                run("featureMapSparse_relu", "f32", 2, "cpu", Kind.BANDWIDTH, 20, 0));
        Report report = new Report(runs);
        assertEquals(230.0, report.peak().get("f32/2"));
        assertEquals(40.0, report.bandwidth().get(2));
        Map<String, Report.Row> byKey = new LinkedHashMap<>();
        report.rows().forEach(r -> byKey.put(r.m().op() + "/" + r.m().threads() + "/" + r.m().backend(), r));
        assertEquals(8, report.rows().size());
        Report.Row cpu = byKey.get("gemm/2/cpu");
        assertEquals(0.92, cpu.ratioOpenblas(), 1e-12);
        assertEquals(80.0, cpu.pctPeak(), 1e-12);
        assertEquals(1.0, byKey.get("gemm/2/openblas").ratioOpenblas(), 1e-12);
        // No OpenBLAS run on one thread here: no ratio; the one-thread peak gives the percentage.
        assertNull(byKey.get("gemm/1/vectorblas").ratioOpenblas());
        assertEquals(20.0, byKey.get("gemm/1/vectorblas").pctPeak(), 1e-12);
        assertEquals(75.0, byKey.get("gd/2/cpu").pctPeak(), 1e-12);
        assertNull(byKey.get("featureMapSparse_relu/2/cpu").ratioOpenblas());
        assertNull(byKey.get("peak_fma/2/vector-api").pctPeak());

        List<Map<String, Object>> records = report.records();
        assertEquals(List.of("op", "shape", "dtype", "threads", "backend", "gflops", "gbps", "ratio_openblas",
                "pct_peak"), List.copyOf(records.getFirst().keySet()));
        // Machine limits first, then the families in their fixed order.
        assertEquals("peak_fma", records.getFirst().get("op"));
        assertTrue(report.table().contains("| gemm | s | f32 | 2 | cpu | 184 |  | 0.92× | 80% |"));
    }

    @Test
    void latestJsonRoundTrips() {
        Report report = new Report(List.of(run("gemm", "f64", 2, "cpu", Kind.COMPUTE, 12.3456, 0),
                run("gemm", "f64", 2, "openblas", Kind.COMPUTE, 10, 0)));
        String text = Json.writeLines(report.records());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> back = (List<Map<String, Object>>) Json.parse(text);
        assertEquals(2, back.size());
        assertEquals("cpu", back.getFirst().get("backend"));
        assertEquals(12.35, back.getFirst().get("gflops"));
        assertNull(back.getFirst().get("gbps"));
        assertTrue(back.getFirst().containsKey("gbps"));
        assertEquals(1.235, back.getFirst().get("ratio_openblas"));
        assertEquals(2.0, back.getFirst().get("threads"));
    }

    @Test
    void jsonWriterEscapesAndTheReaderReadsJmhStyleOutput() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a\"b\\c\nd\u0001");
        m.put("nan", Double.NaN);
        m.put("list", List.of(1, 2.5, true));
        assertEquals("{\"s\":\"a\\\"b\\\\c\\nd\\u0001\",\"nan\":null,\"list\":[1,2.5,true]}", Json.write(m));
        assertEquals(m.get("s"), ((Map<?, ?>) Json.parse(Json.write(m))).get("s"));
        Object jmh = Json.parse("[ { \"params\" : { \"n\" : \"1001\" }, \"primaryMetric\" : { \"score\" : 1.5E-3, "
                + "\"scoreError\" : \"NaN\", \"scorePercentiles\" : { \"50.0\" : 7.25 } } } ]");
        Map<?, ?> first = (Map<?, ?>) ((List<?>) jmh).getFirst();
        assertEquals("NaN", ((Map<?, ?>) first.get("primaryMetric")).get("scoreError"));
        assertEquals(0.0015, ((Map<?, ?>) first.get("primaryMetric")).get("score"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": }"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1, 2"));
    }

    @Test
    void mergedResultFilesStayOneArray() {
        assertEquals("[\n    {\"a\":1},\n    {\"b\":2}\n]\n", BenchMain.mergeArrays("[ {\"a\":1} ]", "[{\"b\":2}]\n"));
        assertEquals("[{\"b\":2}]\n", BenchMain.mergeArrays("[ ]", "[{\"b\":2}]"));
        assertEquals(2, ((List<?>) Json.parse(BenchMain.mergeArrays("[1]", "[2]"))).size());
    }

    @Test
    void foreignCpuIsTotalBusyMinusOurOwnTicks() {
        String self = "1234 (java (x)) S 1 2 3 4 5 6 7 8 9 10 100 50 20 10 0 0";
        CpuLoad a = CpuLoad.parse("cpu  100 0 100 800 0 0 0 0 0 0", self);
        CpuLoad b = CpuLoad.parse("cpu  200 0 150 850 0 0 0 0 0 0",
                "1234 (java (x)) S 1 2 3 4 5 6 7 8 9 10 160 60 30 10 0 0");
        assertEquals(1000, a.totalTicks());
        assertEquals(200, a.busyTicks());
        assertEquals(180, a.ownTicks());
        // 150 busy ticks in 200, of which 80 ours: 70 foreign of 200 = 35 %.
        assertEquals(35.0, CpuLoad.foreignPercent(a, b), 1e-12);
        assertTrue(Double.isNaN(CpuLoad.foreignPercent(null, b)));
    }

    @Test
    void gammaAndThePlan() {
        assertEquals(10 * 0x1.0p-24 / (1 - 10 * 0x1.0p-24), Check.gamma(10, DType.F32), 0);
        assertEquals(Double.POSITIVE_INFINITY, Check.gamma(1L << 24, DType.F32));
        List<Plan.Config> quick = Plan.configs(Plan.Profile.QUICK, 2, 512, false);
        // VectorBLAS and the reference run on one thread only; no gpu run when its probe says unavailable.
        assertTrue(quick.stream().filter(c -> c.impl().equals(Impls.VECTORBLAS) || c.impl().equals(Impls.REFERENCE))
                .allMatch(c -> c.params().get("threads").equals("1")));
        assertFalse(quick.stream().anyMatch(c -> c.impl().equals(Impls.GPU)));
        assertTrue(Plan.configs(Plan.Profile.FULL, 2, 512, true).stream().anyMatch(c -> c.impl().equals(Impls.GPU)));
        assertEquals("GemmBench.gemm dtype=f32 impl=cpu n=7",
                Plan.key("dev.scalekernel.bench.GemmBench.gemm", Map.of("n", "7", "impl", "cpu", "dtype", "f32")));
    }
}
