package dev.recurrent4j.train;

import static dev.recurrent4j.testing.TestTensors.normal;
import static dev.recurrent4j.testing.TestTensors.plus;
import static dev.recurrent4j.testing.TestTensors.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The losses' gradients against central finite differences of their mean loss, in float64, every entry (the
 * arrays are small), relative error 1e-6 with an absolute floor of 1e-3 on the scale (the gradients are of order
 * 1e-2..1e-1; the difference quotient's noise is ~1e-10). Padded steps must get exactly 0. Plus values worked out
 * by hand.
 */
class LossGradientCheckTest {
    private static final double EPS = 1e-6;
    private static final int[][] TARGETS = {{1, 0, 3}, {2}, {0, 4}}; // B = 3, lengths 3, 1, 2; T = 3, V = 5

    @Test
    void crossEntropyPerStep() {
        INDArray logits = normal(new Random(1), DataType.DOUBLE, 2.0, 3, 3, 5);
        check("perStep", logits, l -> SoftmaxCrossEntropy.perStep(l, TARGETS));
        INDArray gradient = SoftmaxCrossEntropy.perStep(logits, TARGETS).gradient();
        assertEquals(0.0, gradient.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1),
                org.nd4j.linalg.indexing.NDArrayIndex.point(1), org.nd4j.linalg.indexing.NDArrayIndex.all())
                .amaxNumber().doubleValue(), "padded step (t=1, b=1) gets no gradient");
    }

    @Test
    void crossEntropyPerSequence() {
        INDArray logits = normal(new Random(2), DataType.DOUBLE, 2.0, 4, 3);
        check("perSequence", logits, l -> SoftmaxCrossEntropy.perSequence(l, new int[] {2, 0, 1, 1}));
    }

    @Test
    void meanSquaredErrorPerStepWithPadding() {
        INDArray predictions = normal(new Random(3), DataType.DOUBLE, 1.0, 3, 2, 2);
        INDArray targets = normal(new Random(4), DataType.DOUBLE, 1.0, 3, 2, 2);
        check("mse", predictions, p -> MeanSquaredError.of(p, targets, new int[] {3, 1}));
    }

    @Test
    void valuesWorkedOutByHand() {
        LossResult uniform = SoftmaxCrossEntropy.perSequence(Nd4j.zeros(DataType.DOUBLE, 2, 4), new int[] {0, 3});
        assertEquals(Math.log(4), uniform.loss(), 1e-12);
        assertEquals(4.0, uniform.metrics().get(Metrics.PERPLEXITY), 1e-12);
        INDArray confident = Nd4j.create(new double[][] {{10, 0}, {0, 10}});
        assertEquals(0.5, SoftmaxCrossEntropy.perSequence(confident, new int[] {0, 0}).metrics()
                .get(Metrics.ACCURACY), 1e-12);
        LossResult mse = MeanSquaredError.of(Nd4j.create(new double[][] {{1, 2}}), Nd4j.create(new double[][] {{0, 4}}),
                null);
        assertEquals(2.5, mse.loss(), 1e-12);
        assertEquals(1.5, mse.metrics().get(Metrics.MAE), 1e-12);
        assertEquals(Math.sqrt(2.5), mse.metrics().get(Metrics.RMSE), 1e-12);
    }

    @Test
    void badTargetsAreRejected() {
        INDArray logits = Nd4j.zeros(DataType.FLOAT, 2, 1, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.perStep(logits, new int[][] {{0, 3}}));
        assertEquals("targets[0][1]: expected a class id in 0..2 but was 3", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> MeanSquaredError.of(Nd4j.zeros(2, 1), Nd4j.zeros(2, 2), null));
    }

    private static void check(String name, INDArray input, Function<INDArray, LossResult> loss) {
        double[] analytic = values(loss.apply(input).gradient());
        for (int k = 0; k < analytic.length; k++) {
            double fd = (loss.apply(plus(input, k, EPS)).loss() - loss.apply(plus(input, k, -EPS)).loss()) / (2 * EPS);
            double scale = Math.max(Math.max(Math.abs(fd), Math.abs(analytic[k])), 1e-3);
            if (!(Math.abs(fd - analytic[k]) / scale <= 1e-6)) {
                fail(String.format("%s at %d: finite difference %.12g but gradient %.12g", name, k, fd, analytic[k]));
            }
        }
    }
}
