package dev.scalekernel.cpu;

import dev.scalekernel.api.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The vector tanh and erf against an oracle computed in 90-digit decimal arithmetic (Math.tanh is
 * only specified to 2.5 ulps and Activation.erf to "a few", too loose to check 2): fp64 within
 * 2 ulps with and without FMA, fp32 rounded once from that (within half an ulp plus the fp64
 * error, 2^-27 ulp at most). Arguments: the whole range of each approximation, both sides of every
 * switch point, tiny and subnormal arguments, saturation, ±0, ±∞ and NaN. Also: a lane's result
 * does not depend on its position in the vector or on whether the vector is masked.
 */
class VectorActivationTest {

    private static final MathContext MC = new MathContext(90);
    private static final BigDecimal PI = new BigDecimal("3.1415926535897932384626433832795028841971"
            + "693993751058209749445923078164062862089986280348253421170679");
    private static final BigDecimal EPSILON = new BigDecimal("1e-80");
    private static final BigDecimal TWO_OVER_SQRT_PI = BigDecimal.TWO.divide(PI.sqrt(MC), MC);

    private final SplittableRandom random = new SplittableRandom(Long.getLong("sk.test.seed", 20261125L));

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void fp64TanhAndErfAreWithinTwoUlps(boolean fma) {
        for (Activation act : new Activation[] {Activation.TANH, Activation.ERF}) {
            double[] x = arguments(act);
            double[] got = applyF64(act, fma, x);
            for (int i = 0; i < x.length; i++) {
                double ulps = ulpsFromTruth(got[i], truth(act, x[i]), false);
                if (!(ulps <= 2)) {
                    fail(act + "(" + x[i] + ") = " + got[i] + " is " + ulps + " fp64 ulps from the truth (fma " + fma
                            + ")");
                }
            }
        }
    }

