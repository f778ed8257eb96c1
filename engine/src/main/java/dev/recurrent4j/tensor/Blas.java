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
            OpenBlasGemm.gemm(OpenBlasGemm.region(a), transposeA, OpenBlasGemm.region(b), transposeB, alpha, beta,
                    OpenBlasGemm.region(c));
        } else {
            Nd4j.gemm(a, b, c, transposeA, transposeB, alpha, beta);
        }
    }

    /**
     * {@code c = alpha * op(a) op(b) + beta * c} on regions: straight to OpenBLAS where it can, else through
     * {@code Nd4j.gemm} on views of the regions. Shapes as in {@link #gemm(INDArray, boolean, INDArray, boolean,
     * double, double, INDArray)}.
     */
    public static void gemm(MatrixRegion a, boolean transposeA, MatrixRegion b, boolean transposeB, double alpha,
            double beta, MatrixRegion c) {
        assert (transposeA ? a.rows() : a.cols()) == (transposeB ? b.cols() : b.rows()) : "inner dimensions differ";
        if (DIRECT && OpenBlasGemm.accepts(a, b, c)) {
            OpenBlasGemm.gemm(a, transposeA, b, transposeB, alpha, beta, c);
        } else {
            Nd4j.gemm(a.view(), b.view(), c.view(), transposeA, transposeB, alpha, beta);
        }
    }

    /**
     * Copies {@code source} into {@code target} (same shape and data type): a memory copy on the CPU backend, an
     * ND4J assign on views elsewhere.
     */
    public static void copy(MatrixRegion source, MatrixRegion target) {
        assert source.rows() == target.rows() && source.cols() == target.cols() : "copy between different shapes";
        if (source.length() == 0) {
            return;
        }
        if (DIRECT) {
            NativeBuffer from = source.buffer();
            NativeBuffer to = target.buffer();
            to.bytes().put(to.byteIndex(target.offset()), from.bytes(), from.byteIndex(source.offset()),
                    Math.toIntExact(source.length() * from.dataType().width()));
        } else {
            target.view().assign(source.view());
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
