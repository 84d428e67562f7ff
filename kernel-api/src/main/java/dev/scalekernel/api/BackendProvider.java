package dev.scalekernel.api;

/**
 * A backend implementation, found by {@link java.util.ServiceLoader}. Constructors must be trivial:
 * native libraries, incubator modules and devices are touched only inside {@link #probe()} and
 * {@link #open}.
 */
public interface BackendProvider {

    /** Short stable id used on the command line: "reference", "cpu", "gpu". */
    String id();

    /** Higher wins when "auto" chooses among available backends. */
    int priority();

    /** Cheap check whether this backend can run here. Never throws; the reason says how to fix it. */
    ProbeResult probe();

    /** Opens a backend. Call only after an available probe. */
    Backend open(BackendOptions options);
}
