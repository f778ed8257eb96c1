package dev.recurrent4j.model;

import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static dev.recurrent4j.testing.TestTensors.normal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every bad argument at the public boundary is rejected with an {@link IllegalArgumentException} whose message
 * names the argument, what was expected and what was given (STYLE.md point 7), before any arithmetic. Each test
 * asserts on those three parts of the message, not on its exact wording.
 *
 * <p>Unless stated otherwise the network is a float64 LSTM with I=3, H=4, 2 layers, bidirectional (so the state
 * is {@code [L*D=4, B, H=4]} and the output {@code [T, B, D*H=8]}), and the batch is T=5, B=3.
 */
class BadInputTest {
    private static final int I = 3;
    private static final int H = 4;
    private static final int T = 5;
    private static final int B = 3;

    private static final RecurrentConfig LSTM = RecurrentConfig.of(CellType.LSTM, I, H).withLayers(2)
            .withBidirectional(true).withDataType(DataType.DOUBLE);
    private final RecurrentNetwork net = RecurrentNetwork.initialize(LSTM, 1);
    private final Random random = new Random(2);

    private INDArray randomArray(DataType type, long... shape) {
        return normal(random, type, 1.0, shape);
    }

    private INDArray x() {
        return randomArray(DataType.DOUBLE, T, B, I);
    }

    /** Asserts an IllegalArgumentException whose message contains every one of {@code parts}. */
    private static IllegalArgumentException assertRejected(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        String message = e.getMessage();
        for (String part : parts) {
            assertTrue(message != null && message.contains(part),
                    () -> "message should contain '" + part + "' but was: " + message);
        }
        return e;
    }

    // ------------------------------------------------------------------------------------------------ forward: x

    @Test
    void xOfWrongRank() {
        INDArray x = randomArray(DataType.DOUBLE, T, I);
        assertRejected(() -> net.forward(x, null, null), "x", "[T=?, B=?, I=3]", "[5, 3]");
    }

    @Test
    void xWithWrongInputSize() {
        INDArray x = randomArray(DataType.DOUBLE, T, B, I + 4);
        assertRejected(() -> net.forward(x, null, null), "x", "I=3", "[5, 3, 7]");
    }

    @Test
    void batchFirstXWithWrongInputSizeNamesTheBatchFirstLayout() {
        RecurrentNetwork batchFirst = RecurrentNetwork.fromTorchStateDict(LSTM.withBatchFirst(true),
                net.toTorchStateDict());
        INDArray x = randomArray(DataType.DOUBLE, B, T, I + 1);
        assertRejected(() -> batchFirst.forward(x, null, null), "x", "[B=?, T=?, I=3]", "[3, 5, 4]");
    }

    @Test
    void floatXOnADoubleNetwork() {
        INDArray x = randomArray(DataType.FLOAT, T, B, I);
        assertRejected(() -> net.forward(x, null, null), "x", "DOUBLE", "FLOAT");
    }

    @Test
    void emptyX() {
        INDArray x = Nd4j.create(DataType.DOUBLE, 0, B, I);
        assertRejected(() -> net.forward(x, null, null), "x", "at least one step", "[0, 3, 3]");
    }

    // ------------------------------------------------------------------------------------------ forward: lengths

    @Test
    void lengthsOfWrongSize() {
        assertRejected(() -> net.forward(x(), null, new int[] {5, 4}), "lengths", "B=3", "2");
    }

    @Test
    void lengthZero() {
        assertRejected(() -> net.forward(x(), null, new int[] {5, 0, 4}), "lengths[1]", "1..T=5", "was 0");
    }

    @Test
    void lengthBeyondT() {
        assertRejected(() -> net.forward(x(), null, new int[] {5, 2, 6}), "lengths[2]", "1..T=5", "was 6");
    }

    // ------------------------------------------------------------------------------------- forward: initial state

    @Test
    void initialHiddenStateOfWrongShape() {
        // A common mistake: one layer's worth of state for a 2-layer bidirectional network.
        RecurrentState state = new RecurrentState(randomArray(DataType.DOUBLE, 2, B, H),
                randomArray(DataType.DOUBLE, 4, B, H));
        assertRejected(() -> net.forward(x(), state, null), "initialState.h", "[L*D=4, B=3, H=4]", "[2, 3, 4]");
    }

