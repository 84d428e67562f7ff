package dev.scalekernel.api.reference;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.BackendProvider;
import dev.scalekernel.api.ProbeResult;

/** The reference backend is always available, and lowest in priority. */
public final class ReferenceProvider implements BackendProvider {
    @Override
    public String id() {
        return "reference";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public ProbeResult probe() {
        return ProbeResult.available("plain Java loops, the oracle; always available");
    }

    @Override
    public Backend open(BackendOptions options) {
        return new ReferenceBackend(options);
    }
}
