package dev.scalekernel.gpu;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.ProbeResult;
import dev.scalekernel.api.conformance.BackendConformanceTest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/** The conformance suite on the GPU; every test is skipped with the probe's reason where there is none. */
@Tag("gpu")
class GpuConformanceTest extends BackendConformanceTest {
    @Override
    protected Backend open(BackendOptions options) {
        ProbeResult probe = new GpuProvider().probe();
        Assumptions.assumeTrue(probe.available(), () -> "GPU backend unavailable: " + probe.detail());
        return new GpuProvider().open(options);
    }
}
