package dev.scalekernel.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks every argument once and then calls a protected kernel, so that every backend fails the
 * same way on the same misuse (the netlib {@code AbstractBLAS} pattern). Kernels may assume: the
 * backend and all operands are open and owned by this backend, shapes and dtypes agree, scalars
 * are finite, outputs do not alias inputs, and vectors of per-column values have been expanded to
 * the full column count. Kernels must handle empty dimensions.
 */
public abstract class AbstractBackend implements Backend {

    private final Set<Allocation> live = new LinkedHashSet<>();
    private boolean closed;

    // ---- memory --------------------------------------------------------------------------

    @Override
    public final Matrix allocate(int rows, int cols, DType dtype) {
        checkOpen("allocate");
        checkShape("allocate", rows, cols);
        requireNonNull("allocate", dtype, "dtype");
        return track(allocateK(rows, cols, dtype));
    }

    @Override
    public final Matrix upload(float[] data, int rows, int cols) {
        checkOpen("upload");
        checkShape("upload", rows, cols);
        requireNonNull("upload", data, "data");
        checkLength("upload", data.length, rows, cols);
        return track(uploadK(data, rows, cols));
    }

    @Override
    public final Matrix upload(double[] data, int rows, int cols, DType dtype) {
        checkOpen("upload");
        checkShape("upload", rows, cols);
        requireNonNull("upload", data, "data");
        requireNonNull("upload", dtype, "dtype");
        checkLength("upload", data.length, rows, cols);
        return track(uploadK(data, rows, cols, dtype));
    }

    @Override
    public final SparseMatrix upload(Csr csr, DType dtype) {
        checkOpen("upload");
        requireNonNull("upload", csr, "csr");
        requireNonNull("upload", dtype, "dtype");
        return track(uploadK(csr, dtype));
    }

    @Override
    public final void download(Matrix src, float[] dst) {
        operand("download", src, "src");
        requireNonNull("download", dst, "dst");
        if (src.dtype() != DType.F32) {
            throw new IllegalArgumentException("download: src is " + src.describe()
                    + "; a float[] takes only f32 matrices (use a double[] for f64)");
        }
        checkLength("download", dst.length, src.rows(), src.cols());
        downloadK(src, dst);
    }

    @Override
    public final void download(Matrix src, double[] dst) {
        operand("download", src, "src");
        requireNonNull("download", dst, "dst");
        checkLength("download", dst.length, src.rows(), src.cols());
        downloadK(src, dst);
    }

    @Override
    public final int liveAllocations() {
        return live.size();
    }

    // ---- random --------------------------------------------------------------------------

    @Override
    public final void fillGaussian(Matrix out, RandomStream rs, double mean, double std) {
        operand("fillGaussian", out, "out");
        requireNonNull("fillGaussian", rs, "random stream");
        finite("fillGaussian", "mean", mean);
        finite("fillGaussian", "std", std);
        fillGaussianK(out, rs, mean, std);
    }

    @Override
    public final void fillUniform(Matrix out, RandomStream rs, double lo, double hi) {
        operand("fillUniform", out, "out");
        requireNonNull("fillUniform", rs, "random stream");
        finite("fillUniform", "lo", lo);
        finite("fillUniform", "hi", hi);
        if (!(lo <= hi)) {
            throw new IllegalArgumentException("fillUniform: lo = " + lo + " must be <= hi = " + hi);
        }
        fillUniformK(out, rs, lo, hi);
    }

    // ---- element-wise --------------------------------------------------------------------

    @Override
    public final void scaleColumns(Matrix a, double[] factors) {
        operand("scaleColumns", a, "a");
        requireNonNull("scaleColumns", factors, "factors");
        if (factors.length != a.cols()) {
            throw new IllegalArgumentException("scaleColumns: a is " + a.shape() + " so factors needs " + a.cols()
                    + " entries, got " + factors.length);
        }
        for (int j = 0; j < factors.length; j++) {
            finite("scaleColumns", "factors[" + j + "]", factors[j]);
        }
        scaleColumnsK(a, factors);
    }

    // ---- feature maps and Grams ------------------------------------------------------------

    @Override
    public final void featureMap(double scale, Matrix x, Matrix f, Activation activation, Matrix out) {
        String op = "featureMap";
        finite(op, "scale", scale);
        operand(op, x, "x");
        operand(op, f, "f");
        operand(op, out, "out");
        requireNonNull(op, activation, "activation");
        sameDtype(op, x, f, out);
        if (x.cols() != f.cols()) {
            throw new IllegalArgumentException(op + ": x is " + x.shape() + " and f is " + f.shape()
                    + "; both need the same number of columns (the input dimension M)");
        }
        requireShape(op, "out", out, x.rows(), f.rows(), "P x N = x.rows x f.rows");
        distinct(op, out, x, f);
        featureMapK(scale, x, f, activation, out);
    }

