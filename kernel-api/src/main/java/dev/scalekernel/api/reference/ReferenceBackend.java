package dev.scalekernel.api.reference;

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
import dev.scalekernel.api.host.HostSparseMatrix;
import dev.scalekernel.api.random.Philox;

import java.util.Arrays;

/**
 * The oracle: every operation as plain loops, single-threaded, accumulating in double and rounding
 * once to the dtype when a result is stored. Written to be obviously right, not fast; the other
 * backends are tested against it and benchmarked beside it.
 */
public final class ReferenceBackend extends HostBackend {

    private final BackendInfo info;

    public ReferenceBackend(BackendOptions options) {
        this.info = new BackendInfo("reference", "plain Java loops, double accumulation, 1 thread", 1, options);
    }

    @Override
    public BackendInfo info() {
        return info;
    }

    // ---- random --------------------------------------------------------------------------

    @Override
    protected void fillGaussianK(Matrix out, RandomStream rs, double mean, double std) {
        HostMatrix o = host(out);
        boolean f32 = o.dtype() == DType.F32;
        for (long i = 0; i < o.size(); i++) {
            double z = Philox.normal(rs, i, f32);
            o.set(i, f32 ? Math.fma((float) std, (float) z, (float) mean) : Math.fma(std, z, mean));
        }
    }

    @Override
    protected void fillUniformK(Matrix out, RandomStream rs, double lo, double hi) {
        HostMatrix o = host(out);
        boolean f32 = o.dtype() == DType.F32;
        for (long i = 0; i < o.size(); i++) {
            long e = rs.offset() + i;
            if (f32) {
                float u = Philox.uniformF32(rs.seed(), rs.stream(), e);
                o.set(i, Math.fma((float) hi - (float) lo, u, (float) lo));
            } else {
                double u = Philox.uniformF64(rs.seed(), rs.stream(), e);
                o.set(i, Math.fma(hi - lo, u, lo));
            }
        }
    }

    // ---- element-wise --------------------------------------------------------------------

    @Override
    protected void scaleColumnsK(Matrix a, double[] factors) {
        HostMatrix m = host(a);
        for (int i = 0; i < m.rows(); i++) {
            for (int j = 0; j < m.cols(); j++) {
                m.set(i, j, m.get(i, j) * factors[j]);
            }
        }
    }

    // ---- feature maps and Grams ------------------------------------------------------------

    @Override
    protected void featureMapK(double scale, Matrix x, Matrix f, Activation activation, Matrix out) {
        HostMatrix xs = host(x);
        HostMatrix fs = host(f);
        HostMatrix o = host(out);
        for (int i = 0; i < xs.rows(); i++) {
            for (int j = 0; j < fs.rows(); j++) {
                double z = 0;
                for (int m = 0; m < xs.cols(); m++) {
                    z += xs.get(i, m) * fs.get(j, m);
                }
                o.set(i, j, activation.apply(scale * z));
            }
        }
    }

    @Override
    protected void featureMapSparseK(double scale, SparseMatrix x, Matrix f, Activation activation, Matrix out) {
        HostSparseMatrix xs = host(x);
        HostMatrix fs = host(f);
        HostMatrix o = host(out);
        for (int i = 0; i < xs.rows(); i++) {
            for (int j = 0; j < fs.rows(); j++) {
                double z = 0;
                for (int k = xs.rowStart()[i]; k < xs.rowStart()[i + 1]; k++) {
                    z += xs.values()[k] * fs.get(j, xs.columns()[k]);
                }
                o.set(i, j, activation.apply(scale * z));
            }
        }
    }

    @Override
    protected void gramRowsK(double scale, Matrix a, Matrix b, boolean symmetric, Matrix out) {
        HostMatrix as = host(a);
        HostMatrix bs = host(b);
        HostMatrix o = host(out);
        for (int i = 0; i < as.rows(); i++) {
            for (int j = symmetric ? i : 0; j < bs.rows(); j++) {
                double s = 0;
                for (int k = 0; k < as.cols(); k++) {
                    s += as.get(i, k) * bs.get(j, k);
                }
                o.set(i, j, scale * s);
                if (symmetric) {
                    o.set(j, i, scale * s);
                }
            }
        }
    }

