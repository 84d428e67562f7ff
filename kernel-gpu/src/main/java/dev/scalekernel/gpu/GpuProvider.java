package dev.scalekernel.gpu;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.BackendProvider;
import dev.scalekernel.api.BackendUnavailableException;
import dev.scalekernel.api.ProbeResult;

/**
 * The CUDA backend's provider. It probes the driver without touching JCuda; it reports itself
 * unavailable, with the reason, until its kernels exist, so "auto" never picks it and
 * "--backend gpu" fails with that reason instead of running something unvalidated.
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
        return CudaDriverProbe.probe();
    }

    @Override
    public Backend open(BackendOptions options) {
        throw new BackendUnavailableException("backend 'gpu' is unavailable: " + probe().detail());
    }
}
