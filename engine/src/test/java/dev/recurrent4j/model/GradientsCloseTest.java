package dev.recurrent4j.model;

import static dev.recurrent4j.testing.TensorAssert.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.testing.TestTensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link Gradients#close()} frees what backward returned, and only that; the next backward is unaffected. */
class GradientsCloseTest {

    @Test
    void closeFreesEveryGradientAndNothingOfTheNetworkOrTheCaller() {
        RecurrentNetwork network = RecurrentNetwork.initialize(RecurrentConfig.of(CellType.LSTM, 3, 5)
                .withLayers(2).withBidirectional(true), 7);
        Random random = new Random(5);
        INDArray x = TestTensors.normal(random, DataType.FLOAT, 1.0, 4, 3, 3);
        INDArray dOutput = TestTensors.normal(random, DataType.FLOAT, 1.0, 4, 3, 10);
        Gradients first;
        try (ForwardResult forward = network.forward(x, null, null)) {
            first = network.backward(forward, dOutput, null);
        }
        List<INDArray> copies = new ArrayList<>();
        first.byTorchName().values().forEach(gradient -> copies.add(gradient.dup()));
        INDArray dxCopy = first.input().dup();

        first.close();
        first.byTorchName().values().forEach(gradient -> assertTrue(gradient.wasClosed(), "parameter gradient"));
        assertTrue(first.input().wasClosed(), "dL/dx");
        assertTrue(first.initialState().h().wasClosed(), "dL/dh0");
        assertTrue(first.initialState().c().wasClosed(), "dL/dc0");
        first.close(); // twice is harmless
        network.parameters().byTorchName().values().forEach(p -> assertFalse(p.wasClosed(), "the network's own"));
        assertFalse(x.wasClosed(), "the caller's input");
        assertFalse(dOutput.wasClosed(), "the caller's upstream gradient");

        try (ForwardResult forward = network.forward(x, null, null);
                Gradients second = network.backward(forward, dOutput, null)) {
            assertSameBits("dx after a close", dxCopy, second.input());
            List<INDArray> again = new ArrayList<>(second.byTorchName().values());
            for (int i = 0; i < copies.size(); i++) {
                assertSameBits("parameter gradient " + i + " after a close", copies.get(i), again.get(i));
            }
        }
    }
}