    @Override
    public final void featureMapSparse(double scale, SparseMatrix x, Matrix f, Activation activation, Matrix out) {
        String op = "featureMapSparse";
        finite(op, "scale", scale);
        operand(op, x, "x");
        operand(op, f, "f");
        operand(op, out, "out");
        requireNonNull(op, activation, "activation");
        if (x.dtype() != f.dtype() || f.dtype() != out.dtype()) {
            throw new IllegalArgumentException(op + ": operands must share one dtype, got x " + x.dtype()
                    + ", f " + f.dtype() + ", out " + out.dtype());
        }
        if (x.cols() != f.cols()) {
            throw new IllegalArgumentException(op + ": x is " + x.rows() + "x" + x.cols() + " and f is " + f.shape()
                    + "; both need the same number of columns (the input dimension M)");
        }
        requireShape(op, "out", out, x.rows(), f.rows(), "P x N = x.rows x f.rows");
        distinct(op, out, f);
        featureMapSparseK(scale, x, f, activation, out);
    }

    @Override
    public final void gramRows(double scale, Matrix a, Matrix b, Matrix out) {
        String op = "gramRows";
        finite(op, "scale", scale);
        operand(op, a, "a");
        operand(op, b, "b");
        operand(op, out, "out");
        sameDtype(op, a, b, out);
        if (a.cols() != b.cols()) {
            throw new IllegalArgumentException(op + ": a is " + a.shape() + " and b is " + b.shape()
                    + "; both need the same number of columns");
        }
        requireShape(op, "out", out, a.rows(), b.rows(), "a.rows x b.rows");
        distinct(op, out, a, b);
        gramRowsK(scale, a, b, a == b, out);
    }

    @Override
    public final void gramColumns(double scale, Matrix phi, double beta, Matrix out) {
        String op = "gramColumns";
        finite(op, "scale", scale);
        finite(op, "beta", beta);
        operand(op, phi, "phi");
        operand(op, out, "out");
        sameDtype(op, phi, out);
        requireShape(op, "out", out, phi.cols(), phi.cols(), "N x N with N = phi.cols");
        distinct(op, out, phi);
        gramColumnsK(scale, phi, beta, out);
    }

    // ---- BLAS-like -----------------------------------------------------------------------

    @Override
    public final void gemm(boolean transA, boolean transB, double alpha, Matrix a, Matrix b, double beta, Matrix c) {
        String op = "gemm";
        finite(op, "alpha", alpha);
        finite(op, "beta", beta);
        operand(op, a, "a");
        operand(op, b, "b");
        operand(op, c, "c");
        sameDtype(op, a, b, c);
        int m = transA ? a.cols() : a.rows();
        int ka = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (ka != kb) {
            throw new IllegalArgumentException(op + ": op(a) is " + m + "x" + ka + " (a " + a.shape()
                    + (transA ? ", transposed" : "") + ") but op(b) is " + kb + "x" + n + " (b " + b.shape()
                    + (transB ? ", transposed" : "") + "); inner dimensions must agree");
        }
        requireShape(op, "c", c, m, n, "rows of op(a) x columns of op(b)");
        distinct(op, c, a, b);
        gemmK(transA, transB, alpha, a, b, beta, c);
    }

    @Override
    public final void gemv(boolean trans, double alpha, Matrix a, Matrix x, double beta, Matrix y) {
        String op = "gemv";
        finite(op, "alpha", alpha);
        finite(op, "beta", beta);
        operand(op, a, "a");
        operand(op, x, "x");
        operand(op, y, "y");
        sameDtype(op, a, x, y);
        int m = trans ? a.cols() : a.rows();
        int k = trans ? a.rows() : a.cols();
        requireShape(op, "x", x, k, 1, "a column matching op(a) " + m + "x" + k);
        requireShape(op, "y", y, m, 1, "a column matching op(a) " + m + "x" + k);
        distinct(op, y, a, x);
        gemvK(trans, alpha, a, x, beta, y);
    }

    // ---- training ------------------------------------------------------------------------

