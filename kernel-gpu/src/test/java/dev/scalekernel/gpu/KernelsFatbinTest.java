package dev.scalekernel.gpu;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The committed kernels.fatbin is current and holds what the backend needs.
 *
 * <p><b>How staleness is detected.</b> build.sh writes kernels.manifest beside the fatbin: the nvcc
 * version, the flags, the SHA-256 of each source (build.sh, kernels.cu, philox.cuh) and of the
 * fatbin. Here, with no nvcc needed, the sources' hashes are recomputed and compared: editing a
 * kernel without rebuilding fails the build. Where the manifest's nvcc is installed, the fatbin is
 * also rebuilt into a temporary folder and compared byte for byte. That comparison is stable
 * because nvcc 13.0's output depends only on the sources and flags: build.sh compiles with relative
 * paths from the source folder, the file has no timestamp, and no symbol has internal linkage
 * (which would embed a per-compilation hash); two builds from different folders were checked
 * identical. A different nvcc version would legitimately produce other bytes, so the rebuild is
 * skipped there (with the reason) rather than failed.
 */
class KernelsFatbinTest {

    private static final Path SOURCES = Path.of("src/main/cuda");
    private static final Path RESOURCES = Path.of("src/main/resources/dev/scalekernel/gpu");

    @Test
    void theManifestMatchesTheSourcesAndTheFatbin() throws IOException {
        Map<String, String> manifest = manifest();
        List<String> stale = new ArrayList<>();
        for (Map.Entry<String, String> e : manifest.entrySet()) {
            if (e.getKey().startsWith("source ")) {
                String file = e.getKey().substring("source ".length());
                if (!sha256(Files.readAllBytes(SOURCES.resolve(file))).equals(e.getValue())) {
                    stale.add(file);
                }
            }
        }
        assertTrue(stale.isEmpty(), "kernels.fatbin is stale: " + stale + " changed since it was built;"
                + " run kernel-gpu/src/main/cuda/build.sh and commit kernels.fatbin and kernels.manifest");
        Set<String> listed = new TreeSet<>();
        manifest.keySet().stream().filter(k -> k.startsWith("source ")).forEach(k -> listed.add(k.substring(7)));
        Set<String> present = new TreeSet<>();
        try (var files = Files.list(SOURCES)) {
            files.map(p -> p.getFileName().toString()).forEach(present::add);
        }
        assertEquals(present, listed, "every file in src/main/cuda must be a listed input of the fatbin");
        assertEquals(manifest.get("fatbin kernels.fatbin"), sha256(Files.readAllBytes(RESOURCES.resolve("kernels.fatbin"))),
                "kernels.fatbin does not match its manifest; rebuild it with build.sh");
        assertTrue(manifest.get("flags").contains("-fmad=false"), "the Philox twin needs -fmad=false");
        assertTrue(!manifest.get("flags").contains("fast_math"), "fast math breaks the Philox twin");
    }

    /** The fatbin's entries, from its header (the layout nvcc 13 writes; see the comment of entries()). */
    @Test
    void theFatbinHoldsSm80AndSm90MachineCodeAndCompute90Ptx() throws IOException {
        List<String> entries = entries(classpathFatbin());
        assertEquals(new TreeSet<>(List.of("ELF sm_80", "ELF sm_90", "PTX compute_90")), new TreeSet<>(entries),
                "fatbin entries: " + entries);
    }

