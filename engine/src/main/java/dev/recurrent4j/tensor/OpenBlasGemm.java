package dev.recurrent4j.tensor;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas.cblas_dgemv;
import static org.bytedeco.openblas.global.openblas.cblas_sgemm;
import static org.bytedeco.openblas.global.openblas.cblas_sgemv;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CBLAS calls on ND4J's CPU buffers, for {@link Blas}. Loaded only on the CPU backend, where nd4j-native has loaded
 * OpenBLAS. Operands are row-major regions ({@link MatrixRegion}), rows {@code cols} apart.
 */
final class OpenBlasGemm {
    private OpenBlasGemm() {}

    static boolean accepts(INDArray a, INDArray b, INDArray c) {
        DataType type = c.dataType();
        return Blas.directType(type) && a.dataType() == type && b.dataType() == type
                && denseRows(a) && denseRows(b) && denseRows(c);
    }

    static boolean accepts(MatrixRegion a, MatrixRegion b, MatrixRegion c) {
        DataType type = c.buffer().dataType();
        return Blas.directType(type) && a.buffer().dataType() == type && b.buffer().dataType() == type;
    }

    /** A 2-D 'c' array with rows packed back to back: exactly a region. */
    private static boolean denseRows(INDArray m) {
        return m.rank() == 2 && m.ordering() == 'c' && (m.length() <= 1 || m.elementWiseStride() == 1);
    }

    static MatrixRegion region(INDArray matrix) {
        return MatrixRegion.of(matrix);
    }

    static void gemm(MatrixRegion a, boolean transposeA, MatrixRegion b, boolean transposeB, double alpha,
            double beta, MatrixRegion c) {
        int m = (int) c.rows();
        int n = (int) c.cols();
        int k = (int) (transposeA ? a.rows() : a.cols());
        int lda = (int) a.cols();
        int ldb = (int) b.cols();
        int ldc = (int) c.cols();
        boolean single = c.buffer().dataType() == DataType.FLOAT;
        if (m == 1 && !transposeA) {
            // One row: y = op(b)^T x as a GEMV over b's rows; a's and c's rows are contiguous.
            int trans = transposeB ? CblasNoTrans : CblasTrans;
            if (single) {
                cblas_sgemv(CblasRowMajor, trans, (int) b.rows(), (int) b.cols(), (float) alpha, floats(b, 1), ldb,
                        floats(a, 0), 1, (float) beta, floats(c, 2), 1);
            } else {
                cblas_dgemv(CblasRowMajor, trans, (int) b.rows(), (int) b.cols(), alpha, doubles(b, 1), ldb,
                        doubles(a, 0), 1, beta, doubles(c, 2), 1);
            }
            return;
        }
        int opA = transposeA ? CblasTrans : CblasNoTrans;
        int opB = transposeB ? CblasTrans : CblasNoTrans;
        if (single) {
            cblas_sgemm(CblasRowMajor, opA, opB, m, n, k, (float) alpha, floats(a, 0), lda, floats(b, 1), ldb,
                    (float) beta, floats(c, 2), ldc);
        } else {
            cblas_dgemm(CblasRowMajor, opA, opB, m, n, k, alpha, doubles(a, 0), lda, doubles(b, 1), ldb, beta,
                    doubles(c, 2), ldc);
        }
    }

    /** One small product through both paths, slices included; true when they agree. */
    static boolean selfTest() {
        INDArray a = Nd4j.createFromArray(new float[][][] {{{9, 9, 9}}, {{1, 2, 3}}}).reshape(2, 1, 3).slice(1);
        INDArray b = Nd4j.createFromArray(new float[][] {{1, 0, 2}, {0, 1, 3}});
        INDArray direct = Nd4j.create(DataType.FLOAT, 1, 2);
        gemm(region(a), false, region(b), true, 1.0, 0.0, region(direct));
        return direct.equalsWithEps(Nd4j.createFromArray(new float[][] {{7, 11}}), 1e-6);
    }

    private static org.bytedeco.javacpp.FloatPointer floats(MatrixRegion r, int slot) {
        return r.buffer().floatsAt(r.offset(), slot);
    }

    private static org.bytedeco.javacpp.DoublePointer doubles(MatrixRegion r, int slot) {
        return r.buffer().doublesAt(r.offset(), slot);
    }
}
