package dev.recurrent4j.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Bad input to the composed model is rejected at its boundary, naming the argument, the expected and the actual. */
class SequenceModelBadInputTest {
    private static final SequenceModelConfig LM = new SequenceModelConfig(InputEncoding.embedding(4, 3),
            RecurrentConfig.of(CellType.LSTM, 3, 5), HeadKind.PER_STEP, 4);
    private final SequenceModel model = SequenceModel.initialize(LM, 1);

    private static void assertRejected(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message should contain '" + part + "': " + e.getMessage());
        }
    }

    @Test
    void unknownTokenIdNamesItsPosition() {
        assertRejected(() -> model.forward(SequenceBatch.tokens(new int[] {0, 1}, new int[] {2, 4, 1})),
                "tokens[1][1]", "0..V-1=3", "4");
        assertRejected(() -> model.forward(SequenceBatch.tokens(new int[] {-1})), "tokens[0][0]", "-1");
    }

    @Test
    void featuresForATokenModel() {
        assertRejected(() -> model.forward(SequenceBatch.dense(Nd4j.zeros(DataType.FLOAT, 2, 1, 3), null)),
                "token ids", "features");
    }

    @Test
    void emptySequence() {
        assertRejected(() -> SequenceBatch.tokens(new int[] {1}, new int[0]), "tokens[1]", "empty");
    }

    @Test
    void mismatchedSizesInTheConfig() {
        assertRejected(() -> new SequenceModelConfig(InputEncoding.embedding(4, 3),
                RecurrentConfig.of(CellType.LSTM, 8, 5), HeadKind.PER_STEP, 4), "recurrent.inputSize", "I=3", "8");
        assertRejected(() -> new SequenceModelConfig(InputEncoding.dense(3), RecurrentConfig.of(CellType.LSTM, 3, 5),
                HeadKind.LAST_STEP, 0), "outputSize", "0");
    }

    @Test
    void stateDictOfAnotherArchitecture() {
        Map<String, INDArray> stateDict = new LinkedHashMap<>(model.toStateDict());
        SequenceModelConfig wider = new SequenceModelConfig(InputEncoding.embedding(4, 3),
                RecurrentConfig.of(CellType.LSTM, 3, 6), HeadKind.PER_STEP, 4);
        assertRejected(() -> SequenceModel.fromStateDict(wider, stateDict), "rnn.weight_ih_l0", "[24, 3]", "[20, 3]");
        stateDict.remove(SequenceModel.HEAD_BIAS);
        assertRejected(() -> SequenceModel.fromStateDict(LM, stateDict), "missing", "head.bias");
    }

    @Test
    void dOutputOfTheWrongShape() {
        ModelForward out = model.forward(SequenceBatch.tokens(new int[] {0, 1, 2}));
        assertRejected(() -> model.backward(out, Nd4j.zeros(DataType.FLOAT, 3, 1, 5), null), "dOutput", "O=4",
                "[3, 1, 5]");
    }
}
