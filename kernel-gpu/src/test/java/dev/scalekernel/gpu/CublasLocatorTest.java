package dev.scalekernel.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The search order and the messages of {@link CublasLocator}, on fake installations in a temporary folder. */
class CublasLocatorTest {

    @TempDir
    Path tmp;

    private final Map<String, String> env = new HashMap<>();

    private CublasLocator locator(String property, List<Path> system, List<Path> python, List<Path> roots) {
        return new CublasLocator(property, env::get, system, python, roots);
    }

    private Path library(String folder) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(folder));
        return Files.writeString(dir.resolve(CublasLocator.LIBRARY), "not really ELF");
    }

    @Test
    void thePropertyTakesAFileOrItsFolderAndWinsOverEverything() throws IOException {
        Path explicit = library("explicit");
        Path other = library("env");
        env.put(CublasLocator.ENVIRONMENT, other.toString());
        env.put("LD_LIBRARY_PATH", other.getParent().toString());
        CublasLocator.Result byFile = locator(explicit.toString(), List.of(), List.of(), List.of()).locate();
        assertEquals(explicit, byFile.library().orElseThrow());
        assertTrue(byFile.detail().contains("-Dscalekernel.cublas"), byFile.detail());
        CublasLocator.Result byFolder = locator(explicit.getParent().toString(), List.of(), List.of(), List.of()).locate();
        assertEquals(explicit, byFolder.library().orElseThrow());
    }

    @Test
    void anOverrideThatNamesNothingIsAnErrorNotAFallback() throws IOException {
        library("lib"); // a library the loader path would find
        env.put("LD_LIBRARY_PATH", tmp.resolve("lib").toString());
        CublasLocator.Result r = locator(tmp.resolve("missing").toString(), List.of(), List.of(), List.of()).locate();
        assertFalse(r.found());
        assertTrue(r.detail().contains("does not exist") && r.detail().contains("missing"), r.detail());
        env.put(CublasLocator.ENVIRONMENT, tmp.resolve("nowhere").toString());
        CublasLocator.Result e = locator(null, List.of(), List.of(), List.of()).locate();
        assertFalse(e.found());
        assertTrue(e.detail().startsWith("$" + CublasLocator.ENVIRONMENT + "="), e.detail());
    }

    @Test
    void theEnvironmentComesBeforeTheLoaderPath() throws IOException {
        Path fromEnv = library("env");
        library("ld");
        env.put(CublasLocator.ENVIRONMENT, fromEnv.getParent().toString());
        env.put("LD_LIBRARY_PATH", tmp.resolve("ld").toString());
        assertEquals(fromEnv, locator("  ", List.of(), List.of(), List.of()).locate().library().orElseThrow());
    }

    @Test
    void theLoaderPathIsLdLibraryPathThenTheSystemFolders() throws IOException {
        Path ld = library("ld");
        Path system = library("system");
        env.put("LD_LIBRARY_PATH", tmp.resolve("empty") + "::" + ld.getParent());
        assertEquals(ld, locator(null, List.of(system.getParent()), List.of(), List.of()).locate().library().orElseThrow());
        env.remove("LD_LIBRARY_PATH");
        CublasLocator.Result r = locator(null, List.of(tmp.resolve("none"), system.getParent()), List.of(), List.of()).locate();
        assertEquals(system, r.library().orElseThrow());
        assertTrue(r.detail().contains("loader path"), r.detail());
    }

    @Test
    void pythonWheelsAreFoundInSiteAndDistPackages() throws IOException {
        Path site = library("usr/local/lib/python3.12/site-packages/nvidia/cu13/lib");
        CublasLocator.Result r = locator(null, List.of(), List.of(tmp.resolve("usr/lib"), tmp.resolve("usr/local/lib")),
                List.of()).locate();
        assertEquals(site, r.library().orElseThrow());
        assertTrue(r.detail().contains("Python wheel"), r.detail());
        Path dist = library("usr/lib/python3/dist-packages/nvidia/cu13/lib");
        assertEquals(dist, locator(null, List.of(), List.of(tmp.resolve("usr/lib"), tmp.resolve("usr/local/lib")),
                List.of()).locate().library().orElseThrow());
    }

    @Test
    void theBoundedSearchFindsADeepEnvironmentButNotAPlainLibFolder() throws IOException {
        library("opt/stray/lib"); // not a wheel: the search must not take it
        Path deep = library("opt/conda/envs/work/lib/python3.11/site-packages/nvidia/cu13/lib");
        CublasLocator.Result r = locator(null, List.of(), List.of(), List.of(tmp.resolve("home"), tmp.resolve("opt")))
                .locate();
        assertEquals(deep, r.library().orElseThrow());
        assertTrue(r.detail().contains("search"), r.detail());
    }

    @Test
    void theSearchStopsAtItsDepthAndDoesNotFollowLinks() throws IOException {
        StringBuilder tooDeep = new StringBuilder("root");
        for (int i = 0; i < CublasLocator.SEARCH_DEPTH; i++) {
            tooDeep.append("/d").append(i);
        }
        library(tooDeep + "/site-packages/nvidia/cu13/lib");
        Path target = library("elsewhere/site-packages/nvidia/cu13/lib");
        Files.createSymbolicLink(tmp.resolve("root/link"), target.getParent().getParent().getParent().getParent().getParent());
        CublasLocator.Result r = locator(null, List.of(), List.of(), List.of(tmp.resolve("root"))).locate();
        assertFalse(r.found(), r.detail());
    }

    @Test
    void nothingFoundSaysWhereItLookedAndHowToFixIt() {
        env.put("LD_LIBRARY_PATH", tmp.resolve("ld").toString());
        CublasLocator.Result r = locator(null, List.of(tmp.resolve("sys")), List.of(tmp.resolve("py")),
                List.of(tmp.resolve("search"))).locate();
        assertFalse(r.found());
        String d = r.detail();
        for (String expected : new String[] {"libcublas.so.13", "-Dscalekernel.cublas (unset)", "$SCALEKERNEL_CUBLAS (unset)",
                tmp.resolve("ld").toString(), tmp.resolve("sys").toString(), tmp.resolve("py").toString(),
                tmp.resolve("search").toString(), "pip install nvidia-cublas"}) {
            assertTrue(d.contains(expected), "'" + expected + "' missing from: " + d);
        }
    }

    @Test
    void theMachineAnswerIsComputedOnceAndExplainsItself() {
        CublasLocator.Result first = CublasLocator.system();
        assertTrue(first == CublasLocator.system());
        assertFalse(first.detail().isBlank());
        assertEquals(first.found(), first.library().isPresent());
    }
}
