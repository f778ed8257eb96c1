package dev.recurrent4j.tensor;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.LoggerFactory;

/**
 * Matrix products into preallocated outputs: {@code C = alpha * op(A) op(B) + beta * C}.
 *
 * <p>On ND4J's CPU backend, float32 and float64 products of row-major matrices go straight to the OpenBLAS that
 * nd4j-native loads ({@link OpenBlasGemm}), which costs a few microseconds of dispatch where {@code Nd4j.gemm} costs
 * tens, and a one-row product becomes a GEMV (ten times cheaper than a one-row GEMM). Anything else (another
 * backend, another layout) goes through {@code Nd4j.gemm}. Both give the same products up to rounding; the
 * engine's parity and equivalence tests run through here.
 */
public final class Blas {
    private static final boolean DIRECT = detect();

    private Blas() {}

    /**
     * {@code c = alpha * op(a) op(b) + beta * c}.
     *
     * @param a {@code [M, K]} ({@code [K, M]} when {@code transposeA}); not mutated
     * @param b {@code [K, N]} ({@code [N, K]} when {@code transposeB}); not mutated
     * @param c {@code [M, N]}, element-wise stride 1; overwritten (accumulated into when {@code beta != 0})
     */
    public static void gemm(INDArray a, boolean transposeA, INDArray b, boolean transposeB, double alpha,
            double beta, INDArray c) {
        assert a.rank() == 2 && b.rank() == 2 && c.rank() == 2 : "gemm takes matrices";
        assert a.size(transposeA ? 0 : 1) == b.size(transposeB ? 1 : 0) : "inner dimensions differ";
        if (DIRECT && OpenBlasGemm.accepts(a, b, c)) {
            OpenBlasGemm.gemm(a, transposeA, b, transposeB, alpha, beta, c);
        } else {
            Nd4j.gemm(a, b, c, transposeA, transposeB, alpha, beta);
        }
    }

    /** Whether products go straight to OpenBLAS in this JVM. */
    public static boolean direct() {
        return DIRECT;
    }

    private static boolean detect() {
        if (!Boolean.parseBoolean(System.getProperty("recurrent4j.directBlas", "true"))) {
            return false;
        }
        if (!Nd4j.getBackend().getClass().getSimpleName().equals("CpuBackend")
                || !Nd4j.factory().blas().getBlasVendor().name().equals("OPENBLAS")) {
            return false;
        }
        try {
            return OpenBlasGemm.selfTest();
        } catch (LinkageError | RuntimeException e) {
            LoggerFactory.getLogger(Blas.class).info("Direct OpenBLAS calls unavailable ({}); using Nd4j.gemm", e.toString());
            return false;
        }
    }

    /** Types the direct path handles. */
    static boolean directType(DataType type) {
        return type == DataType.FLOAT || type == DataType.DOUBLE;
    }
}
