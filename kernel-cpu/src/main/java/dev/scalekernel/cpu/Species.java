package dev.scalekernel.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes every kernel uses, in the one class that touches the incubator module first.
 * It is loaded only after {@link CpuProvider#probe()} found the module in the boot layer (or
 * inside its {@code catch (Throwable)}), so a JVM without the module never fails to link a kernel.
 */
final class Species {
    /** The widest fp32 shape C2 compiles to single instructions here (16 lanes with AVX-512). */
    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_PREFERRED;
    /** The fp64 twin of {@link #F32}: same bit width, half the lanes. */
    static final VectorSpecies<Double> F64 = DoubleVector.SPECIES_PREFERRED;
    /**
     * fp32 lanes as many as {@link #F64}'s, at half its width: widening one such vector gives
     * exactly one F64 vector (how fp32 activations are evaluated in double).
     */
    static final VectorSpecies<Float> F32_FOR_F64 = VectorSpecies.of(float.class,
            VectorShape.forBitSize(F64.vectorBitSize() / 2));
    /** 32-bit integer lanes of {@link #F32}'s shape: the bits of fp32 lanes. */
    static final VectorSpecies<Integer> I32 = IntVector.SPECIES_PREFERRED;
    /** 64-bit integer lanes of {@link #F64}'s shape: the bits of fp64 lanes, Philox blocks (RandomFill). */
    static final VectorSpecies<Long> I64 = LongVector.SPECIES_PREFERRED;

    private Species() {
    }

    static int bits() {
        return F32.vectorBitSize();
    }
}
