package dev.scalekernel.cpu;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;
import java.util.Optional;

/** HotSpot options the probe and the FMA choice depend on; empty on JVMs that do not expose them. */
final class JvmFlags {

    private JvmFlags() {
    }

    /** The value of a HotSpot -XX option, or empty when this JVM has no such option or no diagnostic bean. */
    static Optional<String> option(String name) {
        try {
            HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return bean == null ? Optional.empty() : Optional.of(bean.getVMOption(name).getValue());
        } catch (RuntimeException | LinkageError e) {
            return Optional.empty(); // not HotSpot, or java.management / jdk.management left out of the image
        }
    }

    /**
     * Why C2 cannot compile vector code here, or empty when it can: the Vector API without C2 runs
     * its Java fallback, orders of magnitude slower than scalar loops (Lucene's
     * VectorizationProvider refuses it for the same reason).
     */
    static Optional<String> missingC2() {
        String info = System.getProperty("java.vm.info", "");
        if (info.contains("interpreted mode")) {
            return Optional.of("the JVM runs interpreted only (-Xint); remove -Xint so that C2 compiles the vector"
                    + " kernels");
        }
        if (info.contains("emulated-client")) {
            return Optional.of("the JVM emulates a client VM without C2; remove -XX:+NeverActAsServerClassMachine or "
                    + "-XX:TieredStopAtLevel so that C2 compiles the vector kernels");
        }
        Optional<String> stop = option("TieredStopAtLevel");
        if (stop.isPresent() && option("TieredCompilation").map(Boolean::parseBoolean).orElse(true)) {
            try {
                if (Integer.parseInt(stop.get()) < 4) {
                    return Optional.of("C2 is disabled (-XX:TieredStopAtLevel=" + stop.get()
                            + "); remove the flag so that C2 compiles the vector kernels");
                }
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        if (option("UseCompiler").map(v -> !Boolean.parseBoolean(v)).orElse(false)) {
            return Optional.of("the JIT compiler is off (-XX:-UseCompiler); remove the flag so that C2 compiles the"
                    + " vector kernels");
        }
        return Optional.empty();
    }

    /** Whether HotSpot uses FMA instructions (x86 FMA3 / AArch64); assumed when the JVM does not say. */
    static boolean hardwareFma() {
        return option("UseFMA").map(Boolean::parseBoolean).orElse(true);
    }
}
