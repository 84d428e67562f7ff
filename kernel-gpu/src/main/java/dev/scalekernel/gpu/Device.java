package dev.scalekernel.gpu;

import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmemPool_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One CUDA device as a {@link GpuBackend} uses it, driven from one dedicated thread.
 *
 * <p><b>Why one thread.</b> A CUDA context is current per thread, and a cuBLAS handle is bound to
 * the context current when it was created. So a single daemon thread makes the device's primary
 * context current once, creates the stream, loads the kernels and creates the cuBLAS handle, and
 * then runs everything the backend does with the device; callers hand it work through
 * {@link #call}. Nothing else touches JCuda or cuBLAS. Several backends may share the primary
 * context, each with its own thread, stream, module and handle.
 *
 * <p><b>Ordering.</b> All work goes to one stream, created blocking (not
 * {@code CU_STREAM_NON_BLOCKING}) so that the synchronous host copies, which run on the legacy
 * default stream, stay ordered with it. Memory is allocated and freed stream-ordered
 * ({@code cuMemAllocAsync}/{@code cuMemFreeAsync}): a buffer freed right after the kernels that
 * use it are queued is released only after they ran, and no allocation synchronises the device.
 *
 * <p><b>Lifetime.</b> Everything created in {@link #open} is released by {@link #close} in reverse
 * order of creation (handle, module, stream, primary context), then the thread ends.
 */
final class Device implements AutoCloseable {

    /** Threads per block of every launch; kernels.cu's SK_THREADS, which its block reductions assume. */
    static final int THREADS = 256;
    /**
     * Grid cap for the grid-stride kernels: 8192 blocks of 256 threads is about 16 times what an
     * H100 (132 SMs × 2048 threads) holds at once, enough to hide the tail, small enough that no
     * launch is limited by grid scheduling.
     */
    static final int MAX_BLOCKS = 8192;
    /**
     * Blocks of a reduction's first pass, at most. The count depends on the size alone, never on
     * the device, so that partial sums (and so the result) are the same bits on any GPU and run.
     */
    static final int REDUCTION_BLOCKS = 1024;

    /** Every kernel of kernels.fatbin; all are looked up at open, so a stale fatbin fails there. */
    static final List<String> KERNELS = List.of(
            "sk_fill_normal_f32", "sk_fill_normal_f64", "sk_fill_uniform_f32", "sk_fill_uniform_f64",
            "sk_scale_columns_f32", "sk_scale_columns_f64", "sk_scale_f32", "sk_scale_f64",
            "sk_activate_f32", "sk_activate_f64", "sk_mirror_upper_f32", "sk_mirror_upper_f64",
            "sk_transpose_f32", "sk_transpose_f64", "sk_csr_map_f32", "sk_csr_map_f64",
            "sk_widen_f32", "sk_narrow_f32",
            "sk_dot_partials_f32", "sk_dot_partials_f64", "sk_max_abs_partials_f32", "sk_max_abs_partials_f64",
            "sk_scaled_squares_partials_f32", "sk_scaled_squares_partials_f64",
            "sk_column_sq_diff_f32", "sk_column_sq_diff_f64", "sk_gd_scale_residual_f32", "sk_gd_scale_residual_f64",
            "sk_sum_partials", "sk_max_partials", "sk_column_sums", "sk_gd_observe");

    static final String FATBIN = "kernels.fatbin";

    private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();

    private final int ordinal;
    private final ExecutorService executor;
    private final Thread thread;

    // Touched only on `thread`.
    private final Deque<Runnable> releases = new ArrayDeque<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private Stream stream;
    private Cublas cublas;
    private String description;

    /** A CUstream whose raw cudaStream_t can be handed to cuBLAS. */
    private static final class Stream extends CUstream {
        long address() {
            return getNativePointer();
        }
    }

    /** A CUdeviceptr whose raw address can be handed to kernels and cuBLAS. */
    private static final class DevicePointer extends CUdeviceptr {
        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    private Device(int ordinal) {
        this.ordinal = ordinal;
        Thread[] created = new Thread[1];
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "scalekernel-gpu-" + THREAD_NUMBER.incrementAndGet());
            t.setDaemon(true);
            created[0] = t;
            return t;
        });
        // Start the thread now, so that `thread` is known before any call.
        await(executor.submit(() -> null));
        this.thread = created[0];
    }

    /**
     * Opens device {@code ordinal}: primary context, stream, kernels, cuBLAS handle. On failure,
     * releases what it created and rethrows.
     */
    static Device open(int ordinal, Path cublasLibrary) {
        Device d = new Device(ordinal);
        try {
            d.call(() -> {
                d.init(cublasLibrary);
                return null;
            });
            return d;
        } catch (RuntimeException | Error e) {
            try {
                d.close();
            } catch (RuntimeException | Error cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private void init(Path cublasLibrary) throws IOException {
        JCudaDriver.setExceptionsEnabled(true);
        JCudaDriver.cuInit(0);
        CUdevice device = new CUdevice();
        JCudaDriver.cuDeviceGet(device, ordinal);
        if (attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED) == 0) {
            throw new IllegalStateException("CUDA device " + ordinal + " does not support stream-ordered memory"
                    + " (cuMemAllocAsync), which this backend needs");
        }
        CUcontext context = new CUcontext();
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        releases.push(() -> JCudaDriver.cuDevicePrimaryCtxRelease(device));
        JCudaDriver.cuCtxSetCurrent(context);
        keepFreedMemoryInPool(ordinal);

        Stream s = new Stream();
        JCudaDriver.cuStreamCreate(s, CUstream_flags.CU_STREAM_DEFAULT);
        releases.push(() -> JCudaDriver.cuStreamDestroy(s));
        stream = s;

        CUmodule module = new CUmodule();
        JCudaDriver.cuModuleLoadData(module, fatbin());
        releases.push(() -> JCudaDriver.cuModuleUnload(module));
        for (String name : KERNELS) {
            CUfunction f = new CUfunction();
            JCudaDriver.cuModuleGetFunction(f, module, name);
            functions.put(name, f);
        }

        Cublas c = new Cublas(cublasLibrary);
        releases.push(c::close);
        c.setStream(s.address());
        c.setMathMode(Cublas.DEFAULT_MATH);
        cublas = c;

        byte[] name = new byte[256];
        JCudaDriver.cuDeviceGetName(name, name.length, device);
        int nameLength = 0;
        while (nameLength < name.length && name[nameLength] != 0) {
            nameLength++;
        }
        int[] driver = new int[1];
        JCudaDriver.cuDriverGetVersion(driver);
        description = "CUDA device " + ordinal + ": " + new String(name, 0, nameLength, StandardCharsets.US_ASCII)
                + " (sm_" + attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                + attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR) + ", "
                + attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT) + " SMs), driver "
                + driver[0] / 1000 + "." + driver[0] % 1000 / 10 + ", cuBLAS " + c.version() + " from " + cublasLibrary;
    }

    private static int attribute(CUdevice device, int attribute) {
        int[] value = new int[1];
        JCudaDriver.cuDeviceGetAttribute(value, attribute, device);
        return value[0];
    }

    private static byte[] fatbin() throws IOException {
        try (InputStream in = Device.class.getResourceAsStream(FATBIN)) {
            if (in == null) {
                throw new IOException("resource dev/scalekernel/gpu/" + FATBIN + " is missing from the class path;"
                        + " build it with kernel-gpu/src/main/cuda/build.sh");
            }
            return in.readAllBytes();
        }
    }

    /**
     * Keeps memory that cuMemFreeAsync returns in the device's default pool instead of giving it
     * back to the driver at every synchronisation (the pool's release threshold is 0 by default),
     * so that a steady loop of allocations costs nothing. JCuda 12.6 does not expose the memory
     * pool calls, so these two go through java.lang.foreign, like the probe.
     */
    @SuppressWarnings("restricted") // deliberate native calls, see above
    private static void keepFreedMemoryInPool(int ordinal) {
        SymbolLookup cuda = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        Linker linker = Linker.nativeLinker();
        MethodHandle deviceGet = linker.downcallHandle(cuda.findOrThrow("cuDeviceGet"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle defaultPool = linker.downcallHandle(cuda.findOrThrow("cuDeviceGetDefaultMemPool"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle setAttribute = linker.downcallHandle(cuda.findOrThrow("cuMemPoolSetAttribute"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment device = arena.allocate(ValueLayout.JAVA_INT);
            driverCheck("cuDeviceGet", (int) deviceGet.invokeExact(device, ordinal));
            MemorySegment pool = arena.allocate(ValueLayout.ADDRESS);
            driverCheck("cuDeviceGetDefaultMemPool", (int) defaultPool.invokeExact(pool, device.get(ValueLayout.JAVA_INT, 0)));
            MemorySegment unlimited = arena.allocate(ValueLayout.JAVA_LONG);
            unlimited.set(ValueLayout.JAVA_LONG, 0, -1L); // UINT64_MAX
            driverCheck("cuMemPoolSetAttribute", (int) setAttribute.invokeExact(pool.get(ValueLayout.ADDRESS, 0),
                    CUmemPool_attribute.CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, unlimited));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling the CUDA driver's memory pool API failed: " + t, t);
        }
    }

    private static void driverCheck(String function, int result) {
        if (result != 0) {
            throw new jcuda.CudaException(function + " failed: " + jcuda.driver.CUresult.stringFor(result));
        }
    }

    /** Name, compute capability, SMs, driver and cuBLAS versions. */
    String description() {
        return description;
    }

    // ---- running work on the device thread ------------------------------------------------------

    /**
     * Runs {@code work} on the device thread and returns its result; the caller blocks until it
     * has been issued (kernels may still run). Called from the device thread itself, it runs inline.
     * Exceptions of the work are rethrown as they are.
     */
    <T> T call(Callable<T> work) {
        if (Thread.currentThread() == thread) {
            try {
                return work.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e.toString(), e);
            }
        }
        return await(executor.submit(work));
    }

    /** Waits for the task even when interrupted (the device work cannot be abandoned half-way), then re-interrupts. */
    private static <T> T await(Future<T> future) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause.toString(), cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- memory (device thread only) -----------------------------------------------------------

    /** A new device buffer of {@code bytes} (contents undefined), or 0 for 0 bytes. Stream-ordered. */
    long allocate(long bytes) {
        if (bytes == 0) {
            return 0;
        }
        DevicePointer p = new DevicePointer();
        JCudaDriver.cuMemAllocAsync(p, bytes, stream);
        return p.address();
    }

    /** Frees a buffer of {@link #allocate} once the work queued before has run. 0 is ignored. */
    void free(long address) {
        if (address != 0) {
            JCudaDriver.cuMemFreeAsync(at(address), stream);
        }
    }

    void zero(long address, long bytes) {
        if (bytes > 0) {
            JCudaDriver.cuMemsetD8Async(at(address), (byte) 0, bytes, stream);
        }
    }

    /** Sets {@code count} 32-bit words to {@code value}. */
    void fill32(long address, int value, long count) {
        if (count > 0) {
            JCudaDriver.cuMemsetD32Async(at(address), value, count, stream);
        }
    }

    /** Host → device, after the queued work (so a buffer still being read is not overwritten early). */
    void upload(long address, Pointer host, long bytes) {
        if (bytes > 0) {
            synchronize();
            JCudaDriver.cuMemcpyHtoD(at(address), host, bytes);
        }
    }

    /** Device → host, after the queued work. */
    void download(Pointer host, long address, long bytes) {
        if (bytes > 0) {
            synchronize();
            JCudaDriver.cuMemcpyDtoH(host, at(address), bytes);
        }
    }

    /** Waits for the stream; errors of earlier asynchronous work surface here. */
    void synchronize() {
        JCudaDriver.cuStreamSynchronize(stream);
    }

    Cublas cublas() {
        return cublas;
    }

    // ---- launches (device thread only) ---------------------------------------------------------

    /**
     * A 1-D grid-stride launch over {@code work} items: ceil(work / {@value #THREADS}) blocks, at most
     * {@value #MAX_BLOCKS}. Nothing is launched for no work. Arguments: Long (64-bit integers and
     * device pointers), Integer, Float, Double, matching the kernel's parameters in order and size.
     */
    void launch(String kernel, long work, Object... args) {
        if (work > 0) {
            launchGrid(kernel, blocks(work, MAX_BLOCKS), 1, THREADS, 1, args);
        }
    }

    /** The block count of a reduction's first pass over n elements (a function of n only). */
    static int reductionBlocks(long n) {
        return blocks(n, REDUCTION_BLOCKS);
    }

    /**
     * Rows per block of a per-column reduction over {@code rows} rows: at least one per thread, and
     * few enough chunks ({@value #REDUCTION_BLOCKS} at most) that one thread per column can add the
     * partials; a function of the row count only, like {@link #reductionBlocks}.
     */
    static long rowsPerChunk(long rows) {
        return Math.max(THREADS, (rows + REDUCTION_BLOCKS - 1) / REDUCTION_BLOCKS);
    }

    private static int blocks(long work, int cap) {
        return (int) Math.max(1, Math.min(cap, (work + THREADS - 1) / THREADS));
    }

    /** A launch with an explicit grid and block (x, y); arguments as for {@link #launch(String, long, Object...)}. */
    void launchGrid(String kernel, int gridX, int gridY, int blockX, int blockY, Object... args) {
        CUfunction f = functions.get(kernel);
        if (f == null) {
            throw new IllegalArgumentException("no kernel " + kernel + " in " + FATBIN);
        }
        NativePointerObject[] params = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = switch (args[i]) {
                case Long v -> Pointer.to(new long[] {v});
                case Integer v -> Pointer.to(new int[] {v});
                case Float v -> Pointer.to(new float[] {v});
                case Double v -> Pointer.to(new double[] {v});
                default -> throw new IllegalArgumentException("kernel argument " + i + " of " + kernel + " is a "
                        + args[i].getClass().getSimpleName() + "; expected Long, Integer, Float or Double");
            };
        }
        JCudaDriver.cuLaunchKernel(f, gridX, gridY, 1, blockX, blockY, 1, 0, stream, Pointer.to(params), null);
    }

    private static CUdeviceptr at(long address) {
        return new CUdeviceptr().withByteOffset(address);
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    /** Releases everything {@link #open} created, newest first, then ends the thread. Idempotent. */
    @Override
    public void close() {
        if (executor.isShutdown()) {
            return;
        }
        try {
            call(() -> {
                RuntimeException first = null;
                if (stream != null) {
                    try {
                        synchronize(); // nothing may still run when the module and the handle go
                    } catch (RuntimeException e) {
                        first = e;
                    }
                }
                while (!releases.isEmpty()) {
                    try {
                        releases.pop().run();
                    } catch (RuntimeException e) {
                        if (first == null) {
                            first = e;
                        } else {
                            first.addSuppressed(e);
                        }
                    }
                }
                if (first != null) {
                    throw first;
                }
                return null;
            });
        } finally {
            executor.shutdown();
            try {
                executor.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
