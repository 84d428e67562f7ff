package dev.scalekernel.api;

/** Element type of a matrix. Every operand of one operation has the same dtype. */
public enum DType {
    F32(4),
    F64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Unit roundoff u = 2^-p: 2^-24 for fp32, 2^-53 for fp64. */
    public double unitRoundoff() {
        return this == F32 ? 0x1.0p-24 : 0x1.0p-53;
    }

    /** Rounds a double to this dtype (identity for F64). */
    public double round(double v) {
        return this == F32 ? (float) v : v;
    }

    /** Parses "f32"/"float32"/"fp32" or "f64"/"float64"/"fp64", case-insensitive. */
    public static DType parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "f32", "fp32", "float32", "float" -> F32;
            case "f64", "fp64", "float64", "double" -> F64;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "'; expected f32 or f64");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
