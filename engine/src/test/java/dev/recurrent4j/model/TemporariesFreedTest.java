package dev.recurrent4j.model;

import static dev.recurrent4j.testing.TensorAssert.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.testing.TestTensors;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link RecurrentNetwork}'s and {@link SequenceModel}'s forward and backward free their own temporaries (input
 * copies, sorted copies, the outputs of inner layers, masks, per-direction gradients, encoded tokens, the head's
 * gradients) as soon as nothing reads them, and nothing else: what they return, and what the caller
 * passed in, stays intact while later calls reuse the freed memory. Each case keeps the results of one
 * forward+backward, runs two more with other inputs (which write into whatever was freed), and compares the kept
 * results bit for bit with copies taken at once.
 */
class TemporariesFreedTest {

    static Stream<Arguments> networks() {
        return Stream.of(
                Arguments.of("LSTM, 2 layers, bidirectional, dropout, lengths unsorted",
                        RecurrentConfig.of(CellType.LSTM, 3, 4).withLayers(2).withBidirectional(true)
                                .withDropout(0.3), new int[] {2, 5, 3}),
                Arguments.of("GRU, batch-first, 2 layers, lengths unsorted",
                        RecurrentConfig.of(CellType.GRU, 3, 4).withLayers(2).withBatchFirst(true),
                        new int[] {3, 5, 1}),
                Arguments.of("RNN tanh, 1 layer, full lengths", RecurrentConfig.of(CellType.RNN_TANH, 3, 4), null),
                Arguments.of("LSTM, batch-first, bidirectional, full lengths",
                        RecurrentConfig.of(CellType.LSTM, 3, 4).withBidirectional(true).withBatchFirst(true), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void resultsAndInputsSurviveTheFreedTemporaries(String name, RecurrentConfig config, int[] lengths) {
        RecurrentNetwork network = RecurrentNetwork.initialize(config, 3);
        Random random = new Random(8);
        long steps = 5;
        long batch = 3;
        long layersByDirections = (long) config.numLayers() * config.directions();
        long outputWidth = (long) config.directions() * config.hiddenSize();
        long[] xShape = config.batchFirst() ? new long[] {batch, steps, 3} : new long[] {steps, batch, 3};
        long[] outShape = config.batchFirst() ? new long[] {batch, steps, outputWidth}
                : new long[] {steps, batch, outputWidth};
        INDArray x = TestTensors.normal(random, DataType.FLOAT, 1.0, xShape);
        RecurrentState initial = state(random, config, layersByDirections, batch);
        INDArray dOutput = TestTensors.normal(random, DataType.FLOAT, 1.0, outShape);
        RecurrentState dFinal = state(random, config, layersByDirections, batch);
        Map<String, INDArray> callerArrays = new LinkedHashMap<>(Map.of("x", x, "dOutput", dOutput));
        putState(callerArrays, "initial state", initial);
        putState(callerArrays, "dFinalState", dFinal);
        Map<String, INDArray> callerCopies = copies(callerArrays);

        ForwardResult forward = network.forward(x, initial, lengths, ForwardOptions.training(11));
        Gradients gradients = network.backward(forward, dOutput, dFinal);
        forward.close();
        Map<String, INDArray> results = new LinkedHashMap<>(gradients.byTorchName());
        results.put("output", forward.output());
        results.put("dx", gradients.input());
        putState(results, "final state", forward.finalState());
        putState(results, "d initial state", gradients.initialState());
        Map<String, INDArray> resultCopies = copies(results);

        for (int round = 0; round < 2; round++) { // reuses whatever the first call freed
            INDArray otherX = TestTensors.normal(random, DataType.FLOAT, 2.0, xShape);
            INDArray otherDOutput = TestTensors.normal(random, DataType.FLOAT, 2.0, outShape);
            try (ForwardResult other = network.forward(otherX, null, lengths, ForwardOptions.training(12));
                    Gradients otherGradients = network.backward(other, otherDOutput, null)) {
                assertFalse(otherGradients.input().wasClosed());
            }
        }

        assertIntact("", results, resultCopies);
        assertIntact("the caller's ", callerArrays, callerCopies);
    }

    private static RecurrentState state(Random random, RecurrentConfig config, long rows, long batch) {
        INDArray h = TestTensors.normal(random, DataType.FLOAT, 1.0, rows, batch, config.hiddenSize());
        INDArray c = config.cell().hasCellState()
                ? TestTensors.normal(random, DataType.FLOAT, 1.0, rows, batch, config.hiddenSize()) : null;
        return new RecurrentState(h, c);
    }

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("embedding, LSTM, per step", InputEncoding.embedding(6, 3), CellType.LSTM,
                        HeadKind.PER_STEP),
                Arguments.of("one-hot, GRU bidirectional, last step", InputEncoding.oneHot(6), CellType.GRU,
                        HeadKind.LAST_STEP),
                Arguments.of("dense, RNN tanh, last step", InputEncoding.dense(3), CellType.RNN_TANH,
                        HeadKind.LAST_STEP));
    }

    /** The same for {@link SequenceModel}: its encoder's and head's temporaries go, its results stay. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void modelResultsAndInputsSurviveTheFreedTemporaries(String name, InputEncoding input, CellType cell,
            HeadKind head) {
        RecurrentConfig rnn = RecurrentConfig.of(cell, input.features(), 4).withBidirectional(cell == CellType.GRU);
        SequenceModel model = SequenceModel.initialize(new SequenceModelConfig(input, rnn, head, 2), 4);
        Random random = new Random(9);
        int[] lengths = {3, 5, 2};
        SequenceBatch batch = input.takesTokens()
                ? SequenceBatch.tokens(new int[] {1, 4, 0}, new int[] {3, 3, 5, 2, 1}, new int[] {0, 2})
                : SequenceBatch.dense(TestTensors.normal(random, DataType.FLOAT, 1.0, 5, 3, 3), lengths);
        long states = rnn.directions();
        INDArray dOutput = TestTensors.normal(random, DataType.FLOAT, 1.0,
                head == HeadKind.PER_STEP ? new long[] {5, 3, 2} : new long[] {3, 2});
        RecurrentState dFinal = state(random, rnn, states, 3);
        Map<String, INDArray> callerArrays = new LinkedHashMap<>(Map.of("dOutput", dOutput));
        putState(callerArrays, "dFinalState", dFinal);
        if (!input.takesTokens()) {
            callerArrays.put("features", batch.features());
        }
        Map<String, INDArray> callerCopies = copies(callerArrays);

        ModelForward forward = model.forward(batch, null, ForwardOptions.EVAL);
        ModelGradients gradients = model.backward(forward, dOutput, dFinal);
        forward.close();
        Map<String, INDArray> results = new LinkedHashMap<>(gradients.parameters().byName());
        results.put("output", forward.output());
        results.put("recurrent output", forward.recurrentOutput());
        putState(results, "final state", forward.finalState());
        putState(results, "d initial state", gradients.initialState());
        if (gradients.input() != null) {
            results.put("dx", gradients.input());
        }
        Map<String, INDArray> resultCopies = copies(results);

        for (int round = 0; round < 2; round++) { // reuses whatever the first call freed
            try (ModelForward other = model.forward(batch, null, ForwardOptions.EVAL)) {
                model.backward(other, dOutput.mul(2.0), null);
            }
        }

        assertIntact("", results, resultCopies);
        assertIntact("the caller's ", callerArrays, callerCopies);
    }

    /** Each array still open and bit for bit its copy. */
    private static void assertIntact(String owner, Map<String, INDArray> arrays, Map<String, INDArray> copies) {
        arrays.forEach((key, array) -> {
            assertFalse(array.wasClosed(), owner + key + " was freed");
            assertSameBits(owner + key + " after later calls", copies.get(key), array);
        });
    }

    /** A state's h and c under {@code name + " h"} and {@code name + " c"}, where present. */
    private static void putState(Map<String, INDArray> arrays, String name, RecurrentState state) {
        arrays.put(name + " h", state.h());
        if (state.c() != null) {
            arrays.put(name + " c", state.c());
        }
    }

    private static Map<String, INDArray> copies(Map<String, INDArray> arrays) {
        Map<String, INDArray> copies = new LinkedHashMap<>();
        arrays.forEach((key, array) -> copies.put(key, array.dup()));
        return copies;
    }
}
