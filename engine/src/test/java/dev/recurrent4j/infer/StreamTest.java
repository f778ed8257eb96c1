package dev.recurrent4j.infer;

import static dev.recurrent4j.testing.TensorAssert.assertSameBits;
import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import dev.recurrent4j.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Streams: stepping equals whole-sequence inference; snapshots restore exactly and refuse what does not fit. */
class StreamTest {

    /**
     * float64: a stream's steps equal {@link InferenceModel#run} over the whole sequence. Not bit for bit: a step
     * projects one input row (a GEMV) where the whole sequence projects all T rows at once (a GEMM), and OpenBLAS
     * sums those in different orders; so within 1e-12 of the largest value, rounding and nothing else.
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void stepsEqualTheWholeSequence(CellType cell) {
        InferenceModel model = InferTesting.model(cell, 3, 5, 2, 4, DataType.DOUBLE, 7);
        INDArray x = TestTensors.normal(new Random(7), DataType.DOUBLE, 1.0, 9, 1, 3);
        SequenceOutput whole = model.run(x, null, null);
        try (Stream stream = model.openStream()) {
            for (int t = 0; t < 9; t++) {
                double[] logits = stream.step(x.get(NDArrayIndex.point(t), NDArrayIndex.point(0), NDArrayIndex.all())
                        .toDoubleVector());
                assertClose("logits t=" + t, whole.logits().get(NDArrayIndex.point(t), NDArrayIndex.point(0),
                        NDArrayIndex.all()), Nd4j.createFromArray(logits), 1e-12);
            }
            assertClose("h_n", whole.finalState().h(), stream.state().h(), 1e-12);
            assertClose("hidden", whole.output().get(NDArrayIndex.point(8), NDArrayIndex.point(0),
                    NDArrayIndex.all()), Nd4j.createFromArray(stream.hidden()), 1e-12);
            assertEquals(9, stream.steps());
        }
    }

    /** float32: same within rounding (the whole-sequence input projection is one GEMM of T*B rows). */
    @Test
    void float32StepsAreCloseToTheWholeSequence() {
        InferenceModel model = InferTesting.model(CellType.LSTM, 3, 16, 2, 0, DataType.FLOAT, 7);
        INDArray x = TestTensors.normal(new Random(7), DataType.FLOAT, 1.0, 30, 1, 3);
        SequenceOutput whole = model.run(x, null, null);
        try (Stream stream = model.openStream()) {
            INDArray outputs = stream.step(x.reshape(30, 3));
            double error = InferTesting.relativeError(whole.output().reshape(30, 16).toDoubleMatrix()[29],
                    outputs.toDoubleMatrix()[29]);
            assertTrue(error < 1e-5, "relative error " + error);
        }
    }

    @Test
    void severalInputsInOneCallEqualOneAtATime() {
        InferenceModel model = InferTesting.model(CellType.GRU, 4, 6, 2, 3, DataType.FLOAT, 8);
        INDArray x = TestTensors.normal(new Random(8), DataType.FLOAT, 1.0, 5, 4);
        Stream together = model.openStream();
        Stream apart = model.openStream();
        INDArray outputs = together.step(x);
        for (int t = 0; t < 5; t++) {
            double[] out = apart.step(x.getRow(t).toDoubleVector());
            assertSameBits("step " + t, outputs.getRow(t).toDoubleVector(), out);
        }
        assertSameBits("state", together.state().h(), apart.state().h());
        assertArrayEquals(new long[] {3}, together.step(x.getRow(0)).shape());
    }

