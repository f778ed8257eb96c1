package dev.recurrent4j.tensor;

import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The direct OpenBLAS path equals {@code Nd4j.gemm} on every operand layout the engine hands it: whole matrices,
 * slices of 3-D buffers (whose data buffers carry their own offset), row blocks, one-row products (GEMV) and
 * transposed operands; and it writes nothing outside the output.
 */
class BlasTest {

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void directEqualsNd4j(DataType type) {
        assertTrue(Blas.direct(), "the CPU test JVM must exercise the direct path");
        Random random = new Random(9);
        INDArray weights = TestTensors.normal(random, type, 1.0, 12, 5);     // [N=12, K=5]
        INDArray inputs = TestTensors.normal(random, type, 1.0, 6, 3, 5);    // slices [3, K]
        INDArray outputs = TestTensors.normal(random, type, 1.0, 6, 3, 12);  // slices [3, N]
        INDArray before = outputs.dup();

        for (int rows = 1; rows <= 3; rows++) {
            INDArray a = inputs.slice(4).get(NDArrayIndex.interval(0, rows), NDArrayIndex.all());
            INDArray c = outputs.slice(2).get(NDArrayIndex.interval(0, rows), NDArrayIndex.all());
            INDArray expected = c.dup();
            Nd4j.gemm(a.dup(), weights, expected, false, true, 0.5, 1.0);
            Blas.gemm(a, false, weights, true, 0.5, 1.0, c);
            assertClose("a w^T, rows=" + rows, expected, c, 1e-6);

            INDArray back = TestTensors.normal(random, type, 1.0, rows, 5).mul(0);
            Blas.gemm(c, false, weights, false, 1.0, 0.0, back);
            assertClose("c w, rows=" + rows, c.mmul(weights), back, 1e-6);
        }
        // Only slice 2 of the output buffer may have changed.
        for (int t = 0; t < 6; t++) {
            if (t != 2) {
                assertClose("untouched slice " + t, before.slice(t), outputs.slice(t), 0.0);
            }
        }

        INDArray flat = inputs.reshape(18, 5);
        INDArray gradient = TestTensors.normal(random, type, 1.0, 18, 12);
        INDArray weightGradient = Nd4j.create(type, 12, 5);
        Blas.gemm(gradient, true, flat, false, 1.0, 0.0, weightGradient);
        assertClose("g^T x", gradient.transpose().mmul(flat), weightGradient, 1e-6);
    }

    /**
     * {@code linear} adds the bias to every row, for row counts that end inside the first doubling, on a block
     * boundary and part-way through a block, into a slice of a larger buffer whose neighbours stay untouched.
     */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void linearAddsTheBiasToEveryRow(DataType type) {
        Random random = new Random(11);
        for (int[] shape : new int[][] {{1, 7, 300}, {3, 7, 300}, {37, 7, 300}, {64, 7, 300}, {5000, 4, 3}}) {
            int rows = shape[0];
            int inner = shape[1];
            int cols = shape[2];
            INDArray x = TestTensors.normal(random, type, 1.0, rows, inner);
            INDArray weight = TestTensors.normal(random, type, 1.0, cols, inner);
            INDArray bias = TestTensors.normal(random, type, 1.0, cols);
            INDArray buffer = TestTensors.normal(random, type, 1.0, 3, rows, cols);
            INDArray before = buffer.dup();
            INDArray out = buffer.slice(1);

            Blas.linear(x, weight, bias, out);

            INDArray expected = x.castTo(DataType.DOUBLE).mmul(weight.castTo(DataType.DOUBLE).transpose())
                    .addiRowVector(bias.castTo(DataType.DOUBLE));
            String name = rows + " rows of " + cols;
            assertClose(name, expected, out.castTo(DataType.DOUBLE), type == DataType.FLOAT ? 1e-5 : 1e-12);
            assertClose(name + ", slice 0 untouched", before.slice(0), buffer.slice(0), 0.0);
            assertClose(name + ", slice 2 untouched", before.slice(2), buffer.slice(2), 0.0);

            Blas.linear(x, weight, null, out);
            assertClose(name + ", no bias", expected.subiRowVector(bias.castTo(DataType.DOUBLE)),
                    out.castTo(DataType.DOUBLE), type == DataType.FLOAT ? 1e-5 : 1e-12);
        }
    }
}
