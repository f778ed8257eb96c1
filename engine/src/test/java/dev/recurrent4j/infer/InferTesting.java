package dev.recurrent4j.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import dev.recurrent4j.testing.TestTensors;
import java.util.Arrays;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Small models and exact comparisons shared by the inference tests. */
final class InferTesting {
    private InferTesting() {}

    /** A unidirectional model with a linear head of {@code outputs} (0 for none), seeded. */
    static InferenceModel model(CellType cell, int inputSize, int hidden, int layers, int outputs, DataType type,
            long seed) {
        RecurrentNetwork net = RecurrentNetwork.initialize(RecurrentConfig.of(cell, inputSize, hidden)
                .withLayers(layers).withDataType(type), seed);
        if (outputs == 0) {
            return InferenceModel.of(net);
        }
        Random random = new Random(seed + 1);
        return InferenceModel.of(net, LinearHead.of(TestTensors.normal(random, type, 0.5, outputs, hidden),
                TestTensors.normal(random, type, 0.1, outputs)));
    }

    /** {@code max |a - b| / max(max|a|, 1e-12)}. */
    static double relativeError(double[] expected, double[] actual) {
        double worst = 0;
        double scale = 1e-12;
        for (int k = 0; k < expected.length; k++) {
            worst = Math.max(worst, Math.abs(expected[k] - actual[k]));
            scale = Math.max(scale, Math.abs(expected[k]));
        }
        return worst / scale;
    }

    static double[] randomVector(Random random, int n) {
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            v[k] = random.nextGaussian();
        }
        return v;
    }
}
