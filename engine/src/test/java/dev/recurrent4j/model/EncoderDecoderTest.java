package dev.recurrent4j.model;

import static dev.recurrent4j.model.SequenceModelGradientCheckTest.compare;
import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static dev.recurrent4j.testing.TestTensors.dot;
import static dev.recurrent4j.testing.TestTensors.normal;
import static dev.recurrent4j.testing.TestTensors.plus;
import static dev.recurrent4j.testing.TestTensors.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The encoder–decoder: finite-difference gradients (float64) through decoder, initial state and encoder or bridge;
 * the step-by-step decoder equals the teacher-forced forward; greedy decoding equals beam search of width 1.
 */
class EncoderDecoderTest {
    private static final int H = 4;
    private static final int V_OUT = 6;

    private static SequenceModelConfig decoder(CellType cell, int layers) {
        return new SequenceModelConfig(InputEncoding.embedding(V_OUT, 3),
                RecurrentConfig.of(cell, 3, H).withLayers(layers).withDataType(DataType.DOUBLE), HeadKind.PER_STEP,
                V_OUT);
    }

    private static final EncoderDecoderConfig SEQ2SEQ = EncoderDecoderConfig.sequenceToSequence(
            InputEncoding.embedding(5, 2), RecurrentConfig.of(CellType.GRU, 2, H).withLayers(2)
                    .withDataType(DataType.DOUBLE), decoder(CellType.GRU, 2));
    private static final EncoderDecoderConfig ONE_TO_MANY = EncoderDecoderConfig.vectorToSequence(3,
            decoder(CellType.LSTM, 2));

    private static final SequenceBatch SOURCE = SequenceBatch.tokens(new int[] {1, 2, 3}, new int[] {4, 0});
    private static final SequenceBatch TARGET_IN = SequenceBatch.tokens(new int[] {0, 5, 2, 1}, new int[] {0, 3});

    private static SequenceBatch vectors() {
        return SequenceBatch.dense(normal(new Random(3), DataType.DOUBLE, 1.0, 1, 2, 3), null);
    }

    @Test
    void sequenceToSequenceGradientsMatchFiniteDifferences() {
        check(SEQ2SEQ, SOURCE, 4);
    }

    @Test
    void oneToManyGradientsMatchFiniteDifferences() {
        check(ONE_TO_MANY, vectors(), 5);
    }

    private static void check(EncoderDecoderConfig config, SequenceBatch source, long seed) {
        Map<String, INDArray> stateDict = EncoderDecoder.initialize(config, seed).toStateDict();
        INDArray gOut = normal(new Random(seed), DataType.DOUBLE, 1.0, 4, 2, V_OUT);
        EncoderDecoder model = EncoderDecoder.fromStateDict(config, stateDict);
        ModelParameters g = model.backward(model.forward(source, TARGET_IN, ForwardOptions.EVAL), gOut);
        assertEquals(stateDict.keySet(), g.names());
        Random random = new Random(seed);
        for (String name : stateDict.keySet()) {
            double[] an = values(g.get(name));
            for (int sample = 0; sample < 4; sample++) {
                int index = random.nextInt(an.length);
                double fd = (loss(config, stateDict, name, plus(stateDict.get(name), index, 1e-6), source, gOut)
                        - loss(config, stateDict, name, plus(stateDict.get(name), index, -1e-6), source, gOut)) / 2e-6;
                compare(config.vectorSource() + " " + name + " at " + index, fd, an[index]);
            }
        }
    }

    private static double loss(EncoderDecoderConfig config, Map<String, INDArray> stateDict, String name,
            INDArray changed, SequenceBatch source, INDArray gOut) {
        Map<String, INDArray> parameters = new LinkedHashMap<>(stateDict);
        parameters.put(name, changed);
        return dot(EncoderDecoder.fromStateDict(config, parameters).forward(source, TARGET_IN, null).output(), gOut);
    }

    /** Feeding the teacher-forced inputs one step at a time gives the forward's logits. */
    @Test
    void steppingTheDecoderEqualsTheTeacherForcedForward() {
        EncoderDecoder model = EncoderDecoder.initialize(SEQ2SEQ, 8);
        SequenceBatch full = SequenceBatch.tokens(new int[] {0, 5, 2, 1}, new int[] {0, 3, 3, 4});
        INDArray logits = model.forward(SOURCE, full, null).output();
        RecurrentState state = model.encode(SOURCE);
        ModelStepper stepper = model.decoder().newStepper(2);
        for (int t = 0; t < 4; t++) {
            INDArray step = stepper.step(new int[] {full.tokens()[0][t], full.tokens()[1][t]}, state);
            assertClose("logits at step " + t, logits.slice(t), step, 1e-12);
        }
    }

    @Test
    void beamSearchOfWidthOneIsGreedy() {
        EncoderDecoder model = EncoderDecoder.initialize(SEQ2SEQ, 9);
        SequenceBatch one = SequenceBatch.tokens(new int[] {1, 2, 3});
        int[] greedy = model.greedyDecode(one, 0, 1, 7)[0];
        List<EncoderDecoder.Hypothesis> beam = model.beamSearch(one, 0, 1, 1, 7);
        assertArrayEquals(greedy, beam.get(0).tokens());
        List<EncoderDecoder.Hypothesis> wide = model.beamSearch(one, 0, 1, 3, 7);
        assertTrue(wide.get(0).logProbability() >= beam.get(0).logProbability() - 1e-12
                || wide.get(0).tokens().length != beam.get(0).tokens().length,
                "a wider beam finds a hypothesis at least as probable among those of the same length");
        for (int k = 1; k < wide.size(); k++) {
            assertTrue(wide.get(k - 1).logProbability() >= wide.get(k).logProbability(), "sorted best first");
        }
    }

    @Test
    void mismatchedEncoderIsRejected() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> EncoderDecoderConfig.sequenceToSequence(InputEncoding.embedding(5, 2),
                        RecurrentConfig.of(CellType.LSTM, 2, H).withDataType(DataType.DOUBLE),
                        decoder(CellType.GRU, 1)));
        assertTrue(e.getMessage().contains("encoder") && e.getMessage().contains("GRU"), e.getMessage());
    }
}