    @Test
    void everyKernelInTheSourceIsLoadedAndPresentInTheFatbin() throws IOException {
        Set<String> declared = new TreeSet<>();
        Matcher m = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(").matcher(Files.readString(SOURCES.resolve("kernels.cu")));
        while (m.find()) {
            declared.add(m.group(1));
        }
        // The element-wise and reduction kernels are declared by macros once per dtype.
        Matcher macro = Pattern.compile("__global__ void (\\w+)_##SUFFIX").matcher(Files.readString(SOURCES.resolve("kernels.cu")));
        while (macro.find()) {
            declared.add(macro.group(1) + "_f32");
            declared.add(macro.group(1) + "_f64");
        }
        assertEquals(declared, new TreeSet<>(Device.KERNELS), "Device.KERNELS must list exactly the kernels of kernels.cu");
        String image = new String(classpathFatbin(), StandardCharsets.ISO_8859_1);
        for (String kernel : Device.KERNELS) {
            assertTrue(image.contains(".text." + kernel + "\0"), kernel + " is not in kernels.fatbin's machine code");
        }
    }

    @Test
    void theCommittedFatbinIsWhatBuildShProducesHere() throws IOException, InterruptedException {
        Path nvcc = Path.of(System.getenv().getOrDefault("NVCC", "/usr/local/cuda-13.0/bin/nvcc"));
        assumeTrue(Files.isExecutable(nvcc), "no nvcc at " + nvcc + " (set NVCC): the rebuild check needs CUDA 13.0");
        String version = run(List.of(nvcc.toString(), "--version"), null);
        String wanted = manifest().get("nvcc");
        assumeTrue(version.contains(wanted + "\n") || version.endsWith(wanted), "the fatbin was built by nvcc " + wanted
                + " but " + nvcc + " is another version; other compilers produce other bytes");
        Path out = Files.createTempDirectory("kernels-fatbin");
        try {
            run(List.of("bash", SOURCES.resolve("build.sh").toString(), out.toString()), nvcc);
            assertArrayEquals(Files.readAllBytes(RESOURCES.resolve("kernels.fatbin")), Files.readAllBytes(out.resolve("kernels.fatbin")),
                    "kernels.fatbin is stale: build.sh produces different bytes; run it and commit the result");
            assertEquals(Files.readString(RESOURCES.resolve("kernels.manifest")), Files.readString(out.resolve("kernels.manifest")));
        } finally {
            try (var files = Files.list(out)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(out);
        }
    }

    /**
     * The random-number kernels compile to correctly rounded operations only (add.rn, mul.rn,
     * fma.rn, div.rn, sqrt.rn): no approximate instruction, no flush-to-zero, and no plain
     * add/mul that ptxas could contract into an fma the Java twin does not do.
     */
    @Test
    void theRandomKernelsUseOnlyCorrectlyRoundedArithmetic() throws IOException, InterruptedException {
        Path nvcc = Path.of(System.getenv().getOrDefault("NVCC", "/usr/local/cuda-13.0/bin/nvcc"));
        assumeTrue(Files.isExecutable(nvcc), "no nvcc at " + nvcc + " (set NVCC): the PTX check needs CUDA 13");
        Path ptx = Files.createTempFile("kernels", ".ptx");
        try {
            List<String> command = new ArrayList<>(List.of(nvcc.toString(), "-ptx", "-arch=compute_90"));
            for (String flag : manifest().get("flags").split(" ")) {
                if (flag.startsWith("-fmad") || flag.startsWith("--prec") || flag.startsWith("--ftz") || flag.equals("-O3")
                        || flag.startsWith("-std")) {
                    command.add(flag);
                }
            }
            command.addAll(List.of(SOURCES.resolve("kernels.cu").toString(), "-o", ptx.toString()));
            run(command, null);
            String text = Files.readString(ptx);
            Matcher entry = Pattern.compile("\\.entry (sk_fill_\\w+)\\(.*?\\n}\\n", Pattern.DOTALL).matcher(text);
            int kernels = 0;
            Pattern floatOp = Pattern.compile("\\b(add|sub|mul|fma|div|sqrt|rcp|ex2|lg2|sin|cos)\\.([a-z0-9.]+)\\.f(32|64)\\b");
            while (entry.find()) {
                kernels++;
                Matcher op = floatOp.matcher(entry.group());
                while (op.find()) {
                    String modifiers = op.group(2);
                    assertTrue(modifiers.startsWith("rn") && !modifiers.contains("ftz") && !modifiers.contains("approx"),
                            entry.group(1) + " uses " + op.group() + ", which the Java twin does not reproduce");
                }
                for (String plain : new String[] {"add.f32", "mul.f32", "add.f64", "mul.f64", "sub.f32", "sub.f64"}) {
                    assertTrue(!entry.group().contains(" " + plain + " ") && !entry.group().contains("\t" + plain + " "),
                            entry.group(1) + " has a contractible " + plain);
                }
            }
            assertEquals(4, kernels, "expected the four sk_fill_* kernels in the PTX");
        } finally {
            Files.deleteIfExists(ptx);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static Map<String, String> manifest() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(RESOURCES.resolve("kernels.manifest"))) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            if (line.startsWith("source ") || line.startsWith("fatbin ")) {
                String[] parts = line.split(" ");
                m.put(parts[0] + " " + parts[2], parts[1]);
            } else {
                int eq = line.indexOf('=');
                m.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return m;
    }

    private static byte[] classpathFatbin() throws IOException {
        try (InputStream in = Device.class.getResourceAsStream(Device.FATBIN)) {
            assertTrue(in != null, Device.FATBIN + " is not on the class path");
            return in.readAllBytes();
        }
    }

    /**
     * "ELF sm_90", "PTX compute_90", … from the fatbin container. Its format is not documented;
     * this is the layout nvcc 13.0 writes, read off its output: a 16-byte header (magic
     * 0xBA55ED50, version, header size, payload size), then entries each with kind (1 PTX, 2 ELF)
     * at offset 0, header size at 4, payload size at 8 and the SM number at 28.
     */
    static List<String> entries(byte[] fatbin) {
        ByteBuffer b = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xBA55ED50, b.getInt(0), "not a fatbin");
        int headerSize = Short.toUnsignedInt(b.getShort(6));
        long end = headerSize + b.getLong(8);
        List<String> out = new ArrayList<>();
        Map<Integer, String> kinds = new HashMap<>(Map.of(1, "PTX compute_", 2, "ELF sm_"));
        for (long at = headerSize; at < end; ) {
            int kind = Short.toUnsignedInt(b.getShort((int) at));
            int entryHeader = b.getInt((int) at + 4);
            long size = b.getLong((int) at + 8);
            out.add(kinds.getOrDefault(kind, "kind " + kind + " ") + b.getInt((int) at + 28));
            at += entryHeader + size;
        }
        return out;
    }

    private static String run(List<String> command, Path nvcc) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (nvcc != null) {
            pb.environment().put("NVCC", nvcc.toString());
        }
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), command + " did not finish");
        assertEquals(0, p.exitValue(), command + " failed:\n" + output);
        return output;
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