    @Override
    public final GdResult gradientDescent(Matrix phi, Matrix y, Matrix w, double[] eta, GdOptions options) {
        String op = "gradientDescent";
        operand(op, phi, "phi");
        operand(op, y, "y");
        operand(op, w, "w");
        requireNonNull(op, eta, "eta");
        requireNonNull(op, options, "options");
        sameDtype(op, phi, y, w);
        if (phi.rows() < 1) {
            throw new IllegalArgumentException(op + ": phi is " + phi.shape() + "; it needs at least one row (sample)");
        }
        int k = w.cols();
        requireShape(op, "w", w, phi.cols(), k, "N x k with N = phi.cols");
        if (y.rows() != phi.rows() || (y.cols() != k && y.cols() != 1)) {
            throw new IllegalArgumentException(op + ": y is " + y.shape() + " but must be " + phi.rows() + "x" + k
                    + " or " + phi.rows() + "x1 (P x k, or one target shared by the k right-hand sides)");
        }
        distinct(op, w, phi, y);
        double[] etas = expand(op, "eta", eta, k);
        for (int j = 0; j < k; j++) {
            if (!(etas[j] >= 0) || Double.isInfinite(etas[j])) {
                throw new IllegalArgumentException(op + ": eta[" + j + "] = " + etas[j] + " must be finite and >= 0");
            }
        }
        return gradientDescentK(phi, y, w, etas, options);
    }

    @Override
    public final double lambdaMax(Matrix phi, LambdaMaxOptions options) {
        String op = "lambdaMax";
        operand(op, phi, "phi");
        requireNonNull(op, options, "options");
        if (phi.rows() < 1) {
            throw new IllegalArgumentException(op + ": phi is " + phi.shape() + "; it needs at least one row (sample)");
        }
        if (phi.cols() == 0) {
            return 0.0;
        }
        return lambdaMaxK(phi, options);
    }

    @Override
    public final void ridgeSolve(Matrix phi, Matrix y, double ridge, Matrix w) {
        String op = "ridgeSolve";
        operand(op, phi, "phi");
        operand(op, y, "y");
        operand(op, w, "w");
        finite(op, "ridge", ridge);
        if (ridge < 0) {
            throw new IllegalArgumentException(op + ": ridge = " + ridge + " must be >= 0");
        }
        sameDtype(op, phi, y, w);
        if (phi.rows() < 1) {
            throw new IllegalArgumentException(op + ": phi is " + phi.shape() + "; it needs at least one row (sample)");
        }
        requireShape(op, "y", y, phi.rows(), y.cols(), "P x k with P = phi.rows");
        requireShape(op, "w", w, phi.cols(), y.cols(), "N x k with N = phi.cols and k = y.cols");
        distinct(op, w, phi, y);
        ridgeSolveK(phi, y, ridge, w);
    }

    // ---- reductions ----------------------------------------------------------------------

    @Override
    public final double dot(Matrix a, Matrix b) {
        operand("dot", a, "a");
        operand("dot", b, "b");
        sameDtype("dot", a, b);
        requireShape("dot", "b", b, a.rows(), a.cols(), "the shape of a");
        return dotK(a, b);
    }

    @Override
    public final double norm(Matrix a) {
        operand("norm", a, "a");
        return normK(a);
    }

    @Override
    public final double[] meanSquaredError(Matrix prediction, Matrix target) {
        String op = "meanSquaredError";
        operand(op, prediction, "prediction");
        operand(op, target, "target");
        sameDtype(op, prediction, target);
        if (prediction.rows() < 1) {
            throw new IllegalArgumentException(op + ": prediction is " + prediction.shape() + "; it needs at least one row");
        }
        if (target.rows() != prediction.rows() || (target.cols() != prediction.cols() && target.cols() != 1)) {
            throw new IllegalArgumentException(op + ": target is " + target.shape() + " but must be "
                    + prediction.shape() + " or " + prediction.rows() + "x1");
        }
        return meanSquaredErrorK(prediction, target);
    }

    // ---- lifecycle -----------------------------------------------------------------------

    @Override
    public final void sync() {
        checkOpen("sync");
        syncK();
    }

    @Override
    public final void close() {
        if (closed) {
            return;
        }
        List<Allocation> open = new ArrayList<>(live);
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        closed = true;
        closeK();
    }

    public final boolean isClosed() {
        return closed;
    }

    // ---- kernels -------------------------------------------------------------------------

    protected abstract Matrix allocateK(int rows, int cols, DType dtype);

    protected abstract Matrix uploadK(float[] data, int rows, int cols);

    protected abstract Matrix uploadK(double[] data, int rows, int cols, DType dtype);

    protected abstract SparseMatrix uploadK(Csr csr, DType dtype);

    protected abstract void downloadK(Matrix src, float[] dst);

    protected abstract void downloadK(Matrix src, double[] dst);

