package dev.scalekernel.api;

/**
 * Whether a backend can run here. When it cannot, {@code detail} says why and how to fix it;
 * when it can, it says what was found (e.g. "AVX-512, 16 fp32 lanes, 2 cores").
 */
public record ProbeResult(boolean available, String detail) {
    public static ProbeResult available(String detail) {
        return new ProbeResult(true, detail);
    }

    public static ProbeResult unavailable(String reason) {
        return new ProbeResult(false, reason);
    }
}