    /** Snapshot mid-stream, restore on another model instance, continue: the same bits as never stopping. */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void snapshotRestoresMidStreamOnAnotherInstance(DataType type) {
        RecurrentNetwork net = RecurrentNetwork.initialize(RecurrentConfig.of(CellType.LSTM, 3, 8).withLayers(2)
                .withDataType(type), 11);
        InferenceModel here = InferenceModel.of(net);
        InferenceModel there = InferenceModel.of(RecurrentNetwork.fromTorchStateDict(net.config(),
                net.toTorchStateDict()));
        Random random = new Random(11);
        Stream uninterrupted = here.openStream();
        Stream moved = here.openStream();
        for (int t = 0; t < 6; t++) {
            double[] x = InferTesting.randomVector(random, 3);
            uninterrupted.step(x);
            moved.step(x);
        }
        byte[] snapshot = moved.snapshot();
        moved.close();
        Stream restored = there.restoreStream(snapshot);
        assertEquals(6, restored.steps());
        for (int t = 0; t < 6; t++) {
            double[] x = InferTesting.randomVector(random, 3);
            assertSameBits("output after restore, t=" + t, uninterrupted.step(x), restored.step(x));
        }
        assertSameBits("c", uninterrupted.state().c(), restored.state().c());
    }

    @Test
    void snapshotsThatDoNotFitAreRefusedClearly() {
        InferenceModel model = InferTesting.model(CellType.GRU, 3, 4, 1, 0, DataType.FLOAT, 1);
        Stream stream = model.openStream();
        stream.step(new double[] {1, 2, 3});
        byte[] snapshot = stream.snapshot();

        byte[] flipped = snapshot.clone();
        flipped[flipped.length - 10] ^= 1;
        assertMessage(() -> model.restoreStream(flipped), "corrupted or truncated");
        assertMessage(() -> model.restoreStream(java.util.Arrays.copyOf(snapshot, snapshot.length - 3)),
                "corrupted or truncated");
        assertMessage(() -> model.restoreStream("not a snapshot at all".getBytes()), "magic");
        assertMessage(() -> InferTesting.model(CellType.GRU, 3, 5, 1, 0, DataType.FLOAT, 1).restoreStream(snapshot),
                "another architecture: hiddenSize expected 5 but was 4");
        assertMessage(() -> InferTesting.model(CellType.LSTM, 3, 4, 1, 0, DataType.DOUBLE, 1)
                .restoreStream(snapshot), "cell expected LSTM but was GRU, dataType expected DOUBLE but was FLOAT");
        assertMessage(() -> InferTesting.model(CellType.GRU, 3, 4, 1, 0, DataType.FLOAT, 2).restoreStream(snapshot),
                "other weights");
        String header = new String(snapshot, 12, 120, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"format\":\"recurrent4j-stream-state\",\"version\":1,\"cell\":\"GRU\""),
                header);
    }

    @Test
    void resetCloseAndOneStepAtATime() {
        InferenceModel model = InferTesting.model(CellType.RNN_TANH, 2, 3, 1, 0, DataType.DOUBLE, 1);
        Stream stream = model.openStream();
        double[] first = stream.step(new double[] {1, -1});
        stream.step(new double[] {0.5, 0.5});
        stream.reset();
        assertEquals(0, stream.steps());
        assertSameBits("after reset", first, stream.step(new double[] {1, -1}));

        stream.acquire(); // as a step in flight elsewhere would
        IllegalStateException busy = assertThrows(IllegalStateException.class, () -> stream.step(new double[2]));
        assertTrue(busy.getMessage().contains("already stepping"), busy.getMessage());
        assertThrows(IllegalStateException.class, stream::snapshot);
        stream.close(); // waits for the step in flight
        assertTrue(stream.isOpen() || stream.isBusy());
        stream.release();
        assertFalse(stream.isOpen());
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> stream.step(new double[2]));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        assertEquals(1, model.restoreStream(stream.snapshot()).steps()); // a closed stream still snapshots

        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> model.openStream().step(new double[3]));
        assertEquals("x: expected 2 values but was 3", wrong.getMessage());
        IllegalArgumentException bi = assertThrows(IllegalArgumentException.class, () -> InferenceModel.of(
                RecurrentNetwork.initialize(RecurrentConfig.of(CellType.GRU, 2, 3).withBidirectional(true), 1))
                .openStream());
        assertTrue(bi.getMessage().contains("bidirectional"), bi.getMessage());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        SnapshotException e = assertThrows(SnapshotException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
