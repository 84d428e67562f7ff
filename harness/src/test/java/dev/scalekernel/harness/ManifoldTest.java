package dev.scalekernel.harness;

import dev.scalekernel.api.Activation;
import dev.scalekernel.api.Backend;
import dev.scalekernel.api.Backends;
import dev.scalekernel.api.DType;
import dev.scalekernel.api.Matrix;
import dev.scalekernel.api.RandomStream;
import dev.scalekernel.harness.model.Manifold;
import dev.scalekernel.harness.theory.RandomFeatureKernel;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The manifold sampler of the teacher–student experiment and its infinite-width kernel. */
class ManifoldTest {

    @Test
    void torusPointsHaveUnitNormAndEachCirclePairNormOneOverD() {
        try (Backend b = Backends.open("reference")) {
            for (int d : new int[] {1, 2, 5}) {
                Manifold torus = new Manifold(Manifold.Kind.TORUS, d);
                assertEquals(2 * d, torus.ambientDim());
                int count = 301;
                double[] x = torus.sample(b, 7, 0, 0, count);
                assertEquals(count * 2 * d, x.length);
                for (int i = 0; i < count; i++) {
                    double norm = 0;
                    for (int j = 0; j < d; j++) {
                        double c = x[i * 2 * d + 2 * j];
                        double s = x[i * 2 * d + 2 * j + 1];
                        assertEquals(1.0 / d, c * c + s * s, 1e-15, "circle " + j + " of point " + i + ", d = " + d);
                        norm += c * c + s * s;
                    }
                    assertEquals(1.0, norm, 1e-14, "point " + i + ", d = " + d);
                }
            }
        }
    }

    @Test
    void spherePointsHaveUnitNormAndCoverEveryDirection() {
        try (Backend b = Backends.open("reference")) {
            Manifold sphere = new Manifold(Manifold.Kind.SPHERE, 3);
            assertEquals(4, sphere.ambientDim());
            int count = 4000;
            double[] x = sphere.sample(b, 3, 1, 0, count);
            double[] mean = new double[4];
            double[] second = new double[4];
            for (int i = 0; i < count; i++) {
                double norm = 0;
                for (int j = 0; j < 4; j++) {
                    norm += x[i * 4 + j] * x[i * 4 + j];
                    mean[j] += x[i * 4 + j] / count;
                    second[j] += x[i * 4 + j] * x[i * 4 + j] / count;
                }
                assertEquals(1.0, norm, 1e-14, "point " + i);
            }
            // Uniform on S^3: E x_j = 0 and E x_j² = 1/4, each with standard error below 0.5/√4000 ≈ 0.008;
            // the tolerance is five standard errors.
            for (int j = 0; j < 4; j++) {
                assertEquals(0, mean[j], 0.04, "mean of coordinate " + j);
                assertEquals(0.25, second[j], 0.04, "second moment of coordinate " + j);
            }
        }
    }

    @Test
    void samplesAreDeterministicNestedAndTheSameOnEveryBackend() {
        for (Manifold.Kind kind : Manifold.Kind.values()) {
            Manifold m = new Manifold(kind, 3);
            int dim = m.ambientDim();
            try (Backend ref = Backends.open("reference"); Backend cpu = Backends.open("cpu")) {
                double[] all = m.sample(ref, 11, 0, 0, 100);
                assertArrayEquals(all, m.sample(ref, 11, 0, 0, 100), kind + ": same seed, same points");
                assertArrayEquals(all, m.sample(cpu, 11, 0, 0, 100), kind + ": reference and cpu backends agree");
                assertArrayEquals(Arrays.copyOfRange(all, 40 * dim, 100 * dim), m.sample(ref, 11, 0, 40, 60),
                        kind + ": sample i does not depend on the first sample drawn");
                assertFalse(Arrays.equals(all, m.sample(ref, 12, 0, 0, 100)), kind + ": another seed gives other points");
                assertFalse(Arrays.equals(all, m.sample(ref, 11, 1, 0, 100)), kind + ": another stream gives other points");
            }
        }
    }

    @Test
    void badManifoldsFailWithOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Manifold(Manifold.Kind.TORUS, 0));
        assertTrue(e.getMessage().contains("dimension d must be >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Manifold.kind("klein"));
        assertTrue(e.getMessage().contains("expected torus or sphere"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RandomFeatureKernel(Activation.TANH, 1));
        assertTrue(e.getMessage().contains("expected relu or erf"), e.getMessage());
    }

    @Test
    void infiniteWidthKernelIsTheLimitOfRandomFeatures() {
        // K_N = ΦΦᵀ/N on 5 torus points with N = 2^18 features: each entry is a mean of N iid products with
        // variance at most E[σ⁴] (≤ 3/4 for relu at |x| = 1, ≤ 1 for erf), so its standard error is below
        // 1/√N ≈ 0.002; the tolerance 0.01 is five of them.
        try (Backend b = Backends.open("cpu")) {
            Manifold torus = new Manifold(Manifold.Kind.TORUS, 2);
            int p = 5;
            int n = 1 << 18;
            double[] x = torus.sample(b, 5, 0, 0, p);
            for (Activation act : new Activation[] {Activation.RELU, Activation.ERF}) {
                RandomFeatureKernel kernel = new RandomFeatureKernel(act, 1.3);
                double[] exact = kernel.matrix(x, p, x, p, 4);
                try (Matrix xs = b.upload(x, p, 4, DType.F64);
                     Matrix f = b.allocate(n, 4, DType.F64);
                     Matrix phi = b.allocate(p, n, DType.F64);
                     Matrix k = b.allocate(p, p, DType.F64)) {
                    b.fillGaussian(f, RandomStream.of(9, 0), 0, 1);
                    b.featureMap(1.3, xs, f, act, phi);
                    b.gramRows(1.0 / n, phi, phi, k);
                    double[] sampled = new double[p * p];
                    b.download(k, sampled);
                    assertArrayEquals(exact, sampled, 0.01, act + " kernel");
                }
                assertEquals(exact[0], kernel.unitDiagonal(), 1e-12, act + ": diagonal at |x| = 1");
            }
        }
    }
}
