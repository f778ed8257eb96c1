package dev.recurrent4j.model;

import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Stepping one step at a time equals one forward over the whole sequence. */
class StepSessionTest {

    @ParameterizedTest
    @EnumSource(CellType.class)
    void stepsEqualForward(CellType type) {
        Random random = new Random(11);
        RecurrentConfig config = RecurrentConfig.of(type, 3, 4).withLayers(2).withDataType(DataType.DOUBLE);
        RecurrentNetwork net = RecurrentNetwork.initialize(config, 5);
        INDArray x = TestTensors.normal(random, DataType.DOUBLE, 1.0, 6, 2, 3);
        RecurrentState initial = new RecurrentState(TestTensors.normal(random, DataType.DOUBLE, 0.5, 2, 2, 4),
                type.hasCellState() ? TestTensors.normal(random, DataType.DOUBLE, 0.5, 2, 2, 4) : null);
        ForwardResult whole = net.forward(x, initial, null);

        StepSession session = net.newStepSession(5); // more room than needed: rows 0..b of the buffers
        RecurrentState state = new RecurrentState(initial.h().dup('c'),
                initial.c() == null ? null : initial.c().dup('c'));
        for (int t = 0; t < 6; t++) {
            INDArray out = session.step(x.slice(t), state);
            assertClose("output at t=" + t, whole.output().slice(t), out, 1e-12);
        }
        assertClose("final h", whole.finalState().h(), state.h(), 1e-12);
        if (type.hasCellState()) {
            assertClose("final c", whole.finalState().c(), state.c(), 1e-12);
        }
    }

    @Test
    void rejectsBidirectionalNetworksAndOversizedBatches() {
        RecurrentConfig bi = RecurrentConfig.of(CellType.GRU, 3, 4).withBidirectional(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RecurrentNetwork.initialize(bi, 1).newStepSession(2));
        assertTrue(e.getMessage().contains("bidirectional"), e.getMessage());

        StepSession session = RecurrentNetwork.initialize(RecurrentConfig.of(CellType.GRU, 3, 4), 1).newStepSession(2);
        INDArray x = org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, 3, 3);
        RecurrentState state = RecurrentState.ofHidden(org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, 1, 3, 4));
        e = assertThrows(IllegalArgumentException.class, () -> session.step(x, state));
        assertTrue(e.getMessage().contains("maxBatch=2") && e.getMessage().contains("but was 3"), e.getMessage());
    }
}
