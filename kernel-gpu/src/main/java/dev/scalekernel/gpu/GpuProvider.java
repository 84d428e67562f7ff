package dev.scalekernel.gpu;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.BackendProvider;
import dev.scalekernel.api.BackendUnavailableException;
import dev.scalekernel.api.ProbeResult;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The CUDA backend's provider. The probe never touches JCuda (a failed static initialiser would
 * poison its classes for the rest of the JVM): it asks the driver through java.lang.foreign
 * ({@link CudaDriverProbe}) and looks for cuBLAS 13 on disk ({@link CublasLocator}). The backend
 * is available only when both are there. {@link #open} loads JCuda inside {@code catch (Throwable)}
 * and turns any failure into a {@link BackendUnavailableException} with the reason.
 */
public final class GpuProvider implements BackendProvider {
    @Override
    public String id() {
        return "gpu";
    }

    @Override
    public int priority() {
        return 300;
    }

    @Override
    public ProbeResult probe() {
        return verdict(CudaDriverProbe.find(), CublasLocator::system);
    }

    /** A device first (no search for cuBLAS where there is no GPU), then cuBLAS. */
    static ProbeResult verdict(CudaDriverProbe.Finding driver, Supplier<CublasLocator.Result> cublas) {
        if (driver.devices() < 1) {
            return ProbeResult.unavailable(driver.detail());
        }
        CublasLocator.Result c = cublas.get();
        if (!c.found()) {
            return ProbeResult.unavailable("found " + driver.detail() + ", but " + c.detail());
        }
        return ProbeResult.available(driver.detail() + ", " + c.detail());
    }

    @Override
    public Backend open(BackendOptions options) {
        ProbeResult probe = probe();
        if (!probe.available()) {
            throw new BackendUnavailableException("backend 'gpu' is unavailable: " + probe.detail());
        }
        Path cublas = CublasLocator.system().library().orElseThrow();
        try {
            return GpuBackend.open(options, cublas);
        } catch (Throwable t) {
            BackendUnavailableException e = new BackendUnavailableException("backend 'gpu' could not be opened: "
                    + explain(t));
            e.initCause(t);
            throw e;
        }
    }

    /** One line saying what failed, with the usual causes of JCuda's failures. */
    static String explain(Throwable t) {
        if (t instanceof UnsatisfiedLinkError) {
            return "JCuda's native library did not load (" + t.getMessage() + "); it needs libcuda.so.1 from an"
                    + " NVIDIA driver that supports CUDA 12.6 or newer";
        }
        if (t instanceof NoClassDefFoundError) {
            return "JCuda failed to initialise earlier in this JVM (" + t.getMessage() + "); restart the JVM after"
                    + " fixing the first error";
        }
        return t.toString();
    }
}