    protected abstract void fillGaussianK(Matrix out, RandomStream rs, double mean, double std);

    protected abstract void fillUniformK(Matrix out, RandomStream rs, double lo, double hi);

    protected abstract void scaleColumnsK(Matrix a, double[] factors);

    protected abstract void featureMapK(double scale, Matrix x, Matrix f, Activation activation, Matrix out);

    protected abstract void featureMapSparseK(double scale, SparseMatrix x, Matrix f, Activation activation, Matrix out);

    /** @param symmetric a and b are the same matrix: compute one triangle and mirror it */
    protected abstract void gramRowsK(double scale, Matrix a, Matrix b, boolean symmetric, Matrix out);

    /** @param beta 0: out is not read; otherwise only its upper triangle is read */
    protected abstract void gramColumnsK(double scale, Matrix phi, double beta, Matrix out);

    protected abstract void gemmK(boolean transA, boolean transB, double alpha, Matrix a, Matrix b, double beta, Matrix c);

    protected abstract void gemvK(boolean trans, double alpha, Matrix a, Matrix x, double beta, Matrix y);

    /** @param eta one learning rate per column of w */
    protected abstract GdResult gradientDescentK(Matrix phi, Matrix y, Matrix w, double[] eta, GdOptions options);

    /** Called with phi.rows ≥ 1 and phi.cols ≥ 1. */
    protected abstract double lambdaMaxK(Matrix phi, LambdaMaxOptions options);

    protected abstract void ridgeSolveK(Matrix phi, Matrix y, double ridge, Matrix w);

    protected abstract double dotK(Matrix a, Matrix b);

    protected abstract double normK(Matrix a);

    protected abstract double[] meanSquaredErrorK(Matrix prediction, Matrix target);

    protected void syncK() {
    }

    /** Called once, after every allocation was closed. */
    protected void closeK() {
    }

    // ---- bookkeeping ---------------------------------------------------------------------

    private <A extends Allocation> A track(A allocation) {
        live.add(allocation);
        return allocation;
    }

    final void released(Allocation allocation) {
        live.remove(allocation);
    }

    // ---- checks --------------------------------------------------------------------------

    private void checkOpen(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": this " + info().id() + " backend is closed");
        }
    }

    private void operand(String op, Allocation a, String name) {
        checkOpen(op);
        requireNonNull(op, a, name);
        if (a.owner() != this) {
            throw new IllegalArgumentException(op + ": " + name + " (" + a.describe() + ") belongs to the "
                    + a.owner().info().id() + " backend, not to this " + info().id()
                    + " backend; download it and upload it here");
        }
        if (a.isClosed()) {
            throw new IllegalStateException(op + ": " + name + " (" + a.describe() + ") is closed");
        }
    }

    private static void requireNonNull(String op, Object value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(op + ": " + name + " must not be null");
        }
    }

    private static void finite(String op, String name, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(op + ": " + name + " must be finite, got " + value);
        }
    }

    private static void checkShape(String op, int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException(op + ": shape must be non-negative, got " + rows + "x" + cols);
        }
    }

    private static void checkLength(String op, int length, int rows, int cols) {
        if (length != (long) rows * cols) {
            throw new IllegalArgumentException(op + ": array has " + length + " elements but the matrix is "
                    + rows + "x" + cols + " = " + (long) rows * cols);
        }
    }

    private static void sameDtype(String op, Matrix first, Matrix... others) {
        for (Matrix m : others) {
            if (m.dtype() != first.dtype()) {
                throw new IllegalArgumentException(op + ": operands must share one dtype, got " + first.describe()
                        + " and " + m.describe());
            }
        }
    }

    private static void requireShape(String op, String name, Matrix m, int rows, int cols, String expected) {
        if (m.rows() != rows || m.cols() != cols) {
            throw new IllegalArgumentException(op + ": " + name + " is " + m.shape() + " but must be " + rows + "x"
                    + cols + " (" + expected + ")");
        }
    }

    private static void distinct(String op, Matrix out, Matrix... inputs) {
        for (Matrix in : inputs) {
            if (in == out) {
                throw new IllegalArgumentException(op + ": the output must not be one of the inputs ("
                        + out.describe() + " is both)");
            }
        }
    }

    private static double[] expand(String op, String name, double[] values, int k) {
        if (values.length == k) {
            return values.clone();
        }
        if (values.length == 1) {
            double[] all = new double[k];
            java.util.Arrays.fill(all, values[0]);
            return all;
        }
        throw new IllegalArgumentException(op + ": " + name + " has " + values.length + " entries; expected " + k
                + " (one per right-hand side) or 1 (shared)");
    }
}
