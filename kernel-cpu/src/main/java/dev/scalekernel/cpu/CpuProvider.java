package dev.scalekernel.cpu;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.BackendProvider;
import dev.scalekernel.api.ProbeResult;

import java.util.Optional;

/**
 * The Vector API backend. Available when the JVM was started with
 * {@code --add-modules jdk.incubator.vector}, compiles with C2, and prefers vectors of at least
 * 128 bits (the checks of Lucene's VectorizationProvider). The constructor is trivial; incubator
 * classes are touched only inside {@link #probe()} and {@link #open}, behind {@code catch (Throwable)}.
 */
public final class CpuProvider implements BackendProvider {

    static final String VECTOR_MODULE = "jdk.incubator.vector";

    public CpuProvider() {
    }

    @Override
    public String id() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 200;
    }

    @Override
    public ProbeResult probe() {
        try {
            if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
                return ProbeResult.unavailable("the Vector API module is not loaded; start the JVM with --add-modules "
                        + VECTOR_MODULE);
            }
            Optional<String> noC2 = JvmFlags.missingC2();
            if (noC2.isPresent()) {
                return ProbeResult.unavailable(noC2.get());
            }
            int bits = Species.bits();
            if (bits < 128) {
                return ProbeResult.unavailable("the preferred vector width is " + bits
                        + " bits; the Vector API backend needs at least 128 (check -XX:MaxVectorSize and -XX:UseAVX)");
            }
            return ProbeResult.available(CpuBackend.describe(Runtime.getRuntime().availableProcessors()));
        } catch (Throwable t) {
            return ProbeResult.unavailable("the Vector API could not be initialised (" + t
                    + "); start the JVM with --add-modules " + VECTOR_MODULE);
        }
    }

    @Override
    public Backend open(BackendOptions options) {
        return new CpuBackend(options);
    }
}
