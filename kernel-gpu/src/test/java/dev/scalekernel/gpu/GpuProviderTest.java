package dev.scalekernel.gpu;

import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.BackendUnavailableException;
import dev.scalekernel.api.ProbeResult;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

class GpuProviderTest {

    private static final CublasLocator.Result FOUND = new CublasLocator.Result(
            Optional.of(Path.of("/x/site-packages/nvidia/cu13/lib/libcublas.so.13")), "libcublas.so.13 at /x");
    private static final CublasLocator.Result MISSING = new CublasLocator.Result(Optional.empty(),
            "libcublas.so.13 (cuBLAS 13) not found; looked in: here");

    @Test
    void probeNeverThrowsAndExplainsItself() {
        ProbeResult probe = new GpuProvider().probe();
        assertFalse(probe.detail().isBlank());
        CudaDriverProbe.Finding driver = CudaDriverProbe.find();
        if (driver.devices() == 0) {
            assertFalse(probe.available(), probe.detail());
            assertEquals(driver.detail(), probe.detail(), "without a device the driver's reason is the probe's reason");
        }
    }

    @Test
    void theVerdictNeedsADeviceAndThenCublas() {
        CudaDriverProbe.Finding none = new CudaDriverProbe.Finding(0, "libcuda.so.1 not found: no NVIDIA driver");
        CudaDriverProbe.Finding one = new CudaDriverProbe.Finding(1, "1 CUDA device(s)");
        ProbeResult noDevice = GpuProvider.verdict(none, () -> {
            throw new AssertionError("cuBLAS must not be searched for where there is no GPU");
        });
        assertFalse(noDevice.available());
        assertEquals(none.detail(), noDevice.detail());
        ProbeResult noCublas = GpuProvider.verdict(one, () -> MISSING);
        assertFalse(noCublas.available());
        assertEquals("found 1 CUDA device(s), but " + MISSING.detail(), noCublas.detail());
        ProbeResult both = GpuProvider.verdict(one, () -> FOUND);
        assertTrue(both.available());
        assertTrue(both.detail().contains("1 CUDA device(s)") && both.detail().contains("libcublas.so.13 at /x"));
    }

    @Test
    void disablingThePropertyIsReported() {
        System.setProperty(CudaDriverProbe.DISABLE_PROPERTY, "true");
        try {
            CudaDriverProbe.Finding f = CudaDriverProbe.find();
            assertEquals(0, f.devices());
            assertTrue(f.detail().contains("disabled"), f.detail());
            ProbeResult probe = new GpuProvider().probe();
            assertFalse(probe.available());
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                    () -> new GpuProvider().open(BackendOptions.defaults()));
            assertEquals("backend 'gpu' is unavailable: " + f.detail(), e.getMessage());
        } finally {
            System.clearProperty(CudaDriverProbe.DISABLE_PROPERTY);
        }
    }

    @Test
    void openingWithoutAGpuGivesTheProbeReason() {
        ProbeResult probe = new GpuProvider().probe();
        assumeFalse(probe.available(), "a GPU is here; GpuConformanceTest opens it");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> new GpuProvider().open(BackendOptions.defaults()));
        assertEquals("backend 'gpu' is unavailable: " + probe.detail(), e.getMessage());
    }

    @Test
    void jcudaFailuresAreExplained() {
        String link = GpuProvider.explain(new UnsatisfiedLinkError("libcuda.so.1: cannot open shared object file"));
        assertTrue(link.contains("JCuda's native library did not load") && link.contains("libcuda.so.1"), link);
        String poisoned = GpuProvider.explain(new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver"));
        assertTrue(poisoned.contains("earlier in this JVM"), poisoned);
        assertEquals("java.lang.IllegalStateException: x", GpuProvider.explain(new IllegalStateException("x")));
    }

    /** Without a GPU, every conformance test is skipped (aborted) with the probe's reason, none fails. */
    @Test
    void theConformanceSuiteSkipsWithTheProbeReason() {
        ProbeResult probe = new GpuProvider().probe();
        assumeFalse(probe.available(), "a GPU is here: the suite runs for real in GpuConformanceTest");
        List<String> reasons = new ArrayList<>();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(GpuConformanceTest.class)).build();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener aborted = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest() && result.getStatus() == TestExecutionResult.Status.ABORTED) {
                    reasons.add(result.getThrowable().map(Throwable::getMessage).orElse(""));
                }
            }
        };
        LauncherFactory.create().execute(request, summary, aborted);
        TestExecutionSummary s = summary.getSummary();
        assertEquals(0, s.getTotalFailureCount(), "conformance tests failed without a GPU");
        assertTrue(s.getTestsAbortedCount() > 20, "expected the whole suite aborted, got " + s.getTestsAbortedCount());
        assertEquals(s.getTestsStartedCount(), s.getTestsAbortedCount(), "every started test must be skipped");
        for (String reason : reasons) {
            assertTrue(reason.contains("GPU backend unavailable: " + probe.detail()), reason);
        }
    }
}
