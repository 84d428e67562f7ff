package dev.scalekernel.gpu;

import dev.scalekernel.api.random.DetMath;
import dev.scalekernel.api.random.Philox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA Philox/Box–Muller twin (src/main/cuda/philox.cuh), compiled as host C++ with a shim for
 * the device intrinsics, gives the bits of the Java Philox and DetMath on ~20 000 inputs: words,
 * uniforms, normals of both dtypes, log, sin and cos at the edges and at random points. This checks
 * the transcription here, without a GPU; that nvcc keeps those operations exact on the device is
 * checked by KernelsFatbinTest (PTX has only .rn arithmetic) and, on a GPU, by the conformance
 * suite's bit-for-bit fill tests. Skipped where no C++ compiler is installed.
 */
class PhiloxTwinHostTest {

    @TempDir
    Path tmp;

    @Test
    void theCudaTwinComputesTheJavaBits() throws IOException, InterruptedException {
        Path cxx = Path.of("/usr/bin/g++");
        assumeTrue(Files.isExecutable(cxx), "no C++ compiler at " + cxx + ": the host build of philox.cuh is skipped");
        Files.copy(Path.of("src/main/cuda/philox.cuh"), tmp.resolve("philox.cuh"));
        for (String resource : new String[] {"philox_host_shim.h", "philox_host_main.cpp"}) {
            try (InputStream in = getClass().getResourceAsStream(resource)) {
                Files.copy(in, tmp.resolve(resource));
            }
        }
        run(List.of(cxx.toString(), "-std=c++17", "-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror", "-o",
                tmp.resolve("twin").toString(), tmp.resolve("philox_host_main.cpp").toString()));
        List<String> lines = run(List.of(tmp.resolve("twin").toString())).lines().toList();
        assertTrue(lines.size() > 20_000, "the twin printed only " + lines.size() + " lines");
        int[] words = new int[4];
        float[] f4 = new float[4];
        double[] d2 = new double[2];
        List<String> mismatches = new ArrayList<>();
        for (String line : lines) {
            String[] t = line.split(" ");
            String expected = switch (t[0]) {
                case "P" -> {
                    Philox.block(hexLong(t[1]), hexInt(t[2]), Philox.TAG_UNIFORM_F32, hexLong(t[3]), words);
                    yield "P " + t[1] + " " + t[2] + " " + t[3] + " " + hex(words[0]) + " " + hex(words[1]) + " "
                            + hex(words[2]) + " " + hex(words[3]);
                }
                case "NF" -> {
                    Philox.normalBlockF32(hexLong(t[1]), hexInt(t[2]), hexLong(t[3]), words, f4);
                    yield "NF " + t[1] + " " + t[2] + " " + t[3] + " " + hex(f4[0]) + " " + hex(f4[1]) + " " + hex(f4[2])
                            + " " + hex(f4[3]);
                }
                case "ND" -> {
                    Philox.normalBlockF64(hexLong(t[1]), hexInt(t[2]), hexLong(t[3]), words, d2);
                    yield "ND " + t[1] + " " + t[2] + " " + t[3] + " " + hex(d2[0]) + " " + hex(d2[1]);
                }
                case "UF" -> "UF " + t[1] + " " + hex(Philox.uniformF32(hexInt(t[1])));
                case "UD" -> "UD " + t[1] + " " + t[2] + " " + hex(Philox.uniformF64(hexInt(t[1]), hexInt(t[2])));
                case "F" -> {
                    float u = Float.intBitsToFloat(hexInt(t[1]));
                    yield "F " + t[1] + " " + hex(DetMath.log(u)) + " " + hex(DetMath.sin2pi(u)) + " " + hex(DetMath.cos2pi(u));
                }
                case "D" -> {
                    double u = Double.longBitsToDouble(hexLong(t[1]));
                    yield "D " + t[1] + " " + hex(DetMath.log(u)) + " " + hex(DetMath.sin2pi(u)) + " " + hex(DetMath.cos2pi(u));
                }
                default -> "unknown line";
            };
            if (!expected.equals(line) && mismatches.size() < 10) {
                mismatches.add("CUDA twin: " + line + "\nJava:      " + expected);
            }
        }
        assertEquals(List.of(), mismatches);
    }

    private static String hex(int v) {
        return Integer.toHexString(v);
    }

    private static String hex(float v) {
        return Integer.toHexString(Float.floatToRawIntBits(v));
    }

    private static String hex(double v) {
        return Long.toHexString(Double.doubleToRawLongBits(v));
    }

    private static int hexInt(String s) {
        return Integer.parseUnsignedInt(s, 16);
    }

    private static long hexLong(String s) {
        return Long.parseUnsignedLong(s, 16);
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), command + " did not finish");
        assertEquals(0, p.exitValue(), command + " failed:\n" + output);
        return output;
    }
}
