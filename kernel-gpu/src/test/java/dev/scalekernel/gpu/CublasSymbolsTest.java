package dev.scalekernel.gpu;

import org.junit.jupiter.api.Test;

import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.classfile.attribute.ConstantValueAttribute;
import java.lang.classfile.constantpool.IntegerEntry;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every symbol {@link Cublas} binds exists in cuBLAS 13 with the C signature its descriptor
 * assumes. The authority is JavaCPP's {@code org.bytedeco.cuda.global.cublas}, generated from the
 * CUDA 13.1 {@code cublas_api.h} (cuBLAS 13.2): one Java method per C function, same name, one
 * parameter per C parameter, {@code int} for C ints and enums, a Pointer/array/buffer for every C
 * pointer. The class is only reflected on, never initialised, so no native library is loaded.
 * (On a GPU machine, {@code new Cublas(path)} also resolves each symbol in the real library.)
 */
class CublasSymbolsTest {

    private static final String JAVACPP_CUBLAS = "org.bytedeco.cuda.global.cublas";

    @Test
    void everyBoundSymbolIsACublas13FunctionWithTheSameParameterKinds() throws ClassNotFoundException {
        Class<?> cublas = Class.forName(JAVACPP_CUBLAS, false, getClass().getClassLoader());
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, FunctionDescriptor> e : Cublas.SIGNATURES.entrySet()) {
            String name = e.getKey();
            List<String> expected = kinds(e.getValue());
            List<List<String>> overloads = Arrays.stream(cublas.getDeclaredMethods())
                    .filter(m -> m.getName().equals(name) && Modifier.isNative(m.getModifiers()))
                    .map(CublasSymbolsTest::kinds).toList();
            if (overloads.isEmpty()) {
                problems.add(name + ": not a cuBLAS 13 function");
            } else if (!overloads.contains(expected)) {
                problems.add(name + ": bound as " + expected + " but cuBLAS 13 declares " + overloads.getFirst());
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void theSymbolTableCoversWhatTheBackendCalls() {
        assertEquals(List.of("cublasCreate_v2", "cublasDestroy_v2", "cublasGetVersion_v2", "cublasSetStream_v2",
                "cublasSetMathMode", "cublasSgemm_v2", "cublasDgemm_v2", "cublasSgemv_v2", "cublasDgemv_v2",
                "cublasSsyrk_v2", "cublasDsyrk_v2"), List.copyOf(Cublas.SIGNATURES.keySet()));
        for (FunctionDescriptor d : Cublas.SIGNATURES.values()) {
            assertEquals(ValueLayout.JAVA_INT, d.returnLayout().orElseThrow(), "every cuBLAS call returns cublasStatus_t");
        }
    }

    @Test
    void statusNamesFollowTheHeader() {
        assertEquals("CUBLAS_STATUS_SUCCESS", Cublas.statusName(0));
        assertEquals("CUBLAS_STATUS_INVALID_VALUE", Cublas.statusName(7));
        assertEquals("CUBLAS_STATUS_EXECUTION_FAILED", Cublas.statusName(13));
        assertEquals("cublasStatus_t 99", Cublas.statusName(99));
        assertEquals("cublasSgemm_v2 returned CUBLAS_STATUS_ARCH_MISMATCH",
                new Cublas.CublasException("cublasSgemm_v2", 8).getMessage());
    }

    @Test
    void theConstantsMatchTheHeader() {
        // cublasOperation_t, cublasFillMode_t, cublasMath_t as in cublas_api.h (JavaCPP keeps them as int fields).
        assertEquals(constant("CUBLAS_OP_N"), Cublas.OP_N);
        assertEquals(constant("CUBLAS_OP_T"), Cublas.OP_T);
        assertEquals(constant("CUBLAS_FILL_MODE_LOWER"), Cublas.FILL_MODE_LOWER);
        assertEquals(constant("CUBLAS_DEFAULT_MATH"), Cublas.DEFAULT_MATH);
    }

    /** A compile-time constant of the JavaCPP class, read from its class file (reflection would initialise it and load natives). */
    private static int constant(String name) {
        try (var in = CublasSymbolsTest.class.getResourceAsStream("/" + JAVACPP_CUBLAS.replace('.', '/') + ".class")) {
            ClassModel model = ClassFile.of().parse(in.readAllBytes());
            for (FieldModel f : model.fields()) {
                if (f.fieldName().equalsString(name)) {
                    ConstantValueAttribute value = f.findAttribute(Attributes.constantValue()).orElseThrow();
                    return ((IntegerEntry) value.constant()).intValue();
                }
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError(name + " is not in " + JAVACPP_CUBLAS);
    }

    private static List<String> kinds(FunctionDescriptor d) {
        return d.argumentLayouts().stream().map(CublasSymbolsTest::kind).collect(Collectors.toList());
    }

    private static String kind(MemoryLayout layout) {
        if (layout.equals(ValueLayout.JAVA_INT)) {
            return "int";
        }
        if (layout instanceof java.lang.foreign.AddressLayout) {
            return "pointer";
        }
        return layout.toString();
    }

    private static List<String> kinds(Method m) {
        List<String> out = new ArrayList<>();
        for (Class<?> p : m.getParameterTypes()) {
            out.add(p == int.class ? "int" : p == long.class ? "long" : p.isPrimitive() ? p.getName() : "pointer");
        }
        assertEquals(int.class, m.getReturnType(), m + " does not return a status");
        return out;
    }
}
