package dev.scalekernel.harness;

import dev.scalekernel.harness.theory.DeterministicEquivalent;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The theory against the values an independent implementation gave (shared/notes/mission-anchors.md, §E1). */
class DeterministicEquivalentTest {

    static DeterministicEquivalent anchorModel() {
        int d = 800;
        double[] sigma = new double[d];
        double[] w = new double[d];
        for (int k = 1; k <= d; k++) {
            sigma[k - 1] = Math.pow(k, -1.5);
            w[k - 1] = Math.pow(k, -0.75);
        }
        return new DeterministicEquivalent(sigma, w);
    }

    @ParameterizedTest
    @CsvSource({
        // P, N, lambda_in, theory value printed to 3 significant digits
        "100, 400, 1e-3, 0.00248",
        "400, 100, 1e-3, 0.00794",
        "200, 200, 1e-2, 0.00538",
        "300, 150, 1e-1, 0.00452",
        "150, 600, 1.0, 0.00301",
    })
    void reproducesTheAnchorValues(int p, int n, double lambdaIn, double expected) {
        double got = anchorModel().predict(n, p, lambdaIn / p, 0).oneDraw();
        // Three significant digits: half a unit in the last printed digit.
        assertEquals(expected, got, 0.5e-5 * Math.pow(10, Math.floor(Math.log10(expected)) + 3) + 1e-12,
                "P=" + p + " N=" + n + " lambda_in=" + lambdaIn);
    }
}
