package dev.scalekernel.api;

/**
 * A compute backend: it owns matrices (on the host off-heap, or on a device) and runs the coarse
 * operations of a random-feature simulation on them, so that data stays where it is computed for a
 * whole run. Obtain one with {@link Backends#open}; close it to free everything it still owns.
 *
 * <p><b>Conventions.</b> Matrices are row-major. All operands of one call have the same dtype and
 * are owned by this backend and open. Scalars must be finite. Output matrices are overwritten
 * (their previous contents, even NaN, do not matter) unless the method says it reads them.
 * Accumulation happens in at least the operands' precision. Misuse throws
 * {@link IllegalArgumentException} (shapes, dtypes, ownership, scalars) or
 * {@link IllegalStateException} (closed backend or matrix), identically on every backend, because
 * {@link AbstractBackend} validates before any backend code runs.
 *
 * <p><b>Threads.</b> A backend is confined to one thread at a time; it may use its own worker
 * threads inside an operation. <b>Asynchrony.</b> Operations that return nothing may run
 * asynchronously until {@link #sync()} (on a GPU); operations that return host values
 * (downloads, reductions, {@link #gradientDescent}, {@link #lambdaMax}) wait for their result.
 * Results do not depend on the thread count.
 */
public interface Backend extends AutoCloseable {

    /** Which backend this is, with the options it runs with. */
    BackendInfo info();

    // ---- memory --------------------------------------------------------------------------

    /** A new rows×cols matrix filled with zeros. rows, cols ≥ 0. */
    Matrix allocate(int rows, int cols, DType dtype);

    /** A new F32 rows×cols matrix holding {@code data} (row-major, length rows·cols). */
    Matrix upload(float[] data, int rows, int cols);

    /** A new rows×cols matrix of {@code dtype} holding {@code data} rounded to that dtype. */
    Matrix upload(double[] data, int rows, int cols, DType dtype);

    /** A CSR matrix with its values rounded to {@code dtype}. */
    SparseMatrix upload(Csr csr, DType dtype);

    /** Copies an F32 matrix into {@code dst} (length rows·cols). Waits for pending work. */
    void download(Matrix src, float[] dst);

    /** Copies a matrix of either dtype into {@code dst} (length rows·cols), widening F32 exactly. */
    void download(Matrix src, double[] dst);

    /** Live allocations (matrices and sparse matrices not yet closed): tests assert it returns to 0. */
    int liveAllocations();

    // ---- random numbers ------------------------------------------------------------------

    /**
     * out[i] = mean + std·z_i with z_i the standard normal number {@code rs.offset()+i} of the
     * Philox stream (row-major i), the same bits on every backend. Modifies out.
     */
    void fillGaussian(Matrix out, RandomStream rs, double mean, double std);

    /** out[i] = lo + (hi − lo)·u_i with u_i ∈ (0, 1) number {@code rs.offset()+i} of the stream. Modifies out. */
    void fillUniform(Matrix out, RandomStream rs, double lo, double hi);

    // ---- element-wise --------------------------------------------------------------------

    /** a[i][j] ← factors[j]·a[i][j]. factors has a.cols() finite entries. Modifies a. */
    void scaleColumns(Matrix a, double[] factors);

    // ---- feature maps and Grams ------------------------------------------------------------

    /**
     * Dense feature map Φ = σ(s·X Fᵀ): X is P×M (inputs), F is N×M (projection), out is P×N.
     * The activation is fused. Modifies out.
     */
    void featureMap(double scale, Matrix x, Matrix f, Activation activation, Matrix out);

    /**
     * Sparse feature map Φ = σ(s·X Fᵀ) with X a P×M CSR matrix, F N×M dense, out P×N: row i of
     * the pre-activation is s·Σ_k x_ik F[k,:] over the non-zeros of row i. Modifies out.
     */
    void featureMapSparse(double scale, SparseMatrix x, Matrix f, Activation activation, Matrix out);

    /**
     * Kernel (row) Gram K = s·A Bᵀ: A is P×N, B is Q×N, out is P×Q. When a and b are the same
     * matrix the result is symmetric and only one triangle is computed, then mirrored. Modifies out.
     */
    void gramRows(double scale, Matrix a, Matrix b, Matrix out);

