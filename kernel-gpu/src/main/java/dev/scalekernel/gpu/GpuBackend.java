package dev.scalekernel.gpu;

import dev.scalekernel.api.AbstractBackend;
import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Allocation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendInfo;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.Csr;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.GdResult;
import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.api.SparseMatrix;
import dev.scalekernel.api.reference.Cholesky;
import dev.scalekernel.api.reference.Lanczos;
import jcuda.CudaException;
import jcuda.Pointer;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The CUDA backend: matrices are device allocations (row-major, fp32 or fp64), dense products go
 * to cuBLAS 13 (through {@link Cublas}), everything else to this project's kernels
 * ({@code src/main/cuda/kernels.cu}), and a whole run stays on the device.
 *
 * <p><b>Threads and asynchrony.</b> Callers may use the backend from any one thread at a time;
 * every operation is handed to the {@link Device}'s own thread, which owns the CUDA context.
 * Operations that return nothing are asynchronous (issued in order on one stream) unless
 * {@code BackendOptions.syncEachOp} is set, in which case each waits for the device and checks
 * for errors before returning. Downloads, reductions, {@link #gradientDescent},
 * {@link #lambdaMax} and {@link #ridgeSolve} always wait. Failures of CUDA or cuBLAS are thrown as
 * {@link GpuException} naming the operation and its operands.
 *
 * <p><b>Numbers.</b> Random fills are the Philox stream bit for bit (kernels compiled without
 * contraction). Products use cuBLAS with {@code CUBLAS_DEFAULT_MATH} (no TF32); their summation
 * order is cuBLAS's, deterministic for a given GPU, library and shape. Reductions sum in double
 * in a fixed order. {@code BackendOptions.threads} and {@code fma} do not apply and are ignored.
 *
 * <p><b>Scratch</b> buffers are device allocations made and freed (stream-ordered) inside one
 * operation, never matrices of the backend, so {@link #liveAllocations()} counts only the caller's.
 */
public final class GpuBackend extends AbstractBackend {

    /**
     * How often gradient descent asks the device whether any right-hand side is still active, so
     * that a run whose every right-hand side diverged stops early: every 256 steps costs one
     * 4-byte copy and one pipeline drain, well under 1% of the steps' time.
     */
    static final int GD_ACTIVE_CHECK_INTERVAL = 256;

    /** CUDA's limit on gridDim.y; the 2-D kernels loop over the rest. */
    private static final int MAX_GRID_Y = 65535;

    private final Device device;
    private final BackendInfo info;
    private final boolean syncEachOp;

    private GpuBackend(Device device, BackendOptions options) {
        this.device = device;
        this.syncEachOp = options.syncEachOp();
        this.info = new BackendInfo("gpu", device.description(), 1, options);
    }

    /**
     * Opens device {@code options.device()} with the given cuBLAS library. Declared to return {@link Backend} so that the
     * provider can call it without the verifier loading this class (and JCuda's) before open.
     */
    static Backend open(BackendOptions options, Path cublasLibrary) {
        return new GpuBackend(Device.open(options.device(), cublasLibrary), options);
    }

    @Override
    public BackendInfo info() {
        return info;
    }

    /** The device, for GpuBenchmark's bare cuBLAS baseline measured beside the backend. */
    Device device() {
        return device;
    }

    /** The device address of a matrix of this backend, for the same baseline. */
    static long address(Matrix m) {
        return dev(m).address;
    }

    // ---- matrices ------------------------------------------------------------------------------

    /** A dense matrix in one device allocation (address 0 when it has no elements). */
    static final class GpuMatrix extends Matrix {
        final long address;

        GpuMatrix(GpuBackend owner, int rows, int cols, DType dtype, long address) {
            super(owner, rows, cols, dtype);
            this.address = address;
        }

        long bytes() {
            return size() * dtype().bytes();
        }

        boolean f32() {
            return dtype() == DType.F32;
        }

        @Override
        protected void free() {
            ((GpuBackend) backend()).release("free " + describe(), address);
        }
    }

    /** A CSR matrix: row starts (int, rows + 1), column indices (int) and values (the dtype). */
    static final class GpuSparseMatrix extends SparseMatrix {
        final long rowStart;
        final long columns;
        final long values;

        GpuSparseMatrix(GpuBackend owner, Csr csr, DType dtype, long rowStart, long columns, long values) {
            super(owner, csr.rows(), csr.cols(), csr.nonZeros(), dtype);
            this.rowStart = rowStart;
            this.columns = columns;
            this.values = values;
        }

        @Override
        protected void free() {
            ((GpuBackend) backend()).release("free " + describe(), values, columns, rowStart);
        }
    }

    private void release(String what, long... addresses) {
        exec(what, () -> what, () -> {
            for (long a : addresses) {
                device.free(a);
            }
        });
    }

    private static GpuMatrix dev(Matrix m) {
        return (GpuMatrix) m;
    }

    // ---- running operations ----------------------------------------------------------------------

    @FunctionalInterface
    private interface DeviceWork {
        void run() throws Exception;
    }

    /**
     * Runs one operation on the device thread: the body, then (with syncEachOp) a wait for the
     * stream, so that asynchronous errors surface here. CUDA and cuBLAS failures become a
     * {@link GpuException} with the operation and its operands; other exceptions (e.g. the
     * Cholesky's ArithmeticException) pass unchanged.
     */
    private <T> T run(String op, Supplier<String> operands, Callable<T> body) {
        return device.call(() -> {
            try {
                T result = body.call();
                if (syncEachOp) {
                    device.synchronize();
                }
                return result;
            } catch (CudaException | Cublas.CublasException e) {
                throw new GpuException(op + " (" + operands.get() + ") failed: " + e.getMessage(), e);
            }
        });
    }

    private void exec(String op, Supplier<String> operands, DeviceWork body) {
        run(op, operands, () -> {
            body.run();
            return null;
        });
    }

    private static Supplier<String> operands(Allocation... all) {
        return () -> Stream.of(all).map(Allocation::describe).collect(Collectors.joining(", "));
    }

    /**
     * Device buffers of one operation, freed (stream-ordered) newest first when it ends. An
     * operation may wrap one in a GpuMatrix to pass it to the helpers; such views are never
     * tracked or closed, the Scratch frees their memory.
     */
    private final class Scratch implements AutoCloseable {
        private final Deque<Long> buffers = new ArrayDeque<>();

        long allocate(long bytes) {
            long a = device.allocate(bytes);
            buffers.push(a);
            return a;
        }

        @Override
        public void close() {
            while (!buffers.isEmpty()) {
                device.free(buffers.pop());
            }
        }
    }

    // ---- memory ------------------------------------------------------------------------------

    @Override
    protected Matrix allocateK(int rows, int cols, DType dtype) {
        return run("allocate", () -> dtype + " " + rows + "x" + cols, () -> {
            long bytes = (long) rows * cols * dtype.bytes();
            long address = device.allocate(bytes);
            device.zero(address, bytes);
            return new GpuMatrix(this, rows, cols, dtype, address);
        });
    }

    @Override
    protected Matrix uploadK(float[] data, int rows, int cols) {
        return run("upload", () -> "f32 " + rows + "x" + cols, () -> {
            long bytes = 4L * data.length;
            long address = device.allocate(bytes);
            device.upload(address, Pointer.to(data), bytes);
            return new GpuMatrix(this, rows, cols, DType.F32, address);
        });
    }

    @Override
    protected Matrix uploadK(double[] data, int rows, int cols, DType dtype) {
        return run("upload", () -> dtype + " " + rows + "x" + cols, () -> {
            long bytes = (long) data.length * dtype.bytes();
            long address = device.allocate(bytes);
            device.upload(address, host(data, dtype), bytes);
            return new GpuMatrix(this, rows, cols, dtype, address);
        });
    }

    @Override
    protected SparseMatrix uploadK(Csr csr, DType dtype) {
        return run("upload", csr::toString, () -> {
            long rowStart = device.allocate(4L * csr.rowStart().length);
            device.upload(rowStart, Pointer.to(csr.rowStart()), 4L * csr.rowStart().length);
            long columns = device.allocate(4L * csr.nonZeros());
            device.upload(columns, Pointer.to(csr.columns()), 4L * csr.nonZeros());
            long values = device.allocate((long) csr.nonZeros() * dtype.bytes());
            device.upload(values, host(csr.values(), dtype), (long) csr.nonZeros() * dtype.bytes());
            return new GpuSparseMatrix(this, csr, dtype, rowStart, columns, values);
        });
    }

    /** The host array to copy for a matrix of {@code dtype}: the doubles, or their fp32 rounding. */
    private static Pointer host(double[] data, DType dtype) {
        if (dtype == DType.F64) {
            return Pointer.to(data);
        }
        float[] f = new float[data.length];
        for (int i = 0; i < data.length; i++) {
            f[i] = (float) data[i];
        }
        return Pointer.to(f);
    }

    @Override
    protected void downloadK(Matrix src, float[] dst) {
        GpuMatrix m = dev(src);
        exec("download", operands(src), () -> device.download(Pointer.to(dst), m.address, m.bytes()));
    }

    @Override
    protected void downloadK(Matrix src, double[] dst) {
        GpuMatrix m = dev(src);
        exec("download", operands(src), () -> {
            if (!m.f32()) {
                device.download(Pointer.to(dst), m.address, m.bytes());
                return;
            }
            float[] f = new float[dst.length];
            device.download(Pointer.to(f), m.address, m.bytes());
            for (int i = 0; i < f.length; i++) {
                dst[i] = f[i];
            }
        });
    }

    // ---- random ------------------------------------------------------------------------------

    /**
     * out[i] = mean + std·z_i with z_i normal number offset + i of the Philox stream, the bits of
     * the Java twin: one thread per Philox block (4 fp32 or 2 fp64 numbers). Asynchronous; modifies out.
     */
    @Override
    protected void fillGaussianK(Matrix out, RandomStream rs, double mean, double std) {
        GpuMatrix o = dev(out);
        exec("fillGaussian", operands(out), () -> {
            long n = o.size();
            int perBlock = o.f32() ? 4 : 2;
            long blocks = n == 0 ? 0 : (rs.offset() + n - 1) / perBlock - rs.offset() / perBlock + 1;
            if (o.f32()) {
                device.launch("sk_fill_normal_f32", blocks, o.address, n, rs.offset(), (int) rs.seed(),
                        (int) (rs.seed() >>> 32), rs.stream(), (float) mean, (float) std);
            } else {
                device.launch("sk_fill_normal_f64", blocks, o.address, n, rs.offset(), (int) rs.seed(),
                        (int) (rs.seed() >>> 32), rs.stream(), mean, std);
            }
        });
    }

    /** out[i] = lo + (hi − lo)·u_i, u_i uniform number offset + i, the bits of the Java twin. Asynchronous. */
    @Override
    protected void fillUniformK(Matrix out, RandomStream rs, double lo, double hi) {
        GpuMatrix o = dev(out);
        exec("fillUniform", operands(out), () -> {
            long n = o.size();
            int perBlock = o.f32() ? 4 : 2;
            long blocks = n == 0 ? 0 : (rs.offset() + n - 1) / perBlock - rs.offset() / perBlock + 1;
            if (o.f32()) {
                // The span rounded in fp32 before the fma, as the reference computes it.
                device.launch("sk_fill_uniform_f32", blocks, o.address, n, rs.offset(), (int) rs.seed(),
                        (int) (rs.seed() >>> 32), rs.stream(), (float) lo, (float) hi - (float) lo);
            } else {
                device.launch("sk_fill_uniform_f64", blocks, o.address, n, rs.offset(), (int) rs.seed(),
                        (int) (rs.seed() >>> 32), rs.stream(), lo, hi - lo);
            }
        });
    }

    // ---- element-wise --------------------------------------------------------------------------

    /** a[i][j] ← factors[j]·a[i][j], factors rounded to the dtype (uploaded once). Asynchronous. */
    @Override
    protected void scaleColumnsK(Matrix a, double[] factors) {
        GpuMatrix m = dev(a);
        exec("scaleColumns", operands(a), () -> {
            if (m.size() == 0) {
                return;
            }
            try (Scratch scratch = new Scratch()) {
                long bytes = (long) factors.length * m.dtype().bytes();
                long f = scratch.allocate(bytes);
                device.upload(f, host(factors, m.dtype()), bytes);
                device.launch(kernel("sk_scale_columns", m), m.size(), m.address, m.size(), m.cols(), f);
            }
        });
    }

    // ---- feature maps and Grams ------------------------------------------------------------------

    /**
     * Φ = σ(s·X Fᵀ): one cuBLAS GEMM with α = s and op(B) = Fᵀ, then σ in place (a separate
     * memory-bound pass; none for the identity). Asynchronous; modifies out.
     */
    @Override
    protected void featureMapK(double scale, Matrix x, Matrix f, Activation activation, Matrix out) {
        GpuMatrix o = dev(out);
        exec("featureMap", operands(x, f, out), () -> {
            gemm(false, true, scale, dev(x), dev(f), 0, o);
            activate(o, activation);
        });
    }

    /**
     * Φ = σ(s·X Fᵀ) with X in CSR: Fᵀ (M×N) is formed once in scratch by a tiled transpose, then
     * thread (i, j) sums x_ik·Fᵀ[col_k][j] over row i's non-zeros in CSR order with fma (threads of
     * a block take consecutive j, so the reads of Fᵀ are coalesced) and applies σ(s·sum).
     * Asynchronous; modifies out.
     */
    @Override
    protected void featureMapSparseK(double scale, SparseMatrix x, Matrix f, Activation activation, Matrix out) {
        GpuSparseMatrix xs = (GpuSparseMatrix) x;
        GpuMatrix fm = dev(f);
        GpuMatrix o = dev(out);
        exec("featureMapSparse", operands(x, f, out), () -> {
            if (o.size() == 0) {
                return;
            }
            int n = fm.rows();
            int m = fm.cols();
            try (Scratch scratch = new Scratch()) {
                long ft = scratch.allocate(fm.bytes());
                if (fm.size() > 0) {
                    device.launchGrid(kernel("sk_transpose", fm), ceilDiv(m, 32), Math.min(ceilDiv(n, 32), MAX_GRID_Y),
                            32, 8, fm.address, n, m, ft);
                }
                device.launchGrid(kernel("sk_csr_map", o), ceilDiv(n, Device.THREADS), Math.min(xs.rows(), MAX_GRID_Y),
                        Device.THREADS, 1, xs.rowStart, xs.columns, xs.values, ft, xs.rows(), n, scalar(o, scale),
                        activation.ordinal(), o.address);
            }
        });
    }

    /**
     * K = s·A Bᵀ by cuBLAS GEMM; when a and b are the same matrix, by SYRK (half the work) on one
     * triangle, then the other triangle is copied from it, so K is exactly symmetric. Asynchronous.
     */
    @Override
    protected void gramRowsK(double scale, Matrix a, Matrix b, boolean symmetric, Matrix out) {
        GpuMatrix am = dev(a);
        GpuMatrix o = dev(out);
        exec("gramRows", operands(a, b, out), () -> {
            if (symmetric) {
                syrk(ColumnMajor.rowGram(am.rows(), am.cols()), am.f32(), scale, am.address, o);
            } else {
                gemm(false, true, scale, am, dev(b), 0, o);
            }
        });
    }

    /** s·ΦᵀΦ by SYRK on one triangle, mirrored to the other. Asynchronous. */
    @Override
    protected void gramColumnsK(double scale, Matrix phi, double beta, Matrix out) {
        GpuMatrix p = dev(phi);
        GpuMatrix o = dev(out);
        exec("gramColumns", operands(phi, out),
                () -> syrk(ColumnMajor.columnGram(p.rows(), p.cols()), p.f32(), scale, p.address, beta, o));
    }

    // ---- BLAS-like -------------------------------------------------------------------------------

    /** C = α·op(A)·op(B) + β·C by cuBLAS GEMM on the column-major view. Asynchronous. */
    @Override
    protected void gemmK(boolean transA, boolean transB, double alpha, Matrix a, Matrix b, double beta, Matrix c) {
        exec("gemm", operands(a, b, c), () -> gemm(transA, transB, alpha, dev(a), dev(b), beta, dev(c)));
    }

    /** y = α·op(A)·x + β·y by cuBLAS GEMV on the column-major view. Asynchronous. */
    @Override
    protected void gemvK(boolean trans, double alpha, Matrix a, Matrix x, double beta, Matrix y) {
        GpuMatrix am = dev(a);
        exec("gemv", operands(a, x, y), () -> gemv(trans, alpha, am, dev(x).address, beta, dev(y)));
    }

    // ---- training ------------------------------------------------------------------------------

    /**
     * Full-batch GD with every step on the device: R = Φ W (GEMM); a kernel forms R − Y and the
     * per-column partial sums of squares; a one-thread-per-column kernel turns them into losses,
     * records them, and freezes the right-hand sides that diverged (the reference's rules); a kernel
     * scales R by −η_j/P (0 for frozen columns); W ← W + Φᵀ R (GEMM with β = 1). The host only
     * queues launches; it reads the device every {@value #GD_ACTIVE_CHECK_INTERVAL} steps to stop
     * when everything diverged, and fetches the recorded losses at the end. Waits for the result.
     */
    @Override
    protected GdResult gradientDescentK(Matrix phi, Matrix y, Matrix w, double[] eta, GdOptions options) {
        return run("gradientDescent", operands(phi, y, w),
                () -> gradientDescent(dev(phi), dev(y), dev(w), eta, options));
    }

    private GdResult gradientDescent(GpuMatrix phi, GpuMatrix y, GpuMatrix w, double[] eta, GdOptions options) {
        int p = phi.rows();
        int n = phi.cols();
        int k = w.cols();
        int records = options.records();
        if (k == 0) {
            return new GdResult(options.recordAt(), new double[0][], new long[0]);
        }
        int bytes = phi.dtype().bytes();
        long rowsPerChunk = Device.rowsPerChunk(p);
        int chunks = (int) ((p + rowsPerChunk - 1) / rowsPerChunk);
        try (Scratch scratch = new Scratch()) {
            GpuMatrix r = new GpuMatrix(this, p, k, phi.dtype(), scratch.allocate((long) p * k * bytes));
            long partials = scratch.allocate(8L * k * chunks);
            long initialLoss = scratch.allocate(8L * k);
            long active = scratch.allocate(4L * k);
            long divergedStep = scratch.allocate(8L * k);
            long losses = scratch.allocate(8L * k * records);
            long activeCount = scratch.allocate(4);
            long negStep = scratch.allocate((long) k * bytes);
            device.fill32(active, 1, k);
            device.fill32(divergedStep, -1, 2L * k); // int64 −1 is all ones
            device.fill32(activeCount, k, 1);
            double[] steps = new double[k];
            for (int j = 0; j < k; j++) {
                steps[j] = -(eta[j] / p);
            }
            device.upload(negStep, host(steps, phi.dtype()), (long) k * bytes);
            int observeBlocks = ceilDiv(k, Device.THREADS);
            int next = 0;
            long last = 0;
            for (long t = 0; ; t++) {
                gemm(false, false, 1, phi, w, 0, r);
                device.launchGrid(kernel("sk_column_sq_diff", phi), chunks, 1, Device.THREADS, 1, r.address, y.address,
                        (long) p, k, y.cols(), 1, rowsPerChunk, partials);
                int slot = next < records && options.recordStep(next) == t ? next++ : -1;
                device.launchGrid("sk_gd_observe", observeBlocks, 1, Device.THREADS, 1, partials, chunks, k, (double) p, t,
                        slot, options.divergenceFactor(), initialLoss, active, divergedStep, losses, activeCount);
                last = t;
                if (t == options.steps() || (t % GD_ACTIVE_CHECK_INTERVAL == GD_ACTIVE_CHECK_INTERVAL - 1
                        && readInt(activeCount) == 0)) {
                    break;
                }
                device.launch(kernel("sk_gd_scale_residual", phi), (long) p * k, r.address, (long) p, k, active, negStep);
                gemm(true, false, 1, phi, r, 1, w);
            }
            double[] recorded = new double[k * records];
            device.download(Pointer.to(recorded), losses, 8L * k * records);
            long[] diverged = new long[k];
            device.download(Pointer.to(diverged), divergedStep, 8L * k);
            double[][] byColumn = new double[k][records];
            for (int j = 0; j < k; j++) {
                for (int rec = 0; rec < records; rec++) {
                    // Records after an early stop were never written: every right-hand side had diverged.
                    byColumn[j][rec] = options.recordStep(rec) <= last ? recorded[rec * k + j] : Double.NaN;
                }
            }
            return new GdResult(options.recordAt(), byColumn, diverged);
        }
    }

    private int readInt(long address) {
        int[] value = new int[1];
        device.download(Pointer.to(value), address, 4);
        return value[0];
    }

    /**
     * Lanczos is the reference driver ({@link Lanczos}, in double on the host, O(dim) per step);
     * its operator v ↦ Φᵀ(Φv)/P (or Φ(Φᵀv)/P in the smaller dimension) runs as two cuBLAS GEMVs on
     * the device, with v and the result copied per step (2·dim numbers). Waits for the result.
     */
    @Override
    protected double lambdaMaxK(Matrix phi, LambdaMaxOptions options) {
        GpuMatrix p = dev(phi);
        return run("lambdaMax", operands(phi), () -> {
            int rows = p.rows();
            boolean featureSide = p.cols() <= rows;
            int dim = featureSide ? p.cols() : rows;
            int other = featureSide ? rows : p.cols();
            int bytes = p.dtype().bytes();
            try (Scratch scratch = new Scratch()) {
                long v = scratch.allocate((long) dim * bytes);
                long tmp = scratch.allocate((long) other * bytes);
                GpuMatrix tmpMatrix = new GpuMatrix(this, other, 1, p.dtype(), tmp);
                GpuMatrix out = new GpuMatrix(this, dim, 1, p.dtype(), scratch.allocate((long) dim * bytes));
                double[] result = new double[dim];
                return Lanczos.largestEigenvalue(dim, options, (in, res) -> {
                    device.upload(v, host(in, p.dtype()), (long) dim * bytes);
                    gemv(!featureSide, 1, p, v, 0, tmpMatrix);
                    gemv(featureSide, 1, p, tmp, 0, out);
                    downloadVector(out, result);
                    for (int b = 0; b < dim; b++) {
                        res[b] = result[b] / rows;
                    }
                });
            }
        });
    }

    /**
     * Ridge by the normal equations in double, like the reference: Φ (and y) are widened to fp64 on
     * the device, the Gram (ΦᵀΦ, or ΦΦᵀ when P &lt; N) is one DSYRK and the right-hand side ΦᵀY one
     * DGEMM there; the Gram comes to the host and the reference {@link Cholesky} (in double,
     * O(dim³/3) on one host core) solves it, because cuSOLVER is not reachable through JCuda 12.6.
     * In P dimensions, w = Φᵀα is formed back on the device. Forming the Gram in double keeps
     * exactly-dependent columns exactly dependent, so a rank-deficient system fails the Cholesky
     * test as in the reference. Waits; modifies w.
     */
    @Override
    protected void ridgeSolveK(Matrix phi, Matrix y, double ridge, Matrix w) {
        GpuMatrix p = dev(phi);
        GpuMatrix ys = dev(y);
        GpuMatrix ws = dev(w);
        exec("ridgeSolve", operands(phi, y, w), () -> {
            int rows = p.rows();
            int n = p.cols();
            int k = ys.cols();
            boolean featureSide = n <= rows;
            int dim = featureSide ? n : rows;
            try (Scratch scratch = new Scratch()) {
                GpuMatrix pd = widened(p, scratch);
                GpuMatrix yd = widened(ys, scratch);
                GpuMatrix g = new GpuMatrix(this, dim, dim, DType.F64, scratch.allocate(8L * dim * dim));
                syrk(featureSide ? ColumnMajor.columnGram(rows, n) : ColumnMajor.rowGram(rows, n), false, 1,
                        pd.address, g);
                double[] gram = new double[dim * dim];
                device.download(Pointer.to(gram), g.address, 8L * dim * dim);
                double[][] system = new double[dim][dim];
                for (int a = 0; a < dim; a++) {
                    System.arraycopy(gram, a * dim, system[a], 0, dim);
                    system[a][a] += ridge * rows;
                }
                GpuMatrix rhs = featureSide ? new GpuMatrix(this, n, k, DType.F64, scratch.allocate(8L * n * k)) : yd;
                if (featureSide) {
                    gemm(true, false, 1, pd, yd, 0, rhs);
                }
                double[] flat = new double[dim * k];
                device.download(Pointer.to(flat), rhs.address, 8L * dim * k);
                double[][] b = new double[dim][k];
                for (int a = 0; a < dim; a++) {
                    System.arraycopy(flat, a * k, b[a], 0, k);
                }
                Cholesky.solveInPlace(system, b, featureSide ? "N x N system PhiT Phi + ridge P I"
                        : "P x P system Phi PhiT + ridge P I");
                for (int a = 0; a < dim; a++) {
                    System.arraycopy(b[a], 0, flat, a * k, k);
                }
                if (featureSide) {
                    device.upload(ws.address, host(flat, ws.dtype()), ws.bytes());
                    return;
                }
                GpuMatrix alpha = new GpuMatrix(this, rows, k, DType.F64, scratch.allocate(8L * rows * k));
                device.upload(alpha.address, Pointer.to(flat), 8L * rows * k);
                GpuMatrix wd = ws.f32() ? new GpuMatrix(this, n, k, DType.F64, scratch.allocate(8L * n * k)) : ws;
                gemm(true, false, 1, pd, alpha, 0, wd);
                if (ws.f32()) {
                    device.launch("sk_narrow_f32", ws.size(), wd.address, ws.size(), ws.address);
                }
            }
        });
    }

    /** The fp64 version of a matrix: itself, or a widened copy in scratch. */
    private GpuMatrix widened(GpuMatrix m, Scratch scratch) {
        if (!m.f32()) {
            return m;
        }
        GpuMatrix d = new GpuMatrix(this, m.rows(), m.cols(), DType.F64, scratch.allocate(8 * m.size()));
        device.launch("sk_widen_f32", m.size(), m.address, m.size(), d.address);
        return d;
    }

    // ---- reductions ------------------------------------------------------------------------------

    /** Σ a_ij·b_ij in double, fixed order. Waits. */
    @Override
    protected double dotK(Matrix a, Matrix b) {
        GpuMatrix am = dev(a);
        return run("dot", operands(a, b), () -> {
            long n = am.size();
            if (n == 0) {
                return 0.0;
            }
            int blocks = Device.reductionBlocks(n);
            try (Scratch scratch = new Scratch()) {
                long partials = scratch.allocate(8L * blocks);
                long sum = scratch.allocate(8);
                device.launchGrid(kernel("sk_dot_partials", am), blocks, 1, Device.THREADS, 1, am.address,
                        dev(b).address, n, partials);
                device.launchGrid("sk_sum_partials", 1, 1, Device.THREADS, 1, partials, blocks, sum);
                return readDouble(sum);
            }
        });
    }

    /** max·sqrt(Σ (a/max)²) in double, as the reference: no overflow for large entries. Waits. */
    @Override
    protected double normK(Matrix a) {
        GpuMatrix am = dev(a);
        return run("norm", operands(a), () -> {
            long n = am.size();
            if (n == 0) {
                return 0.0;
            }
            int blocks = Device.reductionBlocks(n);
            try (Scratch scratch = new Scratch()) {
                long partials = scratch.allocate(8L * blocks);
                long results = scratch.allocate(16); // max |a|, then Σ (a/max)²
                device.launchGrid(kernel("sk_max_abs_partials", am), blocks, 1, Device.THREADS, 1, am.address, n, partials);
                device.launchGrid("sk_max_partials", 1, 1, Device.THREADS, 1, partials, blocks, results);
                device.launchGrid(kernel("sk_scaled_squares_partials", am), blocks, 1, Device.THREADS, 1, am.address, n,
                        results, partials);
                device.launchGrid("sk_sum_partials", 1, 1, Device.THREADS, 1, partials, blocks, results + 8);
                double[] r = new double[2];
                device.download(Pointer.to(r), results, 16);
                double max = r[0];
                return max == 0 || !Double.isFinite(max) ? max : max * Math.sqrt(r[1]);
            }
        });
    }

    /** Per column (1/m)·Σ_i (p_ij − t_ij)², partial sums per row chunk in double. Waits. */
    @Override
    protected double[] meanSquaredErrorK(Matrix prediction, Matrix target) {
        GpuMatrix pm = dev(prediction);
        GpuMatrix tm = dev(target);
        return run("meanSquaredError", operands(prediction, target), () -> {
            int rows = pm.rows();
            int k = pm.cols();
            if (k == 0) {
                return new double[0];
            }
            long rowsPerChunk = Device.rowsPerChunk(rows);
            int chunks = (int) ((rows + rowsPerChunk - 1) / rowsPerChunk);
            try (Scratch scratch = new Scratch()) {
                long partials = scratch.allocate(8L * k * chunks);
                long out = scratch.allocate(8L * k);
                device.launchGrid(kernel("sk_column_sq_diff", pm), chunks, 1, Device.THREADS, 1, pm.address, tm.address,
                        (long) rows, k, tm.cols(), 0, rowsPerChunk, partials);
                device.launchGrid("sk_column_sums", ceilDiv(k, Device.THREADS), 1, Device.THREADS, 1, partials, chunks, k,
                        (double) rows, out);
                double[] mse = new double[k];
                device.download(Pointer.to(mse), out, 8L * k);
                return mse;
            }
        });
    }

    private double readDouble(long address) {
        double[] value = new double[1];
        device.download(Pointer.to(value), address, 8);
        return value[0];
    }

    // ---- lifecycle -------------------------------------------------------------------------------

    @Override
    protected void syncK() {
        exec("sync", () -> "", device::synchronize);
    }

    /** Releases the cuBLAS handle, module, stream and context (newest first) and ends the device thread. */
    @Override
    protected void closeK() {
        device.close();
    }

    // ---- helpers (device thread) ------------------------------------------------------------------

    /** C (m×n) = α·op(A)·op(B) + β·C for row-major device matrices, empty shapes included. */
    private void gemm(boolean transA, boolean transB, double alpha, GpuMatrix a, GpuMatrix b, double beta, GpuMatrix c) {
        int m = c.rows();
        int n = c.cols();
        int k = transA ? a.rows() : a.cols();
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) { // an empty sum: C = β·C, and cuBLAS is not asked about k = 0
            device.launch(kernel("sk_scale", c), c.size(), c.address, c.size(), scalar(c, beta));
            return;
        }
        ColumnMajor.Gemm g = ColumnMajor.gemm(transA, transB, m, n, k, a.cols(), b.cols());
        device.cublas().gemm(c.f32(), g.opFirst(), g.opSecond(), g.m(), g.n(), g.k(), alpha, b.address, g.ldFirst(),
                a.address, g.ldSecond(), beta, c.address, g.ldc());
    }

    /** y = α·op(A)·x + β·y for a row-major device A and columns x (address) and y. */
    private void gemv(boolean trans, double alpha, GpuMatrix a, long x, double beta, GpuMatrix y) {
        int k = trans ? a.rows() : a.cols();
        if (y.rows() == 0) {
            return;
        }
        if (k == 0) {
            device.launch(kernel("sk_scale", y), y.size(), y.address, y.size(), scalar(y, beta));
            return;
        }
        ColumnMajor.Gemv g = ColumnMajor.gemv(trans, a.rows(), a.cols());
        device.cublas().gemv(y.f32(), g.op(), g.m(), g.n(), alpha, a.address, g.lda(), x, beta, y.address);
    }

    /** out = s·(the Gram of s), one triangle by SYRK then mirrored; zero for an empty inner dimension. */
    private void syrk(ColumnMajor.Syrk s, boolean f32, double scale, long a, GpuMatrix out) {
        syrk(s, f32, scale, a, 0, out);
    }

    /** out ← scale·(Gram) + β·out on the row-major upper triangle (what cuBLAS reads and writes), then mirrored. */
    private void syrk(ColumnMajor.Syrk s, boolean f32, double scale, long a, double beta, GpuMatrix out) {
        if (s.n() == 0) {
            return;
        }
        if (s.k() == 0 && beta == 0) {
            device.zero(out.address, out.bytes());
            return;
        }
        if (s.k() == 0) {
            device.launch(kernel("sk_scale", out), out.size(), out.address, out.size(), scalar(out, beta));
        } else {
            device.cublas().syrk(f32, s.uplo(), s.op(), s.n(), s.k(), scale, a, s.lda(), beta, out.address, s.ldc());
        }
        device.launch(kernel("sk_mirror_upper", out), out.size(), out.address, s.n());
    }

    private void activate(GpuMatrix m, Activation activation) {
        if (activation != Activation.IDENTITY) {
            device.launch(kernel("sk_activate", m), m.size(), m.address, m.size(), activation.ordinal());
        }
    }

    private void downloadVector(GpuMatrix v, double[] dst) {
        if (v.f32()) {
            float[] f = new float[dst.length];
            device.download(Pointer.to(f), v.address, v.bytes());
            for (int i = 0; i < f.length; i++) {
                dst[i] = f[i];
            }
        } else {
            device.download(Pointer.to(dst), v.address, v.bytes());
        }
    }

    private static Object scalar(GpuMatrix m, double value) {
        return m.f32() ? (Object) (float) value : (Object) value;
    }

    /** The dtype's instance of a kernel: name_f32 or name_f64. */
    private static String kernel(String name, GpuMatrix m) {
        return name + (m.f32() ? "_f32" : "_f64");
    }

    private static int ceilDiv(long a, int b) {
        return (int) Math.max(1, (a + b - 1) / b);
    }

    @Override
    public String toString() {
        return "GpuBackend[" + info.description() + "]" + (isClosed() ? " (closed)" : "");
    }
}
