package dev.scalekernel.bench;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The OpenBLAS baseline, in-process: {@code org.bytedeco:openblas} (the no-LAPACK binding,
 * {@code cblas_*}) with its bundled dynamic-architecture library. The JavaCPP preset does not map
 * {@code openblas_get_corename}/{@code openblas_get_config}/{@code openblas_set_num_threads}, so
 * those are called through java.lang.foreign on the library JavaCPP loaded.
 *
 * <p>OpenBLAS reads {@code OPENBLAS_CORETYPE} and {@code OPENBLAS_L2_SIZE} when it loads; run.sh
 * starts the OpenBLAS benchmarks with both unset, so that it picks its kernels for this CPU, and
 * reports the core it chose.
 */
@SuppressWarnings("restricted") // downcalls into the library JavaCPP loaded; the forks run with --enable-native-access
public final class OpenBlas {

    private static MethodHandle corename;
    private static MethodHandle config;
    private static MethodHandle setThreads;
    private static MethodHandle getThreads;

    private OpenBlas() {
    }

    /** Loads the library once (idempotent); throws with the reason when it cannot. */
    public static synchronized void load() {
        if (corename != null) {
            return;
        }
        Loader.load(openblas_nolapack.class);
        SymbolLookup lib = lookup();
        Linker linker = Linker.nativeLinker();
        corename = linker.downcallHandle(find(lib, "openblas_get_corename"), FunctionDescriptor.of(ValueLayout.ADDRESS));
        config = linker.downcallHandle(find(lib, "openblas_get_config"), FunctionDescriptor.of(ValueLayout.ADDRESS));
        setThreads = linker.downcallHandle(find(lib, "openblas_set_num_threads"),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        getThreads = linker.downcallHandle(find(lib, "openblas_get_num_threads"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
    }

    /** The symbols of the libopenblas JavaCPP loaded: by class loader, else by its soname (already loaded). */
    private static SymbolLookup lookup() {
        SymbolLookup loader = SymbolLookup.loaderLookup();
        if (loader.find("openblas_get_corename").isPresent()) {
            return loader;
        }
        return SymbolLookup.libraryLookup("libopenblas.so.0", Arena.global());
    }

    private static MemorySegment find(SymbolLookup lib, String name) {
        Optional<MemorySegment> s = lib.find(name);
        return s.orElseThrow(() -> new IllegalStateException("OpenBLAS symbol " + name + " not found"));
    }

    /** Loads OpenBLAS and makes it use exactly {@code threads} threads (checked). */
    public static void useThreads(int threads) {
        load();
        try {
            setThreads.invokeExact(threads);
            int got = (int) getThreads.invokeExact();
            if (got != threads) {
                throw new IllegalStateException("OpenBLAS runs " + got + " threads after openblas_set_num_threads("
                        + threads + ")");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** openblas_get_corename(), e.g. "Zen" or "SkylakeX": the kernels the dynamic-arch build chose. */
    public static String coreName() {
        load();
        return string(corename);
    }

    /** openblas_get_config(), e.g. "OpenBLAS 0.3.31 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64". */
    public static String config() {
        load();
        return string(config);
    }

    /** One line for logs: config, core, threads and the two environment variables that steer it. */
    public static String describe() {
        int threads;
        try {
            threads = (int) getThreads.invokeExact();
        } catch (Throwable t) {
            threads = -1;
        }
        return config().trim() + "; core " + coreName() + "; " + threads + " thread(s); OPENBLAS_CORETYPE="
                + env("OPENBLAS_CORETYPE") + ", OPENBLAS_L2_SIZE=" + env("OPENBLAS_L2_SIZE");
    }

    static String env(String name) {
        String v = System.getenv(name);
        return v == null ? "(unset)" : v;
    }

    private static String string(MethodHandle h) {
        try {
            MemorySegment p = (MemorySegment) h.invokeExact();
            return p.reinterpret(4096).getString(0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A JavaCPP view (no copy, no ownership) of a native segment of floats. */
    public static FloatPointer floats(MemorySegment s) {
        return new SegmentFloats(s);
    }

    /** A JavaCPP view (no copy, no ownership) of a native segment of doubles. */
    public static DoublePointer doubles(MemorySegment s) {
        return new SegmentDoubles(s);
    }

    private static final class SegmentFloats extends FloatPointer {
        SegmentFloats(MemorySegment s) {
            super((Pointer) null);
            address = s.address();
            capacity = s.byteSize() / Float.BYTES;
            limit = capacity;
        }
    }

    private static final class SegmentDoubles extends DoublePointer {
        SegmentDoubles(MemorySegment s) {
            super((Pointer) null);
            address = s.address();
            capacity = s.byteSize() / Double.BYTES;
            limit = capacity;
        }
    }
}
