package dev.scalekernel.gpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The few cuBLAS functions the GPU backend calls, bound by name with java.lang.foreign from
 * {@code libcublas.so.13}. JCuda's own JCublas2 natives are linked against {@code libcublas.so.12}
 * with versioned symbols and cannot load against CUDA 13; cuBLAS 13 kept the names and C
 * signatures, so a downcall per function is all it takes (about 10 ns each).
 *
 * <p>Conventions of the C API, kept here: the handle is an opaque pointer; matrices are
 * column-major device pointers passed as raw addresses (from JCuda allocations); alpha and beta
 * are host pointers (the default {@code CUBLAS_POINTER_MODE_HOST}), read before the call returns.
 * Every call returns a {@code cublasStatus_t}; a non-zero status throws a {@link CublasException}
 * naming the function and the status.
 *
 * <p><b>Threads.</b> An instance, like the handle it creates, belongs to the one thread on which
 * the CUDA context is current: cuBLAS binds a handle to the context current at
 * {@code cublasCreate}. Its scalar buffer is reused between calls, so it is not thread-safe.
 */
final class Cublas implements AutoCloseable {

    static final int OP_N = 0;
    static final int OP_T = 1;
    static final int FILL_MODE_LOWER = 0;
    /** CUBLAS_DEFAULT_MATH: fp32 GEMMs stay fp32 (no TF32 tensor-core rounding of the inputs). */
    static final int DEFAULT_MATH = 0;

    /**
     * Every bound symbol with its C signature as a descriptor, in the order of the cuBLAS 13 header
     * ({@code cublas_api.h}). Pointers (handle, matrices, scalars, out-parameters) are ADDRESS;
     * {@code int} and the enums ({@code cublasOperation_t}, {@code cublasFillMode_t},
     * {@code cublasMath_t}) are JAVA_INT; every function returns {@code cublasStatus_t} (int).
     * CublasSymbolsTest checks names and parameter kinds against a binding generated from the
     * CUDA 13.1 headers.
     */
    static final Map<String, FunctionDescriptor> SIGNATURES = signatures();

