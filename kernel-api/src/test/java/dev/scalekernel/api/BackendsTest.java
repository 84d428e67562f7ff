package dev.scalekernel.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendsTest {

    @Test
    void referenceIsFoundAndOpens() {
        assertTrue(Backends.list().stream().anyMatch(s -> s.id().equals("reference") && s.probe().available()));
        try (Backend b = Backends.open("reference")) {
            assertEquals("reference", b.info().id());
        }
    }

    @Test
    void autoSaysWhatItChose() {
        Backends.Choice choice = Backends.choose("auto");
        assertTrue(choice.reason().startsWith("auto chose "), choice.reason());
    }

    @Test
    void unknownBackendNamesTheKnownOnes() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.open("tpu"));
        assertTrue(e.getMessage().contains("unknown backend 'tpu'") && e.getMessage().contains("reference"), e.getMessage());
    }

    @Test
    void optionsAndValueTypesRejectBadInput() {
        assertThrows(IllegalArgumentException.class, () -> BackendOptions.defaults().withThreads(-1));
        assertThrows(IllegalArgumentException.class, () -> new GdOptions(10, new long[] {0, 11}, 1e8));
        assertThrows(IllegalArgumentException.class, () -> new GdOptions(10, new long[] {3, 3}, 1e8));
        assertThrows(IllegalArgumentException.class, () -> new GdOptions(10, new long[] {0}, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new RandomStream(1, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> new Csr(2, 2, new int[] {0, 1, 1}, new int[] {2}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> new Csr(1, 3, new int[] {0, 2}, new int[] {1, 1}, new double[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> DType.parse("f16"));
        assertThrows(IllegalArgumentException.class, () -> Activation.parse("gelu"));
    }

    @Test
    void theDeviceOptionIsValidatedKeptAndRecorded() {
        BackendOptions o = BackendOptions.defaults().withThreads(3).withDevice(2);
        assertEquals(0, BackendOptions.defaults().device());
        assertEquals(2, o.device());
        assertEquals(3, o.threads(), "withDevice keeps the other options");
        assertEquals(2, o.withThreads(1).withFma(BackendOptions.Fma.OFF).withSyncEachOp(true).device(),
                "the other withers keep the device");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackendOptions.defaults().withDevice(-1));
        assertTrue(e.getMessage().contains("device must be >= 0"), e.getMessage());
        // A single-device backend ignores the index but records it with the options it ran with.
        try (Backend b = Backends.open("reference", BackendOptions.defaults().withDevice(1))) {
            assertEquals(1, b.info().options().device());
        }
    }

    @Test
    void logSpacedScheduleStartsAtZeroAndEndsAtTheLastStep() {
        GdOptions o = GdOptions.logSpaced(1_000_000, 4);
        long[] at = o.recordAt();
        assertEquals(0, at[0]);
        assertEquals(1_000_000, at[at.length - 1]);
        assertTrue(at.length >= 24 && at.length <= 27, "about 4 per decade over 6 decades: " + at.length);
    }

    @Test
    void erfMatchesKnownValues() {
        // Within the 4 ulps that Activation.ERF.ulps() promises.
        assertEquals(0.8427007929497149, Activation.erf(1.0), 4 * Math.ulp(0.84));
        assertEquals(-0.9953222650189527, Activation.erf(-2.0), 4 * Math.ulp(0.99));
        assertEquals(0.5204998778130465, Activation.erf(0.5), 4 * Math.ulp(0.52));
        assertEquals(0.9999779095030014, Activation.erf(3.0), 4 * Math.ulp(0.99));
        assertEquals(0.0, Activation.erf(0.0));
        assertEquals(1.0, Activation.erf(7.0));
    }
}
