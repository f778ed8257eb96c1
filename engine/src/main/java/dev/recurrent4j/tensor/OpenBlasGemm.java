package dev.recurrent4j.tensor;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas.cblas_dgemv;
import static org.bytedeco.openblas.global.openblas.cblas_sgemm;
import static org.bytedeco.openblas.global.openblas.cblas_sgemv;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CBLAS calls on ND4J's CPU buffers, for {@link Blas}. Loaded only on the CPU backend, where nd4j-native has loaded
 * OpenBLAS. Matrices must be row-major with unit column stride (any row stride), as every buffer of the engine is.
 */
final class OpenBlasGemm {
    private OpenBlasGemm() {}

    static boolean accepts(INDArray a, INDArray b, INDArray c) {
        DataType type = c.dataType();
        return Blas.directType(type) && a.dataType() == type && b.dataType() == type
                && rowMajor(a) && rowMajor(b) && rowMajor(c);
    }

    /** Row-major with unit column stride: element (i, j) at offset + i * stride(0) + j. */
    private static boolean rowMajor(INDArray m) {
        return m.ordering() == 'c' && m.stride(1) == 1 && m.stride(0) >= Math.max(1, m.size(1));
    }

    static void gemm(INDArray a, boolean transposeA, INDArray b, boolean transposeB, double alpha, double beta,
            INDArray c) {
        int m = (int) c.size(0);
        int n = (int) c.size(1);
        int k = (int) a.size(transposeA ? 0 : 1);
        int lda = (int) a.stride(0);
        int ldb = (int) b.stride(0);
        int ldc = (int) c.stride(0);
        boolean single = c.dataType() == DataType.FLOAT;
        if (m == 1 && !transposeA) {
            // One row: y = op(b)^T x as a GEMV over b's rows; c's row is contiguous.
            int rows = (int) b.size(0);
            int cols = (int) b.size(1);
            int trans = transposeB ? CblasNoTrans : CblasTrans;
            if (single) {
                cblas_sgemv(CblasRowMajor, trans, rows, cols, (float) alpha, floats(b), ldb, floats(a), 1,
                        (float) beta, floats(c), 1);
            } else {
                cblas_dgemv(CblasRowMajor, trans, rows, cols, alpha, doubles(b), ldb, doubles(a), 1, beta,
                        doubles(c), 1);
            }
            return;
        }
        int opA = transposeA ? CblasTrans : CblasNoTrans;
        int opB = transposeB ? CblasTrans : CblasNoTrans;
        if (single) {
            cblas_sgemm(CblasRowMajor, opA, opB, m, n, k, (float) alpha, floats(a), lda, floats(b), ldb,
                    (float) beta, floats(c), ldc);
        } else {
            cblas_dgemm(CblasRowMajor, opA, opB, m, n, k, alpha, doubles(a), lda, doubles(b), ldb, beta,
                    doubles(c), ldc);
        }
    }

    /** One small product through both paths; true when they agree. */
    static boolean selfTest() {
        INDArray a = Nd4j.createFromArray(new float[][] {{1, 2, 3}, {4, 5, 6}});
        INDArray b = Nd4j.createFromArray(new float[][] {{1, 0, 2}, {0, 1, 3}});
        INDArray direct = Nd4j.create(DataType.FLOAT, 2, 2);
        gemm(a, false, b, true, 1.0, 0.0, direct);
        return direct.equalsWithEps(a.mmul(b.transpose()), 1e-6);
    }

    private static FloatPointer floats(INDArray m) {
        return new FloatPointer(m.data().addressPointer()).position(offsetInBuffer(m));
    }

    private static DoublePointer doubles(INDArray m) {
        return new DoublePointer(m.data().addressPointer()).position(offsetInBuffer(m));
    }

    /**
     * Where the array starts relative to its buffer's address pointer. A view made by {@code slice} gets a buffer
     * whose address already includes the buffer's own offset, while {@code offset()} counts from the original
     * buffer; other views share the original buffer (buffer offset 0).
     */
    private static long offsetInBuffer(INDArray m) {
        return m.offset() - m.data().offset();
    }
}