    /**
     * Feature (column) Gram, accumulated: out ← s·ΦᵀΦ + β·out, Φ P×N, out N×N. One triangle is
     * computed and mirrored, so the result is exactly symmetric; when β ≠ 0 only the upper triangle
     * of out is read (a symmetric out stays symmetric). When β = 0, out is not read. A Gram over
     * more rows than fit in memory is a sum of row tiles with β = 1 (a SYRK). Modifies out.
     */
    void gramColumns(double scale, Matrix phi, double beta, Matrix out);

    // ---- BLAS-like -----------------------------------------------------------------------

    /**
     * C = α·op(A)·op(B) + β·C with op(X) = Xᵀ when its flag is set. op(A) is m×k, op(B) k×n, C m×n.
     * When β = 0, C is not read. Modifies c.
     */
    void gemm(boolean transA, boolean transB, double alpha, Matrix a, Matrix b, double beta, Matrix c);

    /**
     * y = α·op(A)·x + β·y: x is a column (k×1) and y a column (m×1) with op(A) m×k.
     * When β = 0, y is not read. Modifies y.
     */
    void gemv(boolean trans, double alpha, Matrix a, Matrix x, double beta, Matrix y);

    // ---- training ------------------------------------------------------------------------

    /**
     * Full-batch gradient descent on the mean squared error, k right-hand sides at once:
     * Φ is P×N, y is P×k (or P×1, shared by all), w is N×k and holds w_0 on entry (usually zero)
     * and the final weights on return; eta has k learning rates (or one, shared). Each step is
     * <pre>  r = Φ w_j − y_j,   w_j ← w_j − (η_j / P)·Φᵀ r</pre>
     * i.e. a step on L/2 with L = (1/P)‖Φw − y‖², which is stable iff η·λ_max(ΦᵀΦ/P) &lt; 2.
     * The loss of w_t is recorded at {@code options.recordAt()}. A right-hand side whose loss is
     * not finite or exceeds {@code divergenceFactor}·L(w_0) has diverged: it is frozen at that step,
     * its later records are NaN and its step is reported. Divergence is data and never throws.
     * Modifies w; waits for the result.
     */
    GdResult gradientDescent(Matrix phi, Matrix y, Matrix w, double[] eta, GdOptions options);

    /**
     * λ_max(ΦᵀΦ/P) for Φ of shape P×N (P ≥ 1), by Lanczos iteration from a Philox start vector
     * in the smaller of the two dimensions. Waits for the result.
     */
    double lambdaMax(Matrix phi, LambdaMaxOptions options);

    /**
     * Ridge regression by Cholesky, k right-hand sides: w minimises (1/P)‖Φw − y‖² + ridge·‖w‖²,
     * i.e. w = (ΦᵀΦ + ridge·P·I)⁻¹ Φᵀy (solved in N dimensions when N ≤ P) or equivalently
     * w = Φᵀ(ΦΦᵀ + ridge·P·I)⁻¹ y (in P dimensions when P &lt; N). Φ is P×N, y P×k, w N×k; ridge ≥ 0.
     * Throws {@link ArithmeticException} when the system is not numerically positive definite
     * (ridge 0 with a rank-deficient Φ). Modifies w.
     */
    void ridgeSolve(Matrix phi, Matrix y, double ridge, Matrix w);

    // ---- reductions ----------------------------------------------------------------------

    /** Σ_ij a_ij·b_ij over two matrices of the same shape. Waits for the result. */
    double dot(Matrix a, Matrix b);

    /** Frobenius norm sqrt(Σ a_ij²), without overflow for large entries. Waits for the result. */
    double norm(Matrix a);

    /**
     * Per-column mean squared error (1/rows)·Σ_i (prediction_ij − target_ij)²: prediction is m×k,
     * target m×k or m×1 (shared). Returns k values. Waits for the result.
     */
    double[] meanSquaredError(Matrix prediction, Matrix target);

    // ---- lifecycle -----------------------------------------------------------------------

    /** Waits until every operation issued so far has finished (no-op on synchronous backends). */
    void sync();

    /** Frees every allocation still open, newest first; idempotent. */
    @Override
    void close();
}
