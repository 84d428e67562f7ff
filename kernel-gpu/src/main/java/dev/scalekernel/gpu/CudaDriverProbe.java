package dev.scalekernel.gpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Asks the CUDA driver, through java.lang.foreign only, whether a GPU is there: dlopen
 * {@code libcuda.so.1}, {@code cuInit(0)}, {@code cuDeviceGetCount}. It never loads JCuda, whose
 * failed static initialiser would poison its classes for the rest of the JVM, and never throws.
 */
public final class CudaDriverProbe {

    /** What the driver said: the device count, or why there is none (count 0). */
    public record Finding(int devices, String detail) {
    }

    /** Set -Dscalekernel.gpu.disabled=true to pretend there is no GPU. */
    public static final String DISABLE_PROPERTY = "scalekernel.gpu.disabled";

    private static final int CUDA_SUCCESS = 0;
    private static final int CUDA_ERROR_NO_DEVICE = 100;
    private static final int CUDA_ERROR_INSUFFICIENT_DRIVER = 35;

    private CudaDriverProbe() {
    }

    @SuppressWarnings("restricted") // calling the driver natively is the point of the probe
    public static Finding find() {
        if (Boolean.getBoolean(DISABLE_PROPERTY)) {
            return new Finding(0, "disabled by -D" + DISABLE_PROPERTY + "=true");
        }
        try {
            SymbolLookup cuda;
            try {
                cuda = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            } catch (IllegalArgumentException e) {
                return new Finding(0, "libcuda.so.1 not found: no NVIDIA driver on this machine (install driver 580+ for CUDA 13)");
            }
            Linker linker = Linker.nativeLinker();
            MethodHandle cuInit = linker.downcallHandle(cuda.findOrThrow("cuInit"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            int rc = (int) cuInit.invokeExact(0);
            if (rc == CUDA_ERROR_NO_DEVICE) {
                return new Finding(0, "the NVIDIA driver is installed but sees no GPU (cuInit: CUDA_ERROR_NO_DEVICE)");
            }
            if (rc == CUDA_ERROR_INSUFFICIENT_DRIVER) {
                return new Finding(0, "the NVIDIA driver is too old for CUDA 12.6+ (cuInit: CUDA_ERROR_INSUFFICIENT_DRIVER)");
            }
            if (rc != CUDA_SUCCESS) {
                return new Finding(0, "cuInit failed with CUDA error " + rc);
            }
            MethodHandle count = linker.downcallHandle(cuda.findOrThrow("cuDeviceGetCount"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment n = arena.allocate(ValueLayout.JAVA_INT);
                rc = (int) count.invokeExact(n);
                if (rc != CUDA_SUCCESS) {
                    return new Finding(0, "cuDeviceGetCount failed with CUDA error " + rc);
                }
                int devices = n.get(ValueLayout.JAVA_INT, 0);
                return new Finding(devices, devices + " CUDA device(s)");
            }
        } catch (Throwable t) {
            return new Finding(0, "probing the CUDA driver failed: " + t);
        }
    }
}
