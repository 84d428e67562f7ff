package dev.scalekernel.api;

/**
 * What a backend is and how it runs, for provenance.
 *
 * @param id          the provider id ("reference", "cpu", "gpu")
 * @param description one line, e.g. "Vector API, 512-bit (16 fp32 lanes), 2 threads"
 * @param threads     threads it computes with
 * @param options     the options it was opened with
 */
public record BackendInfo(String id, String description, int threads, BackendOptions options) {
}