    @Test
    void fp32TanhAndErfAreRoundedOnceFromDouble() {
        for (Activation act : new Activation[] {Activation.TANH, Activation.ERF}) {
            double[] wide = arguments(act);
            float[] x = new float[wide.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) wide[i];
            }
            float[] got = applyF32(act, x);
            for (int i = 0; i < x.length; i++) {
                double ulps = ulpsFromTruth(got[i], truth(act, x[i]), true);
                if (!(ulps <= 0.5 + 0x1.0p-27)) {
                    fail(act + "(" + x[i] + ") = " + got[i] + " is " + ulps + " fp32 ulps from the truth");
                }
            }
        }
    }

    @Test
    void specialValuesKeepSignsAndSaturate() {
        double[] x = {0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, Double.MIN_VALUE,
            -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE};
        for (Activation act : new Activation[] {Activation.TANH, Activation.ERF}) {
            double[] got = applyF64(act, true, x);
            assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(got[0]), act + "(+0)");
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(got[1]), act + "(-0)");
            assertEquals(1.0, got[2], act + "(+inf)");
            assertEquals(-1.0, got[3], act + "(-inf)");
            assertTrue(Double.isNaN(got[4]), act + "(NaN)");
            assertEquals(act.apply(Double.MIN_VALUE), got[5], act + "(MIN_VALUE)");
            assertEquals(act.apply(-Double.MIN_VALUE), got[6], act + "(-MIN_VALUE)");
            assertEquals(1.0, got[7], act + "(MAX_VALUE)");
            assertEquals(-1.0, got[8], act + "(-MAX_VALUE)");
        }
    }

    @Test
    void resultsDoNotDependOnLanePositionOrMasking() {
        double[] x = new double[3 * Species.F64.length() + 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextDouble(-8, 8);
        }
        x[1] = 5; // one lane in erf's large range, the rest not
        for (Activation act : new Activation[] {Activation.TANH, Activation.ERF}) {
            double[] base = applyF64(act, true, x);
            for (int shift = 1; shift < Species.F64.length() + 2; shift++) {
                double[] shifted = new double[x.length + shift];
                System.arraycopy(x, 0, shifted, shift, x.length);
                double[] got = applyF64(act, true, shifted);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Double.doubleToRawLongBits(base[i]), Double.doubleToRawLongBits(got[i + shift]),
                            act + "(" + x[i] + ") moved by " + shift + " lanes");
                }
            }
        }
    }

    // ---- arguments -----------------------------------------------------------------------

    /** Both signs of: uniform over each range, log-uniform tiny values, and a few ulps around each switch point. */
    private double[] arguments(Activation act) {
        List<Double> xs = new ArrayList<>();
        double[] switches = act == Activation.TANH ? new double[] {0.625, 19.0, 22} : new double[] {0.46875, 0.5, 4, 6};
        double top = act == Activation.TANH ? 24 : 6.5;
        for (int i = 0; i < 1500; i++) {
            xs.add(random.nextDouble(0, 1));
            xs.add(random.nextDouble(0, top));
            xs.add(Math.pow(10, random.nextDouble(-320, 0)));
        }
        for (double s : switches) {
            double v = s;
            double w = s;
            for (int k = 0; k < 8; k++) {
                xs.add(v);
                xs.add(w);
                v = Math.nextUp(v);
                w = Math.nextDown(w);
            }
        }
        double[] x = new double[2 * xs.size()];
        for (int i = 0; i < xs.size(); i++) {
            x[2 * i] = xs.get(i);
            x[2 * i + 1] = -xs.get(i);
        }
        return x;
    }

    // ---- the kernels on arrays -----------------------------------------------------------

    private static double[] applyF64(Activation act, boolean fma, double[] x) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate((long) x.length * Double.BYTES, 64);
            MemorySegment.copy(x, 0, s, ValueLayout.JAVA_DOUBLE, 0, x.length);
            VectorActivation.applyF64(act, fma, s, 0, x.length, new VectorActivation.Scratch());
            return s.toArray(ValueLayout.JAVA_DOUBLE);
        }
    }

    private static float[] applyF32(Activation act, float[] x) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate((long) x.length * Float.BYTES, 64);
            MemorySegment.copy(x, 0, s, ValueLayout.JAVA_FLOAT, 0, x.length);
            VectorActivation.applyF32(act, true, s, 0, x.length, new VectorActivation.Scratch());
            return s.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    // ---- the oracle ----------------------------------------------------------------------

    private static BigDecimal truth(Activation act, double x) {
        BigDecimal a = new BigDecimal(Math.abs(x));
        BigDecimal t = act == Activation.TANH ? tanh(a) : erf(a);
        return x < 0 ? t.negate() : t;
    }

    /**
     * sinh/cosh by their Taylor series (positive terms only), stopped once a term is below 1e-80:
     * the rest is below 1e-60 of sinh for a ≥ 1e-20, and below a² ≤ 1e-40 of it for smaller a.
     * Beyond 25, tanh is 1 to 1e-21.
     */
    private static BigDecimal tanh(BigDecimal a) {
        if (a.compareTo(BigDecimal.valueOf(25)) >= 0) {
            return BigDecimal.ONE;
        }
        BigDecimal term = BigDecimal.ONE; // a^n / n!
        BigDecimal cosh = BigDecimal.ONE;
        BigDecimal sinh = BigDecimal.ZERO;
        for (int n = 1; n < 2 || term.compareTo(EPSILON) >= 0; n++) {
            term = term.multiply(a, MC).divide(BigDecimal.valueOf(n), MC);
            if (n % 2 == 1) {
                sinh = sinh.add(term, MC);
            } else {
                cosh = cosh.add(term, MC);
            }
        }
        return sinh.divide(cosh, MC);
    }

    /**
     * erf by its Maclaurin series 2/√π Σ (−1)^n a^{2n+1} / (n!(2n+1)), in 90 digits: below 7 the
     * largest term is under e^49 ≈ 1e21, so more than 60 digits survive the cancellation. Beyond 7,
     * erf is 1 to 1e-22.
     */
    private static BigDecimal erf(BigDecimal a) {
        if (a.compareTo(BigDecimal.valueOf(7)) >= 0) {
            return BigDecimal.ONE;
        }
        if (a.signum() == 0) {
            return a;
        }
        BigDecimal a2 = a.multiply(a, MC);
        BigDecimal power = a; // (−1)^n a^{2n+1} / n!
        BigDecimal sum = a;
        BigDecimal tiny = a.multiply(EPSILON, MC);
        for (int n = 1; ; n++) {
            power = power.multiply(a2, MC).divide(BigDecimal.valueOf(-n), MC);
            BigDecimal term = power.divide(BigDecimal.valueOf(2L * n + 1), MC);
            sum = sum.add(term, MC);
            if (term.abs().compareTo(tiny) < 0) {
                break;
            }
        }
        return sum.multiply(TWO_OVER_SQRT_PI, MC);
    }

    /**
     * |got − truth| in ulps of the truth's binade (of the dtype): the ulp of the largest
     * representable magnitude at or below |truth|, so that just below a power of two the finer
     * ulp counts.
     */
    private static double ulpsFromTruth(double got, BigDecimal truth, boolean fp32) {
        if (Double.isNaN(got)) {
            return Double.POSITIVE_INFINITY;
        }
        BigDecimal abs = truth.abs();
        double below = fp32 ? abs.floatValue() : abs.doubleValue();
        if (new BigDecimal(below).compareTo(abs) > 0) {
            below = fp32 ? Math.nextDown((float) below) : Math.nextDown(below);
        }
        double ulp = fp32 ? Math.ulp((float) below) : Math.ulp(below);
        if (below == 0) {
            ulp = fp32 ? Float.MIN_VALUE : Double.MIN_VALUE;
        }
        return new BigDecimal(got).subtract(truth).abs().divide(new BigDecimal(ulp), MathContext.DECIMAL64)
                .doubleValue();
    }
}
