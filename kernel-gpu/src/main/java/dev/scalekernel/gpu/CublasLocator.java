package dev.scalekernel.gpu;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Finds {@code libcublas.so.13} without loading it (a probe must stay cheap): CUDA 13 machines
 * often have cuBLAS only inside a Python wheel ({@code site-packages/nvidia/cu13/lib}), which is
 * not on the loader path. Looks, in order, and stops at the first hit:
 * <ol>
 *   <li>{@code -Dscalekernel.cublas=PATH}, then {@code $SCALEKERNEL_CUBLAS}: the library file or
 *       its folder. An override that names nothing is an error, not a reason to look elsewhere;</li>
 *   <li>the loader path: the folders of {@code $LD_LIBRARY_PATH}, then the system library folders
 *       and the CUDA toolkit's;</li>
 *   <li>the usual Python locations: {@code ROOT/python3.X/{site,dist}-packages/nvidia/cu13/lib}
 *       under /usr/lib, /usr/local/lib, /opt/conda/lib, ~/.local/lib, and the {@code lib} folder
 *       next to every {@code python3} on {@code $PATH} (virtual environments);</li>
 *   <li>a bounded search (depth {@value #SEARCH_DEPTH}, at most {@value #SEARCH_FOLDERS} folders,
 *       no symbolic links followed, hidden and data-only folders pruned) of /usr, /opt, /home,
 *       /root and the user's home for any {@code {site,dist}-packages/nvidia/cu13/lib} that holds
 *       the library.</li>
 * </ol>
 * When nothing is found the detail lists where it looked and how to fix it.
 */
public final class CublasLocator {

    public static final String LIBRARY = "libcublas.so.13";
    public static final String PROPERTY = "scalekernel.cublas";
    public static final String ENVIRONMENT = "SCALEKERNEL_CUBLAS";

    /** Levels below a root; /opt/conda/envs/NAME/lib/python3.X/site-packages is 6 below /opt. */
    static final int SEARCH_DEPTH = 10;
    /**
     * At most this many folders are listed, so that a probe stays cheap even where nothing is found
     * (a typical system has a few thousand plausible folders: one to two seconds, once per JVM).
     */
    static final int SEARCH_FOLDERS = 20_000;

    /**
     * What was found.
     *
     * @param library  the library file, when found
     * @param detail   where it was found, or why not and how to fix it
     */
    public record Result(Optional<Path> library, String detail) {
        public boolean found() {
            return library.isPresent();
        }
    }

    private final String property;
    private final UnaryOperator<String> environment;
    private final List<Path> systemFolders;
    private final List<Path> pythonRoots;
    private final List<Path> searchRoots;

    /**
     * @param property      the value of -Dscalekernel.cublas, or null
     * @param environment   the process environment (name → value or null)
     * @param systemFolders library folders the loader searches after LD_LIBRARY_PATH
     * @param pythonRoots   folders holding {@code python3*} installations ({@code lib} folders)
     * @param searchRoots   where the bounded search starts
     */
    CublasLocator(String property, UnaryOperator<String> environment, List<Path> systemFolders,
                  List<Path> pythonRoots, List<Path> searchRoots) {
        this.property = property;
        this.environment = environment;
        this.systemFolders = List.copyOf(systemFolders);
        this.pythonRoots = List.copyOf(pythonRoots);
        this.searchRoots = List.copyOf(searchRoots);
    }

    private static final class SystemHolder {
        static final Result RESULT = forThisMachine().locate();
    }

    /** This machine's answer, computed once per JVM (the probe asks it often). */
    public static Result system() {
        return SystemHolder.RESULT;
    }

    static CublasLocator forThisMachine() {
        Map<String, String> env = System.getenv();
        Path home = Path.of(System.getProperty("user.home", "/root"));
        List<Path> system = new ArrayList<>(List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"),
                Path.of("/usr/lib"), Path.of("/usr/local/lib"), Path.of("/usr/local/cuda/lib64"),
                Path.of("/usr/local/cuda/targets/x86_64-linux/lib")));
        for (Path cuda : children(Path.of("/usr/local"), "cuda-13*")) {
            system.add(cuda.resolve("lib64"));
            system.add(cuda.resolve("targets/x86_64-linux/lib"));
        }
        List<Path> python = new ArrayList<>(List.of(Path.of("/usr/lib"), Path.of("/usr/local/lib"),
                Path.of("/opt/conda/lib"), home.resolve(".local/lib")));
        String path = env.get("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "python3"))) {
                    python.add(Path.of(dir).resolveSibling("lib"));
                }
            }
        }
        List<Path> roots = List.of(Path.of("/usr"), Path.of("/opt"), Path.of("/home"), Path.of("/root"), home);
        return new CublasLocator(System.getProperty(PROPERTY), env::get, system, python, roots);
    }

    public Result locate() {
        List<String> looked = new ArrayList<>();
        Optional<Result> explicit = override("-D" + PROPERTY, property, looked);
        if (explicit.isEmpty()) {
            explicit = override("$" + ENVIRONMENT, environment.apply(ENVIRONMENT), looked);
        }
        if (explicit.isPresent()) {
            return explicit.get();
        }
        List<Path> loader = new ArrayList<>();
        String ldPath = environment.apply("LD_LIBRARY_PATH");
        if (ldPath != null) {
            for (String dir : ldPath.split(":")) {
                if (!dir.isEmpty()) {
                    loader.add(Path.of(dir));
                }
            }
        }
        loader.addAll(systemFolders);
        Optional<Path> hit = firstIn(loader);
        looked.add("the loader path " + loader);
        if (hit.isPresent()) {
            return found(hit.get(), "the loader path");
        }
        List<Path> wheels = new ArrayList<>();
        for (Path root : pythonRoots) {
            for (Path python : children(root, "python3*")) {
                wheels.add(python.resolve("site-packages/nvidia/cu13/lib"));
                wheels.add(python.resolve("dist-packages/nvidia/cu13/lib"));
            }
        }
        hit = firstIn(wheels);
        looked.add("Python wheels under " + pythonRoots + "/python3*/{site,dist}-packages/nvidia/cu13/lib");
        if (hit.isPresent()) {
            return found(hit.get(), "a Python wheel");
        }
        hit = search();
        looked.add("a search of " + searchRoots + " (depth " + SEARCH_DEPTH + ") for {site,dist}-packages/nvidia/cu13/lib");
        if (hit.isPresent()) {
            return found(hit.get(), "a Python wheel found by search");
        }
        return new Result(Optional.empty(), LIBRARY + " (cuBLAS 13) not found; looked in: " + String.join("; ", looked)
                + ". Install the CUDA 13 cuBLAS (e.g. pip install nvidia-cublas) or set -D" + PROPERTY
                + "=/path/to/" + LIBRARY);
    }

    private static Optional<Result> override(String name, String value, List<String> looked) {
        if (value == null || value.isBlank()) {
            looked.add(name + " (unset)");
            return Optional.empty();
        }
        Path p = Path.of(value);
        Path library = Files.isDirectory(p) ? p.resolve(LIBRARY) : p;
        if (Files.isRegularFile(library)) {
            return Optional.of(found(library, name));
        }
        return Optional.of(new Result(Optional.empty(), name + "=" + value + " but " + library
                + " does not exist; point it at " + LIBRARY + " or its folder, or unset it"));
    }

    private static Result found(Path library, String where) {
        return new Result(Optional.of(library), LIBRARY + " at " + library + " (from " + where + ")");
    }

    private static Optional<Path> firstIn(List<Path> folders) {
        for (Path folder : folders) {
            Path candidate = folder.resolve(LIBRARY);
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Breadth-first, so shallow installations win and the folder budget is spent near the roots. */
    private Optional<Path> search() {
        record Pending(Path folder, int depth) {
        }
        Deque<Pending> queue = new ArrayDeque<>();
        for (Path root : searchRoots) {
            queue.add(new Pending(root, 0));
        }
        int visited = 0;
        while (!queue.isEmpty() && visited < SEARCH_FOLDERS) {
            Pending next = queue.poll();
            visited++;
            String name = next.folder().getFileName() == null ? "" : next.folder().getFileName().toString();
            if (name.equals("site-packages") || name.equals("dist-packages")) {
                // A wheel's library sits at a fixed place below; the thousands of other packages need no visit.
                Path candidate = next.folder().resolve("nvidia/cu13/lib").resolve(LIBRARY);
                if (Files.isRegularFile(candidate)) {
                    return Optional.of(candidate);
                }
                continue;
            }
            if (next.depth() == SEARCH_DEPTH) {
                continue;
            }
            try (DirectoryStream<Path> children = Files.newDirectoryStream(next.folder(), CublasLocator::worthVisiting)) {
                for (Path child : children) {
                    if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                        queue.add(new Pending(child, next.depth() + 1));
                    }
                }
            } catch (IOException | SecurityException e) {
                // An unreadable or vanished folder has nothing for us; the search goes on.
            }
        }
        return Optional.empty();
    }

    /**
     * Prunes folders that never hold a Python environment, so the budget goes where wheels are:
     * hidden folders (caches, .git, .m2) except the usual homes of environments, and the big
     * data-only trees of a Unix system.
     */
    private static boolean worthVisiting(Path child) {
        String name = child.getFileName().toString();
        if (name.startsWith(".")) {
            return PYTHON_HIDDEN.contains(name);
        }
        return !NEVER_PYTHON.contains(name);
    }

    private static final Set<String> PYTHON_HIDDEN = Set.of(".local", ".venv", ".conda", ".pyenv",
            ".virtualenvs", ".miniconda3");
    private static final Set<String> NEVER_PYTHON = Set.of("share", "include", "src", "doc", "man",
            "locale", "node_modules", "__pycache__", "proc", "sys", "dev", "jvm", "firmware", "modules");

    private static List<Path> children(Path folder, String glob) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return out;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder, glob)) {
            stream.forEach(out::add);
        } catch (IOException | SecurityException e) {
            return out; // unreadable: nothing to find there
        }
        out.sort(null); // deterministic order: the directory stream's is not
        return out;
    }
}
