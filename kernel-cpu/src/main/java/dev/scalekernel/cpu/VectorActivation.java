package dev.scalekernel.cpu;

import dev.scalekernel.api.Activation;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * tanh and erf on vectors, in double, for the fused feature-map epilogues of both dtypes (fp32
 * lanes are widened exactly, evaluated in double and rounded once, so fp32 results are within
 * about half an fp32 ulp).
 *
 * <p><b>Determinism.</b> Only lanewise +, −, ×, ÷, fma, min, abs, comparisons, blends and exact
 * bit manipulation are used; no {@code VectorOperators.TANH/EXP}, which C2 compiles to SVML
 * calls whose results differ from the interpreter's Java fallback, and no cross-lane operations.
 * Each of these operations is correctly rounded (or exact) in the fallback and in C2 code alike,
 * so a lane's result depends only on its argument: the same bits for any thread count, lane
 * position, JIT state and masked or full vector. Multiply–adds follow {@code BackendOptions.fma}
 * (fused or not), like every other kernel.
 *
 * <p><b>Passes.</b> A run of values is processed in chunks of {@link #CHUNK} copied into
 * per-worker buffers, and each function is a few passes over the chunk (the argument of exp,
 * exp, the rationals, the combination), each a loop of at most ~30 vector operations that calls
 * no method of ours with a vector. Written as one method with helpers (~100 operations for erf),
 * the compilation exceeded C2's inlining node budget (NodeCountInliningCutoff), the helpers were
 * left as calls and every vector crossing them was boxed on the heap: tanh and erf ran 2.3 and
 * 3 times slower than these passes through L1.
 *
 * <p><b>Accuracy</b> (fp64, checked by {@code VectorActivationTest} against a 90-digit oracle):
 * within 2 ulps, the budget the conformance suite's {@code Activation.ulps()} of 4 leaves room
 * for; measured at most 1.3 ulps for tanh and 0.9 for erf, with and without FMA.
 */
final class VectorActivation {
    private static final VectorSpecies<Double> S = Species.F64;
    private static final int L = S.length();
    private static final VectorSpecies<Float> H = Species.F32_FOR_F64;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final long SIGN = Long.MIN_VALUE;

    /**
     * Values per chunk: the four buffers of 256 doubles (8 KiB) stay in L1 from one pass to the
     * next, and a chunk is long enough that each pass's loop overhead is small.
     */
    static final int CHUNK = 256;

    // exp: Cephes exp.c (S. L. Moshier, Cephes Math Library): e^r = 1 + 2r·P(r²)/(Q(r²) − r·P(r²))
    // for |r| ≤ ln2/2, after x = k·ln2 + r; peak relative error 2.2e-16 (its documentation).
    private static final double LOG2E = 1.4426950408889634073599;
    /** ln 2 split so that k·LN2_HI is exact (LN2_HI has 16 significant bits) and x − k·LN2_HI too (Sterbenz). */
    private static final double LN2_HI = 6.93145751953125E-1;
    private static final double LN2_LO = 1.42860682030941723212E-6;
    /** P, highest degree first, as every coefficient array here. */
    private static final double[] EXP_P = {1.26177193074810590878E-4, 3.02994407707441961300E-2,
        9.99999999999999999910E-1};
    private static final double[] EXP_Q = {3.00198505138664455042E-6, 2.52448340349684104192E-3,
        2.27265548208155028766E-1, 2.00000000000000000009E0};
    /**
     * 1.5·2^52: for |t| &lt; 2^51, t + ROUNDER rounds t to an integer k and holds it in the low
     * mantissa bits, from which 2^k is built with integer operations only (a double-to-long
     * conversion would differ between C2 and the Java fallback outside the long range).
     */
    private static final double ROUNDER = 0x1.8p52;

    // tanh: Cephes tanh.c: tanh x = x + x·s·P(s)/Q(s), s = x², for |x| < 0.625 (where 1 − 2/(e^2x + 1)
    // would lose relative accuracy to cancellation), else 1 − 2/(e^2|x| + 1) with the sign of x.
    private static final double TANH_SMALL = 0.625;
    /**
     * Beyond 22, 2/(e^44 + 1) ≈ 1.6e-19 is far below half an ulp of 1: tanh is ±1 in double (and
     * exp cannot overflow).
     */
    private static final double TANH_SATURATED = 22;
    private static final double[] TANH_P = {-9.64399179425052238628E-1, -9.92877231001918586564E1,
        -1.61468768441708447952E3};
    private static final double[] TANH_Q = {1, 1.12811678491632931402E2, 2.23548839060100448583E3,
        4.84406305325125486048E3};

    // erf: FDLIBM 5.3 s_erf.c (Sun Microsystems, 1993; the erf of FreeBSD's msun, musl and Go's
    // math.Erf), coefficients as there (checked against its hex bit patterns). Each range adds a
    // small rational correction to an exact leading term, so the correction's rounding errors
    // are damped (by 8 to 13 times):
    //   |x| < 0.84375:           erf x = x + x·PP(x²)/QQ(x²)           |PP/QQ − (erf x − x)/x| ≤ 2^-57.90
    //   0.84375 ≤ |x| < 1.25:    erf x = ERX + PA(s)/QA(s), s = |x| − 1  |PA/QA| < 0.078, error ≤ 2^-59.06
    //   1.25 ≤ |x| < 1/0.35:     erfc x = e^{−x² − 0.5625 + RA(z)/SA(z)} / x, z = 1/x²    (≤ 2^-62.57)
    //   1/0.35 ≤ |x| < 6:        the same with RB/SB                                       (≤ 2^-61.52)
    // and erf = 1 − erfc ≥ 0.92 in the last two. FDLIBM splits x² = x_hi² + δ to keep e^{-x²} to an
    // ulp for erfc; erf does not need it: the relative error x²·u/2 of e^{-x²} is multiplied by
    // erfc x / erf x, and x²·erfc x ≤ 0.12 for x ≥ 1.25, a tenth of an ulp.
    // W. J. Cody's rational approximations (Math. Comp. 23, 1969), also accurate to ~1e-18 as
    // approximations, were tried first: their degree-8 rationals are the whole of erfc, with no
    // exact leading term, and evaluated in double they reached 2.45 ulps without FMA.
    private static final double ERF_MIDDLE = 0.84375;
    private static final double ERF_TAIL = 1.25;
    /** Where FDLIBM switches from RA/SA to RB/SB. */
    private static final double ERF_FAR_TAIL = 1 / 0.35;
    /** erfc 6 ≈ 2.2e-17 is below half an ulp of 1: erf is ±1 in double from here on (and x is clamped here). */
    private static final double ERF_SATURATED = 6;
    /** erf(1) rounded to 24 bits, the leading term of the middle range. */
    private static final double ERX = 8.45062911510467529297e-01;
    private static final double[] ERF_PP = {-2.37630166566501626084e-05, -5.77027029648944159157e-03,
        -2.84817495755985104766e-02, -3.25042107247001499370e-01, 1.28379167095512558561e-01};
    private static final double[] ERF_QQ = {-3.96022827877536812320e-06, 1.32494738004321644526e-04,
        5.08130628187576562776e-03, 6.50222499887672944485e-02, 3.97917223959155352819e-01, 1};
    private static final double[] ERF_PA = {-2.16637559486879084300e-03, 3.54783043256182359371e-02,
        -1.10894694282396677476e-01, 3.18346619901161753674e-01, -3.72207876035701323847e-01,
        4.14856118683748331666e-01, -2.36211856075265944077e-03};
    private static final double[] ERF_QA = {1.19844998467991074170e-02, 1.36370839120290507362e-02,
        1.26171219808761642112e-01, 7.18286544141962662868e-02, 5.40397917702171048937e-01,
        1.06420880400844228286e-01, 1};
    private static final double[] ERFC_RA = {-9.81432934416914548592e+00, -8.12874355063065934246e+01,
        -1.84605092906711035994e+02, -1.62396669462573470355e+02, -6.23753324503260060396e+01,
        -1.05586262253232909814e+01, -6.93858572707181764372e-01, -9.86494403484714822705e-03};
    private static final double[] ERFC_SA = {-6.04244152148580987438e-02, 6.57024977031928170135e+00,
        1.08635005541779435134e+02, 4.29008140027567833386e+02, 6.45387271733267880336e+02,
        4.34565877475229228821e+02, 1.37657754143519042600e+02, 1.96512716674392571292e+01, 1};
    private static final double[] ERFC_RB = {-4.83519191608651397019e+02, -1.02509513161107724954e+03,
        -6.37566443368389627722e+02, -1.60636384855821916062e+02, -1.77579549177547519889e+01,
        -7.99283237680523006574e-01, -9.86494292470009928597e-03};
    private static final double[] ERFC_SB = {-2.24409524465858183362e+01, 4.74528541206955367215e+02,
        2.55305040643316442583e+03, 3.19985821950859553908e+03, 1.53672958608443695994e+03,
        3.25792512996573918826e+02, 3.03380607434824582924e+01, 1};

    private VectorActivation() {
    }

    /** Whether σ is evaluated here (tanh, erf) rather than inline (identity, relu). */
    static boolean handles(Activation act) {
        return act == Activation.TANH || act == Activation.ERF;
    }

    /** One worker's buffers: the chunk being evaluated and three intermediate values per element. */
    static final class Scratch {
        final double[] x = new double[CHUNK];
        final double[] t1 = new double[CHUNK];
        final double[] t2 = new double[CHUNK];
        final double[] t3 = new double[CHUNK];
    }

    /** c[i] ← σ(c[i]) for the count fp64 values from byte {@code at}; σ is tanh or erf. */
    static void applyF64(Activation act, boolean fma, MemorySegment c, long at, int count, Scratch s) {
        for (int j = 0; j < count; j += CHUNK) {
            int n = Math.min(CHUNK, count - j);
            long e = at + (long) j * Double.BYTES;
            MemorySegment.copy(c, ValueLayout.JAVA_DOUBLE, e, s.x, 0, n);
            Arrays.fill(s.x, n, roundUp(n), 0); // the passes run whole vectors; the extra lanes are dropped
            evaluate(act, fma, roundUp(n), s);
            MemorySegment.copy(s.x, 0, c, ValueLayout.JAVA_DOUBLE, e, n);
        }
    }

    /**
     * c[i] ← σ(c[i]) for the count fp32 values from byte {@code at}: each group of F64-lane-count
     * floats is widened to double (exactly), evaluated, and rounded back once.
     */
    static void applyF32(Activation act, boolean fma, MemorySegment c, long at, int count, Scratch s) {
        for (int j = 0; j < count; j += CHUNK) {
            int n = Math.min(CHUNK, count - j);
            long e = at + (long) j * Float.BYTES;
            for (int i = 0; i < n; i += L) {
                VectorMask<Float> m = H.indexInRange(i, n);
                ((DoubleVector) FloatVector.fromMemorySegment(H, c, e + (long) i * Float.BYTES, NATIVE, m)
                        .convertShape(VectorOperators.F2D, S, 0)).intoArray(s.x, i);
            }
            evaluate(act, fma, roundUp(n), s);
            for (int i = 0; i < n; i += L) {
                VectorMask<Float> m = H.indexInRange(i, n);
                ((FloatVector) DoubleVector.fromArray(S, s.x, i).convertShape(VectorOperators.D2F, H, 0))
                        .intoMemorySegment(c, e + (long) i * Float.BYTES, NATIVE, m);
            }
        }
    }

    /** s.x[0..n) ← σ(s.x[0..n)), n a multiple of the lane count. */
    private static void evaluate(Activation act, boolean fma, int n, Scratch s) {
        if (act == Activation.TANH) {
            tanhExpArgument(n, s.x, s.t1);
            exp(fma, n, s.t1);
            tanhCombine(fma, n, s.x, s.t1);
        } else {
            erfInner(fma, n, s.x, s.t1, s.t2);
            erfMiddle(fma, n, s.x, s.t1, s.t2);
            if (erfTail(fma, n, s.x, s.t1, s.t2, s.t3)) {
                erfFarTail(fma, n, s.x, s.t1, s.t2);
            }
            erfQuotient(n, s.x, s.t1, s.t2);
            exp(fma, n, s.t2);
            erfCombine(fma, n, s.x, s.t1, s.t2, s.t3);
        }
    }

    private static int roundUp(int n) {
        return (n + L - 1) / L * L;
    }

    // Every pass below is self-contained: only Vector API calls (which C2 always inlines) touch
    // vectors, so that however the pass is inlined into its callers, no vector is ever boxed.
    // Polynomials are Horner loops p ← p·x + c over coefficients held highest degree first.

    // ---- tanh: Cephes below 0.625, else 1 − 2/(e^{2|x|} + 1); the sign of x restored exactly ----

    /** arg[i] = 2·min(|x[i]|, 22), the argument of e^{2|x|}. */
    private static void tanhExpArgument(int n, double[] x, double[] arg) {
        for (int i = 0; i < n; i += L) {
            DoubleVector.fromArray(S, x, i).abs().min(TANH_SATURATED).mul(2).intoArray(arg, i);
        }
    }

    /**
     * x[i] ← tanh x[i] given e[i] = e^{2|x[i]|}. One division serves both ranges: a·s·P(s) / Q(s)
     * below 0.625 (s = a², a = |x|), 2 / (e + 1) above.
     */
    private static void tanhCombine(boolean fma, int n, double[] x, double[] e) {
        for (int i = 0; i < n; i += L) {
            DoubleVector xv = DoubleVector.fromArray(S, x, i);
            DoubleVector a = xv.abs();
            VectorMask<Double> small = a.compare(VectorOperators.LT, TANH_SMALL);
            DoubleVector s = a.mul(a);
            DoubleVector p = DoubleVector.broadcast(S, TANH_P[0]);
            for (int k = 1; k < TANH_P.length; k++) {
                p = fma ? p.lanewise(VectorOperators.FMA, s, TANH_P[k]) : p.mul(s).add(TANH_P[k]);
            }
            DoubleVector q = DoubleVector.broadcast(S, TANH_Q[0]);
            for (int k = 1; k < TANH_Q.length; k++) {
                q = fma ? q.lanewise(VectorOperators.FMA, s, TANH_Q[k]) : q.mul(s).add(TANH_Q[k]);
            }
            q = DoubleVector.fromArray(S, e, i).add(1).blend(q, small);
            q = DoubleVector.broadcast(S, 2).blend(a.mul(s).mul(p), small).div(q);
            DoubleVector t = DoubleVector.broadcast(S, 1).sub(q).blend(a.add(q), small);
            t.reinterpretAsLongs().or(xv.reinterpretAsLongs().and(SIGN)).reinterpretAsDoubles().intoArray(x, i);
        }
    }

    // ---- erf: FDLIBM's ranges; each lane needs one of three rationals, divided once -------

    /** num/den ← PP(s)/QQ(s) where |x| &lt; 0.84375 (s = x²), else 0/1. */
    private static void erfInner(boolean fma, int n, double[] x, double[] num, double[] den) {
        for (int i = 0; i < n; i += L) {
            DoubleVector a = DoubleVector.fromArray(S, x, i).abs();
            VectorMask<Double> inner = a.compare(VectorOperators.LT, ERF_MIDDLE);
            DoubleVector p = DoubleVector.zero(S);
            DoubleVector q = DoubleVector.broadcast(S, 1);
            if (inner.anyTrue()) {
                DoubleVector s = a.mul(a);
                DoubleVector pp = DoubleVector.broadcast(S, ERF_PP[0]);
                for (int k = 1; k < ERF_PP.length; k++) {
                    pp = fma ? pp.lanewise(VectorOperators.FMA, s, ERF_PP[k]) : pp.mul(s).add(ERF_PP[k]);
                }
                DoubleVector qq = DoubleVector.broadcast(S, ERF_QQ[0]);
                for (int k = 1; k < ERF_QQ.length; k++) {
                    qq = fma ? qq.lanewise(VectorOperators.FMA, s, ERF_QQ[k]) : qq.mul(s).add(ERF_QQ[k]);
                }
                p = p.blend(pp, inner);
                q = q.blend(qq, inner);
            }
            p.intoArray(num, i);
            q.intoArray(den, i);
        }
    }

    /** num/den ← PA(m)/QA(m), m = |x| − 1, where 0.84375 ≤ |x| &lt; 1.25, and where x is NaN. */
    private static void erfMiddle(boolean fma, int n, double[] x, double[] num, double[] den) {
        for (int i = 0; i < n; i += L) {
            DoubleVector a = DoubleVector.fromArray(S, x, i).abs();
            VectorMask<Double> middle = a.compare(VectorOperators.LT, ERF_MIDDLE)
                    .or(a.compare(VectorOperators.GE, ERF_TAIL)).not();
            if (middle.anyTrue()) {
                DoubleVector m = a.sub(1);
                DoubleVector pa = DoubleVector.broadcast(S, ERF_PA[0]);
                for (int k = 1; k < ERF_PA.length; k++) {
                    pa = fma ? pa.lanewise(VectorOperators.FMA, m, ERF_PA[k]) : pa.mul(m).add(ERF_PA[k]);
                }
                DoubleVector qa = DoubleVector.broadcast(S, ERF_QA[0]);
                for (int k = 1; k < ERF_QA.length; k++) {
                    qa = fma ? qa.lanewise(VectorOperators.FMA, m, ERF_QA[k]) : qa.mul(m).add(ERF_QA[k]);
                }
                DoubleVector.fromArray(S, num, i).blend(pa, middle).intoArray(num, i);
                DoubleVector.fromArray(S, den, i).blend(qa, middle).intoArray(den, i);
            }
        }
    }

    /**
     * num/den ← RA(z)/SA(z), z = 1/a², a = min(|x|, 6), and inverse ← 1/a = a·z, where |x| ≥ 1.25.
     * Returns whether some lane is at or beyond 1/0.35, where RB/SB take over.
     */
    private static boolean erfTail(boolean fma, int n, double[] x, double[] num, double[] den, double[] inverse) {
        boolean far = false;
        for (int i = 0; i < n; i += L) {
            DoubleVector a = DoubleVector.fromArray(S, x, i).abs().min(ERF_SATURATED);
            VectorMask<Double> tail = a.compare(VectorOperators.GE, ERF_TAIL);
            if (tail.anyTrue()) {
                DoubleVector z = DoubleVector.broadcast(S, 1).div(a.mul(a));
                DoubleVector r = DoubleVector.broadcast(S, ERFC_RA[0]);
                for (int k = 1; k < ERFC_RA.length; k++) {
                    r = fma ? r.lanewise(VectorOperators.FMA, z, ERFC_RA[k]) : r.mul(z).add(ERFC_RA[k]);
                }
                DoubleVector t = DoubleVector.broadcast(S, ERFC_SA[0]);
                for (int k = 1; k < ERFC_SA.length; k++) {
                    t = fma ? t.lanewise(VectorOperators.FMA, z, ERFC_SA[k]) : t.mul(z).add(ERFC_SA[k]);
                }
                DoubleVector.fromArray(S, num, i).blend(r, tail).intoArray(num, i);
                DoubleVector.fromArray(S, den, i).blend(t, tail).intoArray(den, i);
                a.mul(z).intoArray(inverse, i);
                far |= a.compare(VectorOperators.GE, ERF_FAR_TAIL).anyTrue();
            }
        }
        return far;
    }

    /** num/den ← RB(z)/SB(z) where |x| ≥ 1/0.35 (z = 1/a², a = min(|x|, 6)). */
    private static void erfFarTail(boolean fma, int n, double[] x, double[] num, double[] den) {
        for (int i = 0; i < n; i += L) {
            DoubleVector a = DoubleVector.fromArray(S, x, i).abs().min(ERF_SATURATED);
            VectorMask<Double> far = a.compare(VectorOperators.GE, ERF_FAR_TAIL);
            if (far.anyTrue()) {
                DoubleVector z = DoubleVector.broadcast(S, 1).div(a.mul(a));
                DoubleVector r = DoubleVector.broadcast(S, ERFC_RB[0]);
                for (int k = 1; k < ERFC_RB.length; k++) {
                    r = fma ? r.lanewise(VectorOperators.FMA, z, ERFC_RB[k]) : r.mul(z).add(ERFC_RB[k]);
                }
                DoubleVector t = DoubleVector.broadcast(S, ERFC_SB[0]);
                for (int k = 1; k < ERFC_SB.length; k++) {
                    t = fma ? t.lanewise(VectorOperators.FMA, z, ERFC_SB[k]) : t.mul(z).add(ERFC_SB[k]);
                }
                DoubleVector.fromArray(S, num, i).blend(r, far).intoArray(num, i);
                DoubleVector.fromArray(S, den, i).blend(t, far).intoArray(den, i);
            }
        }
    }

    /** q ← num/den (into num), and arg ← q − a² − 0.5625 (into den), the exponent of the tail's erfc. */
    private static void erfQuotient(int n, double[] x, double[] num, double[] den) {
        for (int i = 0; i < n; i += L) {
            DoubleVector a = DoubleVector.fromArray(S, x, i).abs().min(ERF_SATURATED);
            DoubleVector q = DoubleVector.fromArray(S, num, i).div(DoubleVector.fromArray(S, den, i));
            q.intoArray(num, i);
            q.sub(a.mul(a)).sub(0.5625).intoArray(den, i);
        }
    }

    /**
     * x[i] ← erf x[i] from q and, in the tail, e = e^{q − a² − 0.5625} and 1/a: a + a·q below
     * 0.84375, ERX + q below 1.25, 1 − e/a beyond (erfc ≤ 0.08 there, so the roundings of e and
     * 1/a do not reach erf's ulp); the sign of x restored exactly.
     */
    private static void erfCombine(boolean fma, int n, double[] x, double[] q, double[] e, double[] inverse) {
        for (int i = 0; i < n; i += L) {
            DoubleVector xv = DoubleVector.fromArray(S, x, i);
            DoubleVector a = xv.abs().min(ERF_SATURATED);
            DoubleVector qv = DoubleVector.fromArray(S, q, i);
            DoubleVector result = fma ? a.lanewise(VectorOperators.FMA, qv, a) : a.mul(qv).add(a);
            VectorMask<Double> middle = a.compare(VectorOperators.LT, ERF_MIDDLE)
                    .or(a.compare(VectorOperators.GE, ERF_TAIL)).not();
            result = result.blend(qv.add(ERX), middle);
            VectorMask<Double> tail = a.compare(VectorOperators.GE, ERF_TAIL);
            if (tail.anyTrue()) {
                DoubleVector erfc = DoubleVector.fromArray(S, e, i).mul(DoubleVector.fromArray(S, inverse, i));
                result = result.blend(DoubleVector.broadcast(S, 1).sub(erfc), tail);
            }
            result.reinterpretAsLongs().or(xv.reinterpretAsLongs().and(SIGN)).reinterpretAsDoubles().intoArray(x, i);
        }
    }

    // ---- exp ----------------------------------------------------------------------------

    /**
     * v[i] ← e^{v[i]} for |v[i]| ≤ 700 (callers clamp; other lanes are never used): v = k·ln2 + r
     * by Cody–Waite reduction, e^r by Cephes' rational, 2^k from the exponent bits.
     */
    private static void exp(boolean fma, int n, double[] v) {
        for (int i = 0; i < n; i += L) {
            DoubleVector x = DoubleVector.fromArray(S, v, i);
            DoubleVector t = x.mul(LOG2E).add(ROUNDER);
            DoubleVector k = t.sub(ROUNDER);
            DoubleVector r = x.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO));
            DoubleVector rr = r.mul(r);
            DoubleVector p = DoubleVector.broadcast(S, EXP_P[0]);
            for (int j = 1; j < EXP_P.length; j++) {
                p = fma ? p.lanewise(VectorOperators.FMA, rr, EXP_P[j]) : p.mul(rr).add(EXP_P[j]);
            }
            DoubleVector q = DoubleVector.broadcast(S, EXP_Q[0]);
            for (int j = 1; j < EXP_Q.length; j++) {
                q = fma ? q.lanewise(VectorOperators.FMA, rr, EXP_Q[j]) : q.mul(rr).add(EXP_Q[j]);
            }
            p = r.mul(p);
            DoubleVector er = p.div(q.sub(p)).mul(2).add(1); // ×2 is exact: nothing to fuse
            // t's bits are those of ROUNDER plus k; (bits + 1023) << 52 drops ROUNDER's and leaves 2^k.
            LongVector twoK = t.reinterpretAsLongs().add(1023).lanewise(VectorOperators.LSHL, 52);
            er.mul(twoK.reinterpretAsDoubles()).intoArray(v, i);
        }
    }
}
