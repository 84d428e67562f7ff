package dev.scalekernel.cpu;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.Backends;
import dev.scalekernel.api.ProbeResult;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The provider as ServiceLoader and the harness see it; surefire starts the JVM with the vector module. */
class CpuProviderTest {

    @Test
    void probeIsAvailableWithTheVectorModule() {
        CpuProvider provider = new CpuProvider();
        assertEquals("cpu", provider.id());
        assertEquals(200, provider.priority());
        ProbeResult probe = provider.probe();
        assertTrue(probe.available(), probe.detail());
        assertTrue(probe.detail().startsWith("Vector API, ") && probe.detail().contains("-bit ("), probe.detail());
    }

    @Test
    void serviceLoaderFindsItAndAutoPrefersItToTheReference() {
        assertTrue(Backends.list().stream().anyMatch(s -> s.id().equals("cpu") && s.probe().available()));
        assertTrue(Backends.choose("auto").reason().startsWith("auto chose cpu"), Backends.choose("auto").reason());
        try (Backend b = Backends.open("cpu", BackendOptions.defaults().withThreads(3))) {
            assertInstanceOf(CpuBackend.class, b);
            assertEquals("cpu", b.info().id());
            assertEquals(3, b.info().threads());
            String pages = dev.scalekernel.api.host.HostMemory.hugePages() ? ", huge pages" : "";
            assertTrue(b.info().description().endsWith("3 threads, FMA on" + pages)
                    || b.info().description().endsWith("3 threads, FMA off" + pages), b.info().description());
        }
    }
}