    private static Map<String, FunctionDescriptor> signatures() {
        Map<String, FunctionDescriptor> s = new LinkedHashMap<>();
        s.put("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        s.put("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        s.put("cublasGetVersion_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        s.put("cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        s.put("cublasSetMathMode", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        // (handle, transa, transb, m, n, k, alpha*, A, lda, B, ldb, beta*, C, ldc)
        FunctionDescriptor gemm = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
        s.put("cublasSgemm_v2", gemm);
        s.put("cublasDgemm_v2", gemm);
        // (handle, trans, m, n, alpha*, A, lda, x, incx, beta*, y, incy)
        FunctionDescriptor gemv = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
                ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
        s.put("cublasSgemv_v2", gemv);
        s.put("cublasDgemv_v2", gemv);
        // (handle, uplo, trans, n, k, alpha*, A, lda, beta*, C, ldc)
        FunctionDescriptor syrk = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
        s.put("cublasSsyrk_v2", syrk);
        s.put("cublasDsyrk_v2", syrk);
        return Collections.unmodifiableMap(s);
    }

    /** cublasStatus_t values of cublas_api.h, for messages. */
    static String statusName(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cublasStatus_t " + status;
        };
    }

    /** A cuBLAS call returned a status other than CUBLAS_STATUS_SUCCESS. */
    static final class CublasException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CublasException(String function, int status) {
            super(function + " returned " + statusName(status));
        }
    }

    /** The scalar buffer and out-parameters. */
    private final Arena arena = Arena.ofShared();
    private final Map<String, MethodHandle> handles = new LinkedHashMap<>();
    private final MemorySegment handle;
    private final int version;
    /** alpha at offset 0, beta at offset 8, as float or double; read by cuBLAS during the call. */
    private final MemorySegment scalars;
    private boolean closed;

    /**
     * Loads the library, binds every symbol of {@link #SIGNATURES} (a missing one fails here, not
     * at first use) and creates a handle bound to the calling thread's current CUDA context.
     *
     * @param library the libcublas.so.13 to load (its libcublasLt.so.13 sibling is loaded first
     *                when present, so that the dependency resolves even without an rpath)
     */
    @SuppressWarnings("restricted") // binding a native library is this class's purpose
    Cublas(Path library) {
        Path lt = library.resolveSibling("libcublasLt.so.13");
        // The global arena: the libraries stay loaded for the JVM's life, because unloading cuBLAS
        // while another backend (or cuBLAS's own threads) may still use it is not safe.
        if (Files.exists(lt)) {
            SymbolLookup.libraryLookup(lt, Arena.global());
        }
        SymbolLookup lookup = SymbolLookup.libraryLookup(library, Arena.global());
        Linker linker = Linker.nativeLinker();
        for (Map.Entry<String, FunctionDescriptor> e : SIGNATURES.entrySet()) {
            MemorySegment symbol = lookup.find(e.getKey()).orElseThrow(() -> new IllegalStateException(
                    library + " has no symbol " + e.getKey() + "; is it cuBLAS 12 or 13?"));
            handles.put(e.getKey(), linker.downcallHandle(symbol, e.getValue()));
        }
        scalars = arena.allocate(MemoryLayout.sequenceLayout(2, ValueLayout.JAVA_DOUBLE));
        MemorySegment out = arena.allocate(ADDRESS);
        check("cublasCreate_v2", invoke("cublasCreate_v2", out));
        handle = out.get(ADDRESS, 0);
        MemorySegment v = arena.allocate(JAVA_INT);
        check("cublasGetVersion_v2", invoke("cublasGetVersion_v2", handle, v));
        version = v.get(JAVA_INT, 0);
    }

    /** cuBLAS's version, e.g. 130100 for 13.1.0. */
    int version() {
        return version;
    }

    void setStream(long stream) {
        check("cublasSetStream_v2", invoke("cublasSetStream_v2", handle, MemorySegment.ofAddress(stream)));
    }

    void setMathMode(int mode) {
        check("cublasSetMathMode", invoke("cublasSetMathMode", handle, mode));
    }

    /** C = alpha·op(A)·op(B) + beta·C, column-major, fp32 or fp64. */
    void gemm(boolean f32, int opA, int opB, int m, int n, int k, double alpha, long a, int lda, long b, int ldb,
              double beta, long c, int ldc) {
        String name = f32 ? "cublasSgemm_v2" : "cublasDgemm_v2";
        setScalars(f32, alpha, beta);
        check(name, invoke(name, handle, opA, opB, m, n, k, scalars, ptr(a), lda, ptr(b), ldb,
                scalars.asSlice(8), ptr(c), ldc));
    }

    /** y = alpha·op(A)·x + beta·y, column-major A (m×n), unit strides. */
    void gemv(boolean f32, int op, int m, int n, double alpha, long a, int lda, long x, double beta, long y) {
        String name = f32 ? "cublasSgemv_v2" : "cublasDgemv_v2";
        setScalars(f32, alpha, beta);
        check(name, invoke(name, handle, op, m, n, scalars, ptr(a), lda, ptr(x), 1, scalars.asSlice(8), ptr(y), 1));
    }

    /** C = alpha·op(A)·op(A)ᵀ + beta·C on the uplo triangle of C (n×n), column-major. */
    void syrk(boolean f32, int uplo, int op, int n, int k, double alpha, long a, int lda, double beta, long c, int ldc) {
        String name = f32 ? "cublasSsyrk_v2" : "cublasDsyrk_v2";
        setScalars(f32, alpha, beta);
        check(name, invoke(name, handle, uplo, op, n, k, scalars, ptr(a), lda, scalars.asSlice(8), ptr(c), ldc));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            check("cublasDestroy_v2", invoke("cublasDestroy_v2", handle));
        } finally {
            arena.close();
        }
    }

    private void setScalars(boolean f32, double alpha, double beta) {
        if (f32) {
            scalars.set(ValueLayout.JAVA_FLOAT, 0, (float) alpha);
            scalars.set(ValueLayout.JAVA_FLOAT, 8, (float) beta);
        } else {
            scalars.set(ValueLayout.JAVA_DOUBLE, 0, alpha);
            scalars.set(ValueLayout.JAVA_DOUBLE, 8, beta);
        }
    }

    private static MemorySegment ptr(long address) {
        return MemorySegment.ofAddress(address);
    }

    private int invoke(String name, Object... args) {
        try {
            return (int) handles.get(name).invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(name + " could not be called: " + t, t);
        }
    }

    private static void check(String function, int status) {
        if (status != 0) {
            throw new CublasException(function, status);
        }
    }
}
