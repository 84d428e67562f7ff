package dev.scalekernel.api.random;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The deterministic math is accurate, not only reproducible: within a few ulps of the JDK's. */
class DetMathTest {

    @Test
    void logIsWithinTwoUlpsOfTheJdk() {
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 1_000_000; i++) {
            double u = Philox.uniformF64(r.nextInt(), r.nextInt());
            double exact = Math.log(u);
            assertTrue(Math.abs(DetMath.log(u) - exact) <= 2 * Math.ulp(exact), "f64 log(" + u + ")");
            float uf = Philox.uniformF32(r.nextInt());
            double exactF = Math.log(uf);
            assertTrue(Math.abs(DetMath.log(uf) - exactF) <= 2 * Math.ulp((float) exactF), "f32 log(" + uf + ")");
        }
    }

    @Test
    void sinAndCosOfTwoPiUAreAccurate() {
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 1_000_000; i++) {
            double u = Philox.uniformF64(r.nextInt(), r.nextInt());
            // The reduction is exact, so the error is relative to the unit circle: a few ulps of 1.
            assertTrue(Math.abs(DetMath.sin2pi(u) - Math.sin(2 * Math.PI * u)) <= 4 * Math.ulp(1.0), "f64 sin at " + u);
            assertTrue(Math.abs(DetMath.cos2pi(u) - Math.cos(2 * Math.PI * u)) <= 4 * Math.ulp(1.0), "f64 cos at " + u);
            float uf = Philox.uniformF32(r.nextInt());
            assertTrue(Math.abs(DetMath.sin2pi(uf) - Math.sin(2 * Math.PI * uf)) <= 4 * Math.ulp(1f), "f32 sin at " + uf);
            assertTrue(Math.abs(DetMath.cos2pi(uf) - Math.cos(2 * Math.PI * uf)) <= 4 * Math.ulp(1f), "f32 cos at " + uf);
        }
    }

    @Test
    void uniformsStayStrictlyInsideTheUnitInterval() {
        assertTrue(Philox.uniformF32(0) > 0 && Philox.uniformF32(-1) < 1);
        assertTrue(Philox.uniformF64(0, 0) > 0 && Philox.uniformF64(-1, -1) < 1);
    }
}
