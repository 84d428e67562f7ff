package dev.scalekernel.bench;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.Backends;
import dev.ludovic.netlib.blas.JavaBLAS;

import java.util.Set;

/**
 * The implementations a benchmark's {@code impl} parameter names: this project's backends
 * ("reference", "cpu", "gpu", opened through {@link Backends}) and the baselines a user would pick
 * instead ("openblas": OpenBLAS in-process; "vectorblas": netlib's pure-Java Vector API BLAS).
 */
public final class Impls {

    public static final String REFERENCE = "reference";
    public static final String CPU = "cpu";
    public static final String GPU = "gpu";
    public static final String OPENBLAS = "openblas";
    public static final String VECTORBLAS = "vectorblas";

    /** Backends of this project (opened through {@link Backends}). */
    public static final Set<String> BACKENDS = Set.of(REFERENCE, CPU, GPU);

    private Impls() {
    }

    public static boolean isBackend(String impl) {
        return BACKENDS.contains(impl);
    }

    /** Opens backend {@code impl} with {@code threads} threads and logs what it is. */
    public static Backend open(String impl, int threads) {
        Backend b = Backends.open(impl, BackendOptions.defaults().withThreads(threads));
        System.out.println("# scalekernel backend: " + b.info().id() + " (" + b.info().description() + ")");
        if (!REFERENCE.equals(impl) && b.info().threads() != threads) {
            b.close();
            throw new IllegalStateException("backend " + impl + " runs " + b.info().threads() + " threads, asked for "
                    + threads);
        }
        return b;
    }

    /**
     * netlib's VectorBLAS without JNI: {@code JavaBLAS.getInstance()} is the pure-Java instance,
     * VectorBLAS when the Vector API module is loaded (else Java11BLAS, which is refused here).
     */
    public static JavaBLAS vectorBlas(int threads) {
        if (threads != 1) {
            throw new IllegalArgumentException("VectorBLAS is single-threaded; run it with threads = 1");
        }
        JavaBLAS blas = JavaBLAS.getInstance();
        String name = blas.getClass().getName();
        if (!name.endsWith(".VectorBLAS")) {
            throw new IllegalStateException("JavaBLAS.getInstance() gave " + name
                    + ", not VectorBLAS: is --add-modules=jdk.incubator.vector among the fork's JVM flags?");
        }
        System.out.println("# netlib java BLAS: " + name);
        return blas;
    }

    /** Refuses a thread count that the implementation cannot honour. */
    public static void requireThreads(String impl, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if ((REFERENCE.equals(impl) || VECTORBLAS.equals(impl)) && threads != 1) {
            throw new IllegalArgumentException(impl + " is single-threaded; run it with threads = 1");
        }
    }
}
