package dev.scalekernel.cpu;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.conformance.BackendConformanceTest;

class CpuConformanceTest extends BackendConformanceTest {
    @Override
    protected Backend open(BackendOptions options) {
        return new CpuBackend(options);
    }
}