    @Test
    void initialCellStateOfWrongBatch() {
        RecurrentState state = new RecurrentState(randomArray(DataType.DOUBLE, 4, B, H),
                randomArray(DataType.DOUBLE, 4, B + 1, H));
        assertRejected(() -> net.forward(x(), state, null), "initialState.c", "[L*D=4, B=3, H=4]", "[4, 4, 4]");
    }

    @Test
    void initialStateOfWrongDataType() {
        RecurrentState state = new RecurrentState(randomArray(DataType.FLOAT, 4, B, H), null);
        assertRejected(() -> net.forward(x(), state, null), "initialState.h", "DOUBLE", "FLOAT");
    }

    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"RNN_TANH", "RNN_RELU", "GRU"})
    void cellStateGivenToANetworkWithoutOne(CellType cell) {
        RecurrentNetwork gru = RecurrentNetwork.initialize(RecurrentConfig.of(cell, I, H)
                .withDataType(DataType.DOUBLE), 3);
        RecurrentState state = new RecurrentState(randomArray(DataType.DOUBLE, 1, B, H),
                randomArray(DataType.DOUBLE, 1, B, H));
        assertRejected(() -> gru.forward(x(), state, null), "initialState.c", "null", cell.name(), "[1, 3, 4]");
    }

    /**
     * Decision: a missing half of an LSTM state is not an error; {@code null} means zeros, for h and c alike, as
     * for a {@code null} initial state. Checked against explicit zeros, including the gradients.
     */
    @Test
    void lstmStateWithOneHalfNullMeansZerosForThatHalf() {
        INDArray x = x();
        INDArray h0 = randomArray(DataType.DOUBLE, 4, B, H);
        INDArray c0 = randomArray(DataType.DOUBLE, 4, B, H);
        INDArray zeros = Nd4j.zeros(DataType.DOUBLE, 4, B, H);
        INDArray dOutput = randomArray(DataType.DOUBLE, T, B, 2 * H);

        ForwardResult implicitC = net.forward(x, new RecurrentState(h0, null), null);
        ForwardResult explicitC = net.forward(x, new RecurrentState(h0, zeros), null);
        assertClose("output with c0 = null vs zeros", explicitC.output(), implicitC.output(), 0);
        assertClose("c_n with c0 = null vs zeros", explicitC.finalState().c(), implicitC.finalState().c(), 0);
        Gradients gImplicit = net.backward(implicitC, dOutput, new RecurrentState(null, h0));
        Gradients gExplicit = net.backward(explicitC, dOutput, new RecurrentState(zeros, h0));
        assertClose("dc0 with c0 = null vs zeros", gExplicit.initialState().c(), gImplicit.initialState().c(), 0);
        assertClose("dx with dh_n = null vs zeros", gExplicit.input(), gImplicit.input(), 0);

        ForwardResult implicitH = net.forward(x, new RecurrentState(null, c0), null);
        ForwardResult explicitH = net.forward(x, new RecurrentState(zeros, c0), null);
        assertClose("output with h0 = null vs zeros", explicitH.output(), implicitH.output(), 0);

        // And the halves matter: a non-zero c0 changes the output, so the comparisons above are not vacuous.
        ForwardResult withC = net.forward(x, new RecurrentState(h0, c0), null);
        assertTrue(withC.output().sub(implicitC.output()).amaxNumber().doubleValue() > 1e-3,
                "c0 must influence the output");
    }

    // ---------------------------------------------------------------------------------------------- state dict

    @Test
    void stateDictMissingAnEntry() {
        Map<String, INDArray> stateDict = net.toTorchStateDict();
        stateDict.remove("bias_hh_l1_reverse");
        assertRejected(() -> RecurrentNetwork.fromTorchStateDict(LSTM, stateDict), "stateDict", "expected exactly",
                "weight_ih_l0", "missing [bias_hh_l1_reverse]");
    }

    @Test
    void stateDictWithAnExtraEntry() {
        Map<String, INDArray> stateDict = net.toTorchStateDict();
        stateDict.put("weight_ih_l2", randomArray(DataType.DOUBLE, 4 * H, 2 * H));
        assertRejected(() -> RecurrentNetwork.fromTorchStateDict(LSTM, stateDict), "stateDict", "expected exactly",
                "unexpected [weight_ih_l2]");
    }

    @Test
    void stateDictOfAUnidirectionalNetworkForABidirectionalConfig() {
        Map<String, INDArray> uni = RecurrentNetwork.initialize(LSTM.withBidirectional(false), 4).toTorchStateDict();
        assertRejected(() -> RecurrentNetwork.fromTorchStateDict(LSTM, uni), "stateDict", "expected exactly",
                "bidirectional=true", "missing [weight_ih_l0_reverse");
    }

    @Test
    void stateDictWithAWrongShapedWeight() {
        Map<String, INDArray> stateDict = net.toTorchStateDict();
        stateDict.put("weight_hh_l1", randomArray(DataType.DOUBLE, 4 * H, H + 1));
        assertRejected(() -> RecurrentNetwork.fromTorchStateDict(LSTM, stateDict), "weight_hh_l1",
                "[G*H=16, H=4]", "[16, 5]");
    }

    @Test
    void stateDictWithAWrongShapedBias() {
        Map<String, INDArray> stateDict = net.toTorchStateDict();
        stateDict.put("bias_ih_l0", randomArray(DataType.DOUBLE, 3 * H));
        assertRejected(() -> RecurrentNetwork.fromTorchStateDict(LSTM, stateDict), "bias_ih_l0", "[G*H=16]",
                "[12]");
    }

    @Test
    void stateDictOfTheWrongDataType() {
        Map<String, INDArray> stateDict = new LinkedHashMap<>();
        net.toTorchStateDict().forEach((k, v) -> stateDict.put(k, v.castTo(DataType.FLOAT)));
        assertRejected(() -> RecurrentNetwork.fromTorchStateDict(LSTM, stateDict), "weight_ih_l0", "DOUBLE",
                "FLOAT");
    }

    @Test
    void nullStateDict() {
        assertRejected(() -> RecurrentNetwork.fromTorchStateDict(LSTM, null), "stateDict", "null");
    }

    // ------------------------------------------------------------------------------------------------- backward

    @Test
    void backwardWithTheForwardResultOfAnotherNetwork() {
        RecurrentNetwork twin = RecurrentNetwork.fromTorchStateDict(LSTM, net.toTorchStateDict());
        ForwardResult out = twin.forward(x(), null, null);
        assertRejected(() -> net.backward(out, null, null), "forward", "this network", "another network");
        assertRejected(() -> net.backwardTruncated(out, null, null, 1), "forward", "this network",
                "another network");
    }

    @Test
    void backwardWithoutAForwardResult() {
        assertRejected(() -> net.backward(null, null, null), "forward", "this network", "null");
    }

    @Test
    void dOutputWithWrongFeatures() {
        ForwardResult out = net.forward(x(), null, null);
        INDArray dOutput = randomArray(DataType.DOUBLE, T, B, H);
        assertRejected(() -> net.backward(out, dOutput, null), "dOutput", "[T=5, B=3, D*H=8]", "[5, 3, 4]");
    }

    @Test
    void dOutputWithWrongSteps() {
        ForwardResult out = net.forward(x(), null, null);
        INDArray dOutput = randomArray(DataType.DOUBLE, T - 1, B, 2 * H);
        assertRejected(() -> net.backward(out, dOutput, null), "dOutput", "[T=5, B=3, D*H=8]", "[4, 3, 8]");
    }

    @Test
    void dOutputWithWrongBatch() {
        ForwardResult out = net.forward(x(), null, null);
        INDArray larger = randomArray(DataType.DOUBLE, T, B + 1, 2 * H);
        assertRejected(() -> net.backward(out, larger, null), "dOutput", "[T=5, B=3, D*H=8]", "[5, 4, 8]");
        INDArray smaller = randomArray(DataType.DOUBLE, T, B - 1, 2 * H);
        assertRejected(() -> net.backward(out, smaller, null), "dOutput", "[T=5, B=3, D*H=8]", "[5, 2, 8]");
    }

    @Test
    void dOutputWithWrongBatchAndUnsortedLengths() {
        ForwardResult out = net.forward(x(), null, new int[] {2, 5, 4});
        INDArray larger = randomArray(DataType.DOUBLE, T, B + 1, 2 * H);
        assertRejected(() -> net.backward(out, larger, null), "dOutput", "[T=5, B=3, D*H=8]", "[5, 4, 8]");
        INDArray smaller = randomArray(DataType.DOUBLE, T, B - 1, 2 * H);
        assertRejected(() -> net.backward(out, smaller, null), "dOutput", "[T=5, B=3, D*H=8]", "[5, 2, 8]");
    }

    @Test
    void batchFirstDOutputWithWrongBatch() {
        RecurrentNetwork batchFirst = RecurrentNetwork.fromTorchStateDict(LSTM.withBatchFirst(true),
                net.toTorchStateDict());
        ForwardResult out = batchFirst.forward(randomArray(DataType.DOUBLE, B, T, I), null, null);
        INDArray dOutput = randomArray(DataType.DOUBLE, B + 1, T, 2 * H);
        assertRejected(() -> batchFirst.backward(out, dOutput, null), "dOutput", "[B=3, T=5, D*H=8]", "[4, 5, 8]");
    }

    @Test
    void dOutputOfWrongDataType() {
        ForwardResult out = net.forward(x(), null, null);
        INDArray dOutput = randomArray(DataType.FLOAT, T, B, 2 * H);
        assertRejected(() -> net.backward(out, dOutput, null), "dOutput", "DOUBLE", "FLOAT");
    }

    @Test
    void dFinalStateOfWrongShape() {
        ForwardResult out = net.forward(x(), null, null);
        RecurrentState dFinal = new RecurrentState(randomArray(DataType.DOUBLE, 4, B, H),
                randomArray(DataType.DOUBLE, 4, B, H + 1));
        assertRejected(() -> net.backward(out, null, dFinal), "dFinalState.c", "[L*D=4, B=3, H=4]", "[4, 3, 5]");
    }

    // --------------------------------------------------------------------------------------- backwardTruncated

    @Test
    void truncatedBackwardOnABidirectionalNetwork() {
        ForwardResult out = net.forward(x(), null, null);
        assertRejected(() -> net.backwardTruncated(out, null, null, 2), "backwardTruncated", "unidirectional",
                "bidirectional");
    }

    @Test
    void truncatedBackwardWithStepsOutOfRange() {
        RecurrentNetwork uni = RecurrentNetwork.initialize(LSTM.withBidirectional(false), 5);
        ForwardResult out = uni.forward(x(), null, null);
        assertRejected(() -> uni.backwardTruncated(out, null, null, 0), "steps", "1..5", "was 0");
        assertRejected(() -> uni.backwardTruncated(out, null, null, T + 1), "steps", "1..5", "was 6");
    }

    // ------------------------------------------------------------------------------------------------- config

    @Test
    void configWithHiddenSizeZero() {
        assertRejected(() -> RecurrentConfig.of(CellType.GRU, I, 0), "hiddenSize", "at least 1", "was 0");
    }

    @Test
    void configWithInputSizeOrLayersZero() {
        assertRejected(() -> RecurrentConfig.of(CellType.GRU, 0, H), "inputSize", "at least 1", "was 0");
        assertRejected(() -> RecurrentConfig.of(CellType.GRU, I, H).withLayers(0), "numLayers", "at least 1",
                "was 0");
    }

    @Test
    void configWithDropoutOne() {
        assertRejected(() -> RecurrentConfig.of(CellType.GRU, I, H).withDropout(1.0), "dropout", "[0, 1)", "1.0");
        assertRejected(() -> RecurrentConfig.of(CellType.GRU, I, H).withDropout(-0.1), "dropout", "[0, 1)",
                "-0.1");
        assertRejected(() -> RecurrentConfig.of(CellType.GRU, I, H).withDropout(Double.NaN), "dropout", "[0, 1)",
                "NaN");
    }

    @Test
    void configWithIntDataType() {
        assertRejected(() -> RecurrentConfig.of(CellType.GRU, I, H).withDataType(DataType.INT), "dataType",
                "FLOAT or DOUBLE", "INT");
    }

    @Test
    void configWithoutACell() {
        assertRejected(() -> RecurrentConfig.of(null, I, H), "cell", "LSTM", "null");
    }

    @Test
    void validInputsAreAccepted() {
        // The counterpart of the rejections above: the same calls with correct arguments go through.
        INDArray x = x();
        RecurrentState state = new RecurrentState(randomArray(DataType.DOUBLE, 4, B, H),
                randomArray(DataType.DOUBLE, 4, B, H));
        ForwardResult out = net.forward(x, state, new int[] {5, 1, 4});
        Gradients g = net.backward(out, randomArray(DataType.DOUBLE, T, B, 2 * H), state);
        assertEquals(3, g.input().rank());
        RecurrentNetwork uni = RecurrentNetwork.initialize(LSTM.withBidirectional(false), 5);
        ForwardResult uniOut = uni.forward(x, null, null);
        uni.backwardTruncated(uniOut, null, null, 1);
        uni.backwardTruncated(uniOut, null, null, T);
    }
}
