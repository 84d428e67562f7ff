package dev.scalekernel.gpu;

import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.BackendUnavailableException;
import dev.scalekernel.api.ProbeResult;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GpuProviderTest {

    @Test
    void probeNeverThrowsAndExplainsItself() {
        ProbeResult probe = new GpuProvider().probe();
        assertFalse(probe.detail().isBlank());
        // Until the CUDA kernels exist the provider must never claim to be available.
        assertFalse(probe.available(), probe.detail());
    }

    @Test
    void disablingThePropertyIsReported() {
        System.setProperty(CudaDriverProbe.DISABLE_PROPERTY, "true");
        try {
            CudaDriverProbe.Finding f = CudaDriverProbe.find();
            assertEquals(0, f.devices());
            assertTrue(f.detail().contains("disabled"), f.detail());
        } finally {
            System.clearProperty(CudaDriverProbe.DISABLE_PROPERTY);
        }
    }

    @Test
    void openingGivesTheProbeReason() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> new GpuProvider().open(BackendOptions.defaults()));
        assertTrue(e.getMessage().startsWith("backend 'gpu' is unavailable: "), e.getMessage());
    }
}
