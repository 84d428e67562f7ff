package dev.scalekernel.api.host;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Zero-filled off-heap memory for matrices, backed by transparent huge pages where Linux offers
 * them. Streaming a matrix of hundreds of MiB through 4 KiB pages costs a TLB miss every 4 KiB:
 * on the Zen 4 dev machine a 2-thread read of 256 MiB ran at 24–34 GB/s on 4 KiB pages and at
 * 47–54 GB/s on 2 MiB pages, back to back (C, AVX-512). A JVM arena zero-fills what it allocates,
 * which commits 4 KiB pages before any advice could apply, so large blocks are mapped here
 * instead: an anonymous {@code mmap} (zero pages, nothing committed), {@code madvise(MADV_HUGEPAGE)}
 * on its 2 MiB-aligned span before the first touch, {@code munmap} when the arena closes.
 *
 * <p>This needs native access for this module ({@code --enable-native-access}, which every
 * launcher, test and benchmark JVM of this project passes). Without it, on other systems, when a
 * call fails, or with {@code -Dscalekernel.hugePages=false}, memory comes from the arena as usual:
 * huge pages change speed, never results.
 */
public final class HostMemory {
    /** Blocks below this size come from the arena: a huge page would be mostly empty. */
    static final long HUGE_MIN_BYTES = 4L << 20;
    private static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;

    private static final MethodHandle MMAP;
    private static final MethodHandle MADVISE;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null;
        MethodHandle madvise = null;
        MethodHandle munmap = null;
        if (enabled()) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            } catch (RuntimeException e) {
                mmap = null; // no libc symbols here: arena memory
            }
        }
        MMAP = mmap;
        MADVISE = madvise;
        MUNMAP = munmap;
    }

    private HostMemory() {
    }

    private static boolean enabled() {
        return Boolean.parseBoolean(System.getProperty("scalekernel.hugePages", "true"))
                && System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                && HostMemory.class.getModule().isNativeAccessEnabled();
    }

    /** Whether large blocks are mapped with huge-page advice in this JVM. */
    public static boolean hugePages() {
        return MMAP != null;
    }

    /**
     * {@code bytes} of zero-filled memory, 64-byte aligned (2 MiB aligned when mapped), freed when
     * {@code arena} closes.
     */
    public static MemorySegment allocate(Arena arena, long bytes) {
        if (bytes >= HUGE_MIN_BYTES && MMAP != null) {
            MemorySegment mapped = map(arena, bytes);
            if (mapped != null) {
                return mapped;
            }
        }
        // 64-byte alignment matches a cache line and a 512-bit vector
        return arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
    }

    private static MemorySegment map(Arena arena, long bytes) {
        long span = Math.addExact(roundUp(bytes, HUGE_PAGE), HUGE_PAGE); // room to align the start
        try {
            MemorySegment base = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, span, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (base.address() == -1L) {
                return null; // MAP_FAILED: let the arena try, and report its error if it fails too
            }
            try {
                long start = roundUp(base.address(), HUGE_PAGE);
                long length = roundUp(bytes, HUGE_PAGE);
                MemorySegment aligned = MemorySegment.ofAddress(start);
                int ignored = (int) MADVISE.invokeExact(aligned, length, MADV_HUGEPAGE); // advice only
                return aligned.reinterpret(length, arena, s -> unmap(base, span)).asSlice(0, bytes);
            } catch (Throwable t) {
                unmap(base, span);
                return null;
            }
        } catch (Throwable t) {
            return null;
        }
    }

    private static void unmap(MemorySegment base, long span) {
        try {
            int ignored = (int) MUNMAP.invokeExact(base, span);
        } catch (Throwable t) {
            throw new IllegalStateException("munmap failed", t);
        }
    }

    private static long roundUp(long v, long to) {
        return (v + to - 1) / to * to;
    }
}
