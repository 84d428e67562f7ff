package dev.scalekernel.api.reference;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.conformance.BackendConformanceTest;

class ReferenceConformanceTest extends BackendConformanceTest {
    @Override
    protected Backend open(BackendOptions options) {
        return new ReferenceBackend(options);
    }
}
