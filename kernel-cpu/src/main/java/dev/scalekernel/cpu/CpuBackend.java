package dev.scalekernel.cpu;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.BackendInfo;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.GdOptions;
import dev.scalekernel.api.GdResult;
import dev.scalekernel.api.LambdaMaxOptions;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.api.SparseMatrix;
import dev.scalekernel.api.host.HostBackend;
import dev.scalekernel.api.host.HostMatrix;
import dev.scalekernel.api.host.HostMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Vector API backend: matrices in off-heap host memory (row-major, 64-byte aligned), kernels
 * in {@code jdk.incubator.vector} at the preferred width, fp32 and fp64, on a fixed set of
 * {@code options.resolvedThreads()} threads (the caller and its daemon helpers).
 *
 * <p><b>Threading.</b> The backend is confined to one calling thread at a time; each operation
 * runs to completion on its workers before it returns (so {@link #sync()} has nothing to wait
 * for). Work is cut into tasks whose boundaries depend only on the shapes, each output element
 * is produced by one task, and reductions add per-task partials in task order: results are
 * bit-identical for every thread count. <b>FMA.</b> {@code BackendOptions.fma} AUTO fuses
 * multiply–adds when HotSpot uses FMA instructions, ON always, OFF never.
 *
 * <p><b>Scratch</b> is plain arrays or segments of a private arena closed before the operation
 * returns, never matrices of this backend, so {@link #liveAllocations()} only counts the caller's.
 */
public final class CpuBackend extends HostBackend {

    /** Rows per task when widening a Gram to fp64: 64 rows of 2048 fp32 are 512 KiB, many µs of copying. */
    private static final int WIDEN_ROWS = 64;

    private final BackendInfo info;
    private final WorkerPool pool;
    private final Compute compute;

    public CpuBackend(BackendOptions options) {
        int threads = options.resolvedThreads();
        boolean fma = switch (options.fma()) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> JvmFlags.hardwareFma();
        };
        this.pool = new WorkerPool(threads);
        this.compute = new Compute(pool, fma);
        this.info = new BackendInfo("cpu", describe(threads) + ", FMA " + (fma ? "on" : "off")
                + (HostMemory.hugePages() ? ", huge pages" : ""), threads, options);
    }

    /** "Vector API, 512-bit (16 fp32 lanes), 2 threads". */
    static String describe(int threads) {
        return "Vector API, " + Species.bits() + "-bit (" + Species.F32.length() + " fp32 lanes), " + threads
                + (threads == 1 ? " thread" : " threads");
    }

    @Override
    public BackendInfo info() {
        return info;
    }

    // ---- random --------------------------------------------------------------------------

    /**
     * out[i] = mean + std·z_i, z_i normal number offset + i of the Philox stream (row-major i),
     * bit-identical to the reference. Threaded over fixed chunks of elements. Modifies out.
     */
    @Override
    protected void fillGaussianK(Matrix out, RandomStream rs, double mean, double std) {
        HostMatrix o = host(out);
        RandomFill.gaussian(pool, o.segment(), o.dtype(), o.size(), rs, mean, std);
    }

    /** out[i] = lo + (hi − lo)·u_i, u_i ∈ (0, 1) uniform number offset + i; as {@link #fillGaussianK}. */
    @Override
    protected void fillUniformK(Matrix out, RandomStream rs, double lo, double hi) {
        HostMatrix o = host(out);
        RandomFill.uniform(pool, o.segment(), o.dtype(), o.size(), rs, lo, hi);
    }

    // ---- element-wise --------------------------------------------------------------------

    /** a[i][j] ← factors[j]·a[i][j], factors rounded to the dtype. Threaded over row blocks. Modifies a. */
    @Override
    protected void scaleColumnsK(Matrix a, double[] factors) {
        HostMatrix m = host(a);
        if (m.dtype() == DType.F32) {
            DenseF32.scaleColumns(compute, m.segment(), m.rows(), m.cols(), factors);
        } else {
            DenseF64.scaleColumns(compute, m.segment(), m.rows(), m.cols(), factors);
        }
    }

    // ---- feature maps and Grams ------------------------------------------------------------

    /**
     * Φ = σ(s·X Fᵀ), X P×M, F N×M, out P×N: the blocked GEMM with op(B) = Fᵀ absorbed in the
     * packing; relu is applied in the epilogue to each register tile after its last depth slice,
     * tanh and erf ({@link VectorActivation}, vectorised and deterministic) by each task to its
     * tile of out after the last slice. Threaded over tiles of out. Modifies out.
     */
    @Override
    protected void featureMapK(double scale, Matrix x, Matrix f, Activation activation, Matrix out) {
        HostMatrix xs = host(x);
        HostMatrix o = host(out);
        multiply(o.dtype(), new Product(false, true, xs.rows(), o.cols(), xs.cols(), scale, xs.segment(),
                host(f).segment(), 0, o.segment(), activation, false));
    }

    /**
     * Φ = σ(s·X Fᵀ) with X a P×M CSR matrix, F N×M, out P×N: Fᵀ is formed once (M×N scratch),
     * each non-zero x_ik adds x_ik·Fᵀ[k,:] into row i, then σ(s·row). Threaded over row blocks.
     * Modifies out.
     */
    @Override
    protected void featureMapSparseK(double scale, SparseMatrix x, Matrix f, Activation activation, Matrix out) {
        HostMatrix fs = host(f);
        HostMatrix o = host(out);
        if (o.dtype() == DType.F32) {
            DenseF32.featureMapSparse(compute, (float) scale, host(x), fs.segment(), fs.rows(), activation,
                    o.segment());
        } else {
            DenseF64.featureMapSparse(compute, scale, host(x), fs.segment(), fs.rows(), activation, o.segment());
        }
    }

    /**
     * K = s·A Bᵀ, A P×N, B Q×N, out P×Q, by the blocked GEMM. When a and b are the same matrix
     * only the tiles touching the upper triangle are computed (about half the work) and the lower
     * triangle is copied from them, so K is exactly symmetric. Threaded over tiles. Modifies out.
     */
    @Override
    protected void gramRowsK(double scale, Matrix a, Matrix b, boolean symmetric, Matrix out) {
        HostMatrix as = host(a);
        HostMatrix o = host(out);
        multiply(o.dtype(), new Product(false, true, as.rows(), o.cols(), as.cols(), scale, as.segment(),
                host(b).segment(), 0, o.segment(), Activation.IDENTITY, symmetric));
    }

    /** s·ΦᵀΦ, Φ P×N, out N×N, one triangle computed and mirrored as in {@link #gramRowsK}. Modifies out. */
    @Override
    protected void gramColumnsK(double scale, Matrix phi, double beta, Matrix out) {
        HostMatrix p = host(phi);
        HostMatrix o = host(out);
        multiply(o.dtype(), new Product(true, false, p.cols(), p.cols(), p.rows(), scale, p.segment(), p.segment(), beta,
                o.segment(), Activation.IDENTITY, true));
    }

    // ---- BLAS-like -----------------------------------------------------------------------

    /**
     * C = α·op(A)·op(B) + β·C, op(A) m×k, op(B) k×n, C m×n, all row-major; C is not read when
     * β = 0. Packed panels, an 8×2-vector register tile, KC/MC cache blocks
     * ({@link GemmF32}); threaded over (MC rows × column chunk) tiles of C. Modifies c.
     */
    @Override
    protected void gemmK(boolean transA, boolean transB, double alpha, Matrix a, Matrix b, double beta, Matrix c) {
        HostMatrix as = host(a);
        HostMatrix cs = host(c);
        multiply(cs.dtype(), new Product(transA, transB, cs.rows(), cs.cols(), transA ? as.rows() : as.cols(), alpha,
                as.segment(), host(b).segment(), beta, cs.segment(), Activation.IDENTITY, false));
    }

    /**
     * y = α·op(A)·x + β·y, A rows×cols, x and y columns; y not read when β = 0. Row dot products
     * (no transpose) or a weighted sum of rows with per-block partials (transposed), threaded
     * over row blocks. Modifies y.
     */
    @Override
    protected void gemvK(boolean trans, double alpha, Matrix a, Matrix x, double beta, Matrix y) {
        HostMatrix as = host(a);
        if (as.dtype() == DType.F32) {
            DenseF32.gemv(compute, trans, (float) alpha, as.segment(), as.rows(), as.cols(), host(x).segment(),
                    (float) beta, host(y).segment());
        } else {
            DenseF64.gemv(compute, trans, alpha, as.segment(), as.rows(), as.cols(), host(x).segment(), beta,
                    host(y).segment());
        }
    }

    // ---- training ------------------------------------------------------------------------

    /**
     * Full-batch GD, k right-hand sides: Φ P×N, y P×k or P×1, w N×k (w_0 on entry, final weights
     * on return), losses recorded and divergence handled as the reference does. k = 1: one fused
     * pass over Φ per step (residual, loss and gradient of each row block together); k > 1: two
     * GEMMs per step. Threaded over row blocks / GEMM tiles. Modifies w; returns when done.
     */
    @Override
    protected GdResult gradientDescentK(Matrix phi, Matrix y, Matrix w, double[] eta, GdOptions options) {
        HostMatrix p = host(phi);
        HostMatrix ys = host(y);
        HostMatrix ws = host(w);
        if (p.dtype() == DType.F32) {
            return DenseF32.gradientDescent(compute, p.segment(), p.rows(), p.cols(), ys.segment(), ys.cols(),
                    ws.segment(), ws.cols(), eta, options);
        }
        return DenseF64.gradientDescent(compute, p.segment(), p.rows(), p.cols(), ys.segment(), ys.cols(),
                ws.segment(), ws.cols(), eta, options);
    }

    /**
     * λ_max(ΦᵀΦ/P), Φ P×N, by Lanczos (in double) in the smaller dimension, with the operator
     * v ↦ Φᵀ(Φv)/P or Φ(Φᵀv)/P applied in the dtype, threaded over row blocks.
     */
    @Override
    protected double lambdaMaxK(Matrix phi, LambdaMaxOptions options) {
        HostMatrix p = host(phi);
        return p.dtype() == DType.F32
                ? DenseF32.lambdaMax(compute, p.segment(), p.rows(), p.cols(), options)
                : DenseF64.lambdaMax(compute, p.segment(), p.rows(), p.cols(), options);
    }

    /**
     * Ridge regression, Φ P×N, y P×k, w N×k. N ≤ P: G = ΦᵀΦ (its upper triangle, by the blocked
     * GEMM) and ΦᵀY in the dtype, then (G + ridge·P·I) W = ΦᵀY by the blocked, threaded Cholesky
     * in double ({@link BlockedCholesky}, which says why double). P &lt; N: (ΦΦᵀ + ridge·P·I) X = Y,
     * then W = ΦᵀX by GEMM. Throws {@link ArithmeticException} when the system is not numerically
     * positive definite, with the reference's rule and message. Modifies w.
     */
    @Override
    protected void ridgeSolveK(Matrix phi, Matrix y, double ridge, Matrix w) {
        HostMatrix p = host(phi);
        HostMatrix ys = host(y);
        HostMatrix ws = host(w);
        DType dtype = p.dtype();
        int rows = p.rows();
        int n = p.cols();
        int k = ys.cols();
        boolean featureSide = n <= rows;
        int dim = featureSide ? n : rows;
        long bytes = dtype.bytes();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment gram = HostMemory.allocate(arena, (long) dim * dim * bytes);
            // The Cholesky reads the upper triangle only, so the lower one is neither computed nor mirrored.
            multiply(dtype, new Product(featureSide, !featureSide, dim, dim, featureSide ? rows : n, 1, p.segment(), n,
                    p.segment(), n, 0, gram, dim, Activation.IDENTITY, Product.Part.UPPER));
            MemorySegment rhs = ys.segment();
            if (featureSide) {
                rhs = HostMemory.allocate(arena, (long) n * k * bytes);
                multiply(dtype, Product.gemm(true, false, n, k, rows, 1, p.segment(), ys.segment(), 0, rhs));
            }
            // The factorisation works in double, in place: an fp64 Gram is used as it is.
            MemorySegment g = dtype == DType.F64 ? gram : toDouble(arena, gram, dim);
            for (int i = 0; i < dim; i++) {
                long at = (long) i * dim + i;
                g.setAtIndex(ValueLayout.JAVA_DOUBLE, at, g.getAtIndex(ValueLayout.JAVA_DOUBLE, at) + ridge * rows);
            }
            double[][] x = new double[k][dim]; // one contiguous vector per right-hand side
            for (int i = 0; i < dim; i++) {
                for (int j = 0; j < k; j++) {
                    x[j][i] = get(rhs, dtype, (long) i * k + j);
                }
            }
            BlockedCholesky.solveInPlace(compute, g, dim, x,
                    featureSide ? "N x N system PhiT Phi + ridge P I" : "P x P system Phi PhiT + ridge P I");
            MemorySegment solution = featureSide ? ws.segment()
                    : HostMemory.allocate(arena, (long) rows * k * bytes);
            for (int i = 0; i < dim; i++) {
                for (int j = 0; j < k; j++) {
                    set(solution, dtype, (long) i * k + j, x[j][i]);
                }
            }
            if (!featureSide) {
                multiply(dtype, Product.gemm(true, false, n, k, rows, 1, p.segment(), solution, 0, ws.segment()));
            }
        }
    }

    // ---- reductions ----------------------------------------------------------------------

    /** Σ a_ij·b_ij: fixed chunks summed in the dtype, chunk sums added in order in double. */
    @Override
    protected double dotK(Matrix a, Matrix b) {
        HostMatrix as = host(a);
        return as.dtype() == DType.F32
                ? DenseF32.dot(compute, as.segment(), host(b).segment(), as.size())
                : DenseF64.dot(compute, as.segment(), host(b).segment(), as.size());
    }

    /** sqrt(Σ a_ij²) in two passes (max, then sum of squares scaled by a power of two): no overflow. */
    @Override
    protected double normK(Matrix a) {
        HostMatrix as = host(a);
        return as.dtype() == DType.F32
                ? DenseF32.norm(compute, as.segment(), as.size())
                : DenseF64.norm(compute, as.segment(), as.size());
    }

    /** (1/m)·Σ_i (p_ij − t_ij)² per column, target m×k or m×1 shared. Threaded over rows. */
    @Override
    protected double[] meanSquaredErrorK(Matrix prediction, Matrix target) {
        HostMatrix ps = host(prediction);
        HostMatrix ts = host(target);
        return ps.dtype() == DType.F32
                ? DenseF32.meanSquaredError(compute, ps.segment(), ts.segment(), ps.rows(), ps.cols(), ts.cols())
                : DenseF64.meanSquaredError(compute, ps.segment(), ts.segment(), ps.rows(), ps.cols(), ts.cols());
    }

    // ---- lifecycle -----------------------------------------------------------------------

    /** Stops the helper threads; called once after every matrix was freed. */
    @Override
    protected void closeK() {
        pool.close();
    }

    // ---- helpers -------------------------------------------------------------------------

    private void multiply(DType dtype, Product product) {
        if (dtype == DType.F32) {
            GemmF32.multiply(compute, product);
        } else {
            GemmF64.multiply(compute, product);
        }
    }

    /** An fp64 copy of the dim×dim fp32 matrix m (exact), threaded over fixed row blocks. */
    private MemorySegment toDouble(Arena arena, MemorySegment m, int dim) {
        MemorySegment d = HostMemory.allocate(arena, (long) dim * dim * Double.BYTES);
        pool.run(GemmF64.ceilDiv(dim, WIDEN_ROWS), (w, t) -> {
            for (long i = (long) t * WIDEN_ROWS * dim; i < (long) Math.min(dim, (t + 1) * WIDEN_ROWS) * dim; i++) {
                d.setAtIndex(ValueLayout.JAVA_DOUBLE, i, m.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
        });
        return d;
    }

    private static double get(MemorySegment s, DType dtype, long i) {
        return dtype == DType.F32 ? s.getAtIndex(ValueLayout.JAVA_FLOAT, i)
                : s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
    }

    private static void set(MemorySegment s, DType dtype, long i, double v) {
        if (dtype == DType.F32) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
        } else {
            s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
        }
    }
}