    @Override
    protected void gramColumnsK(double scale, Matrix phi, double beta, Matrix out) {
        HostMatrix p = host(phi);
        HostMatrix o = host(out);
        for (int j = 0; j < p.cols(); j++) {
            for (int l = j; l < p.cols(); l++) {
                double s = 0;
                for (int i = 0; i < p.rows(); i++) {
                    s += p.get(i, j) * p.get(i, l);
                }
                double v = beta == 0 ? scale * s : scale * s + beta * o.get(j, l);
                o.set(j, l, v);
                o.set(l, j, v);
            }
        }
    }

    // ---- BLAS-like -----------------------------------------------------------------------

    @Override
    protected void gemmK(boolean transA, boolean transB, double alpha, Matrix a, Matrix b, double beta, Matrix c) {
        HostMatrix as = host(a);
        HostMatrix bs = host(b);
        HostMatrix cs = host(c);
        int k = transA ? as.rows() : as.cols();
        for (int i = 0; i < cs.rows(); i++) {
            for (int j = 0; j < cs.cols(); j++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    s += (transA ? as.get(l, i) : as.get(i, l)) * (transB ? bs.get(j, l) : bs.get(l, j));
                }
                cs.set(i, j, beta == 0 ? alpha * s : alpha * s + beta * cs.get(i, j));
            }
        }
    }

    @Override
    protected void gemvK(boolean trans, double alpha, Matrix a, Matrix x, double beta, Matrix y) {
        HostMatrix as = host(a);
        HostMatrix xs = host(x);
        HostMatrix ys = host(y);
        int k = trans ? as.rows() : as.cols();
        for (int i = 0; i < ys.rows(); i++) {
            double s = 0;
            for (int l = 0; l < k; l++) {
                s += (trans ? as.get(l, i) : as.get(i, l)) * xs.get(l);
            }
            ys.set(i, beta == 0 ? alpha * s : alpha * s + beta * ys.get(i));
        }
    }

    // ---- training ------------------------------------------------------------------------

    @Override
    protected GdResult gradientDescentK(Matrix phi, Matrix y, Matrix w, double[] eta, GdOptions options) {
        HostMatrix p = host(phi);
        HostMatrix ys = host(y);
        HostMatrix ws = host(w);
        int rows = p.rows();
        int n = p.cols();
        int k = ws.cols();
        double[][] losses = new double[k][options.records()];
        long[] divergedStep = new long[k];
        Arrays.fill(divergedStep, -1);
        double[] initialLoss = new double[k];
        double[] r = new double[rows];
        for (int j = 0; j < k; j++) {
            int yc = ys.cols() == 1 ? 0 : j;
            int next = 0;
            for (long t = 0; t <= options.steps(); t++) {
                // residual and loss of w_t
                double loss = 0;
                for (int i = 0; i < rows; i++) {
                    double f = 0;
                    for (int l = 0; l < n; l++) {
                        f += p.get(i, l) * ws.get(l, j);
                    }
                    r[i] = f - ys.get(i, yc);
                    loss += r[i] * r[i];
                }
                loss /= rows;
                if (t == 0) {
                    initialLoss[j] = loss;
                }
                if (next < options.records() && options.recordStep(next) == t) {
                    losses[j][next++] = loss;
                }
                if (!Double.isFinite(loss) || (initialLoss[j] > 0 && loss > options.divergenceFactor() * initialLoss[j])) {
                    divergedStep[j] = t;
                    break;
                }
                if (t == options.steps()) {
                    break;
                }
                // w ← w − (η/P)·Φᵀr
                for (int l = 0; l < n; l++) {
                    double g = 0;
                    for (int i = 0; i < rows; i++) {
                        g += p.get(i, l) * r[i];
                    }
                    ws.set(l, j, ws.get(l, j) - eta[j] / rows * g);
                }
            }
            for (; next < options.records(); next++) {
                losses[j][next] = Double.NaN;
            }
        }
        return new GdResult(options.recordAt(), losses, divergedStep);
    }

    @Override
    protected double lambdaMaxK(Matrix phi, LambdaMaxOptions options) {
        HostMatrix p = host(phi);
        int rows = p.rows();
        int cols = p.cols();
        boolean featureSide = cols <= rows; // iterate in the smaller dimension
        int dim = featureSide ? cols : rows;
        double[] tmp = new double[featureSide ? rows : cols];
        return Lanczos.largestEigenvalue(dim, options, (v, out) -> {
            // featureSide: out = Φᵀ(Φv)/P;  otherwise out = Φ(Φᵀv)/P
            int inner = tmp.length;
            for (int a = 0; a < inner; a++) {
                double s = 0;
                for (int b = 0; b < dim; b++) {
                    s += (featureSide ? p.get(a, b) : p.get(b, a)) * v[b];
                }
                tmp[a] = s;
            }
            for (int b = 0; b < dim; b++) {
                double s = 0;
                for (int a = 0; a < inner; a++) {
                    s += (featureSide ? p.get(a, b) : p.get(b, a)) * tmp[a];
                }
                out[b] = s / rows;
            }
        });
    }

    @Override
    protected void ridgeSolveK(Matrix phi, Matrix y, double ridge, Matrix w) {
        HostMatrix p = host(phi);
        HostMatrix ys = host(y);
        HostMatrix ws = host(w);
        int rows = p.rows();
        int n = p.cols();
        int k = ys.cols();
        boolean featureSide = n <= rows;
        int dim = featureSide ? n : rows;
        double[][] g = new double[dim][dim];
        for (int a = 0; a < dim; a++) {
            for (int b = 0; b <= a; b++) {
                double s = 0;
                if (featureSide) {
                    for (int i = 0; i < rows; i++) {
                        s += p.get(i, a) * p.get(i, b);
                    }
                } else {
                    for (int l = 0; l < n; l++) {
                        s += p.get(a, l) * p.get(b, l);
                    }
                }
                g[a][b] = s;
                g[b][a] = s;
            }
            g[a][a] += ridge * rows;
        }
        double[][] rhs = new double[dim][k];
        for (int a = 0; a < dim; a++) {
            for (int j = 0; j < k; j++) {
                if (featureSide) {
                    double s = 0;
                    for (int i = 0; i < rows; i++) {
                        s += p.get(i, a) * ys.get(i, j);
                    }
                    rhs[a][j] = s;
                } else {
                    rhs[a][j] = ys.get(a, j);
                }
            }
        }
        Cholesky.solveInPlace(g, rhs, featureSide ? "N x N system PhiT Phi + ridge P I" : "P x P system Phi PhiT + ridge P I");
        for (int l = 0; l < n; l++) {
            for (int j = 0; j < k; j++) {
                if (featureSide) {
                    ws.set(l, j, rhs[l][j]);
                } else {
                    double s = 0;
                    for (int i = 0; i < rows; i++) {
                        s += p.get(i, l) * rhs[i][j];
                    }
                    ws.set(l, j, s);
                }
            }
        }
    }

    // ---- reductions ----------------------------------------------------------------------

    @Override
    protected double dotK(Matrix a, Matrix b) {
        HostMatrix as = host(a);
        HostMatrix bs = host(b);
        double s = 0;
        for (long i = 0; i < as.size(); i++) {
            s += as.get(i) * bs.get(i);
        }
        return s;
    }

    @Override
    protected double normK(Matrix a) {
        HostMatrix as = host(a);
        double max = 0;
        for (long i = 0; i < as.size(); i++) {
            max = Math.max(max, Math.abs(as.get(i)));
        }
        if (max == 0 || !Double.isFinite(max)) {
            return max;
        }
        double s = 0;
        for (long i = 0; i < as.size(); i++) {
            double v = as.get(i) / max;
            s += v * v;
        }
        return max * Math.sqrt(s);
    }

    @Override
    protected double[] meanSquaredErrorK(Matrix prediction, Matrix target) {
        HostMatrix ps = host(prediction);
        HostMatrix ts = host(target);
        double[] mse = new double[ps.cols()];
        for (int j = 0; j < ps.cols(); j++) {
            int tc = ts.cols() == 1 ? 0 : j;
            double s = 0;
            for (int i = 0; i < ps.rows(); i++) {
                double d = ps.get(i, j) - ts.get(i, tc);
                s += d * d;
            }
            mse[j] = s / ps.rows();
        }
        return mse;
    }
}
