package dev.scalekernel.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Finds backends through {@link ServiceLoader}. {@code open("cpu")} gives the CPU backend or a
 * {@link BackendUnavailableException} with its probe's reason, never a silent fallback;
 * {@code open("auto")} takes the available backend of highest priority and {@link #choose} says why.
 */
public final class Backends {

    /** A provider and what its probe said. */
    public record Status(String id, int priority, ProbeResult probe) {
    }

    /** The provider that will be opened, and one line saying why. */
    public record Choice(BackendProvider provider, String reason) {
    }

    private Backends() {
    }

    /** Every provider on the class path, highest priority first, with its probe result. */
    public static List<Status> list() {
        return providers().stream().map(p -> new Status(p.id(), p.priority(), p.probe())).toList();
    }

    /** Resolves "auto" or a provider id without opening anything. */
    public static Choice choose(String id) {
        List<BackendProvider> providers = providers();
        if ("auto".equals(id)) {
            List<String> skipped = new ArrayList<>();
            for (BackendProvider p : providers) {
                ProbeResult probe = p.probe();
                if (probe.available()) {
                    String why = "auto chose " + p.id() + " (" + probe.detail() + ")"
                            + (skipped.isEmpty() ? "" : "; skipped " + String.join("; ", skipped));
                    return new Choice(p, why);
                }
                skipped.add(p.id() + ": " + probe.detail());
            }
            throw new BackendUnavailableException("no backend is available: " + String.join("; ", skipped));
        }
        for (BackendProvider p : providers) {
            if (p.id().equals(id)) {
                ProbeResult probe = p.probe();
                if (!probe.available()) {
                    throw new BackendUnavailableException("backend '" + id + "' is unavailable: " + probe.detail());
                }
                return new Choice(p, id + " (" + probe.detail() + ")");
            }
        }
        throw new BackendUnavailableException("unknown backend '" + id + "'; expected auto or one of "
                + providers.stream().map(BackendProvider::id).collect(Collectors.joining(", ")));
    }

    public static Backend open(String id) {
        return open(id, BackendOptions.defaults());
    }

    public static Backend open(String id, BackendOptions options) {
        return choose(id).provider().open(options);
    }

    private static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class).forEach(list::add);
        list.sort(Comparator.comparingInt(BackendProvider::priority).reversed().thenComparing(BackendProvider::id));
        return list;
    }
}
