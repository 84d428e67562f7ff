package dev.scalekernel.api.host;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HostMemoryTest {

    @Test
    void largeBlocksAreMappedWithHugePageAdviceOnLinux() {
        // the build passes --enable-native-access to every test JVM
        boolean linux = System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux");
        assertEquals(linux, HostMemory.hugePages());
        if (!linux) {
            return;
        }
        long bytes = HostMemory.HUGE_MIN_BYTES + 12_345; // not a whole number of pages
        MemorySegment seg;
        try (Arena arena = Arena.ofShared()) {
            seg = HostMemory.allocate(arena, bytes);
            assertEquals(bytes, seg.byteSize());
            assertEquals(0, seg.address() % (2L << 20), "a mapped block starts on a 2 MiB boundary");
            assertZeroAndWritable(seg);
        }
        assertFalse(seg.scope().isAlive(), "closing the arena unmaps the block");
        MemorySegment dead = seg;
        assertThrows(IllegalStateException.class, () -> dead.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void smallBlocksComeFromTheArena() {
        try (Arena arena = Arena.ofShared()) {
            for (long bytes : new long[] {0, 1, 4096, HostMemory.HUGE_MIN_BYTES - 1}) {
                MemorySegment seg = HostMemory.allocate(arena, bytes);
                assertEquals(bytes, seg.byteSize());
                assertEquals(0, seg.address() % 64, "64-byte aligned");
                assertZeroAndWritable(seg);
            }
        }
    }

    private static void assertZeroAndWritable(MemorySegment seg) {
        long n = seg.byteSize();
        long step = 4093; // a prime stride: touches every page, at varying offsets
        for (long i = 0; i < n; i += step) {
            assertEquals(0, seg.get(ValueLayout.JAVA_BYTE, i), "zero-filled at byte " + i);
        }
        if (n > 0) {
            assertEquals(0, seg.get(ValueLayout.JAVA_BYTE, n - 1), "zero-filled at the last byte");
        }
        for (long i = 0; i < n; i += step) {
            seg.set(ValueLayout.JAVA_BYTE, i, (byte) (i % 127 + 1));
        }
        for (long i = 0; i < n; i += step) {
            assertEquals((byte) (i % 127 + 1), seg.get(ValueLayout.JAVA_BYTE, i), "written at byte " + i);
        }
    }
}
