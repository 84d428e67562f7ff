package dev.scalekernel.gpu;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.ProbeResult;
import dev.scalekernel.api.conformance.BackendConformanceTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/**
 * The conformance suite on the GPU. Where there is none, every test is skipped with the probe's
 * reason; with {@code -Dscalekernel.gpu.required=true} (gpu-bundle/run.sh sets it on the GPU
 * machine) an unavailable GPU fails every test instead, so a broken setup cannot pass as skipped.
 */
@Tag("gpu")
class GpuConformanceTest extends BackendConformanceTest {

    static final String REQUIRED_PROPERTY = "scalekernel.gpu.required";

    @Override
    protected Backend open(BackendOptions options) {
        ProbeResult probe = new GpuProvider().probe();
        if (Boolean.getBoolean(REQUIRED_PROPERTY)) {
            Assertions.assertTrue(probe.available(), () -> "GPU backend required but unavailable: " + probe.detail());
        }
        Assumptions.assumeTrue(probe.available(), () -> "GPU backend unavailable: " + probe.detail());
        return new GpuProvider().open(options);
    }
}
