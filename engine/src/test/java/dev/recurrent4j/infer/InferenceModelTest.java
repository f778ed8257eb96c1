package dev.recurrent4j.infer;

import static dev.recurrent4j.testing.TensorAssert.assertSameBits;
import static dev.recurrent4j.testing.TensorAssert.assertAllZero;
import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.io.SafeTensors;
import dev.recurrent4j.model.ForwardResult;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import dev.recurrent4j.model.RecurrentState;
import dev.recurrent4j.testing.Fixture;
import dev.recurrent4j.testing.TestTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Whole-sequence inference: the cache-free runner equals the training path's forward bit for bit, matches PyTorch,
 * applies the head, and gives the same bits from many threads.
 */
class InferenceModelTest {

    static Stream<Arguments> architectures() {
        List<Arguments> cases = new ArrayList<>();
        for (CellType cell : CellType.values()) {
            for (boolean bidirectional : new boolean[] {false, true}) {
                for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                    for (int hidden : new int[] {7, 32}) { // 32, float32: the parallel step
                        cases.add(Arguments.of(cell, bidirectional, type, hidden));
                    }
                }
            }
        }
        return cases.stream();
    }

    /** Equivalence: the cache-free runner (InferenceRunner) = the training runner (DirectionRunner), same bits. */
    @ParameterizedTest(name = "{0} bidirectional={1} {2} H={3}")
    @MethodSource("architectures")
    void runEqualsTrainingForwardBitForBit(CellType cell, boolean bidirectional, DataType type, int hidden) {
        Random random = new Random(3);
        RecurrentConfig config = RecurrentConfig.of(cell, 5, hidden).withLayers(2).withBidirectional(bidirectional)
                .withDataType(type);
        RecurrentNetwork net = RecurrentNetwork.initialize(config, 9);
        InferenceModel model = InferenceModel.of(net);
        INDArray x = TestTensors.normal(random, type, 1.0, 6, 4, 5);
        int[] lengths = {3, 6, 1, 5};
        int states = 2 * config.directions();
        RecurrentState h0 = new RecurrentState(TestTensors.normal(random, type, 0.5, states, 4, hidden),
                cell.hasCellState() ? TestTensors.normal(random, type, 0.5, states, 4, hidden) : null);

        for (int[] l : new int[][] {lengths, null}) {
            ForwardResult expected = net.forward(x, h0, l);
            SequenceOutput actual = model.run(x, h0, l);
            assertSameBits("output", expected.output(), actual.output());
            assertSameBits("h_n", expected.finalState().h(), actual.finalState().h());
            if (cell.hasCellState()) {
                assertSameBits("c_n", expected.finalState().c(), actual.finalState().c());
            } else {
                assertNull(actual.finalState().c());
            }
            assertNull(actual.logits());
        }
        // null initial state = zeros, batch-first layout
        assertSameBits("output, zero state", net.forward(x, null, lengths).output(),
                model.run(x, null, lengths).output());
        RecurrentNetwork batchFirst = RecurrentNetwork.fromTorchStateDict(config.withBatchFirst(true),
                net.toTorchStateDict());
        INDArray xb = x.permute(1, 0, 2).dup('c');
        assertSameBits("output, batch-first", batchFirst.forward(xb, h0, lengths).output(),
                InferenceModel.of(batchFirst).run(xb, h0, lengths).output());
    }

    /**
     * The model keeps each layer's parallel steps (its small-batch step holds packed weights): batches that need the
     * other kind, and back, still equal the training forward bit for bit.
     */
    @Test
    void keptParallelStepsServeEveryBatchSize() {
        RecurrentConfig config = RecurrentConfig.of(CellType.LSTM, 5, 32).withLayers(2).withBidirectional(true);
        RecurrentNetwork net = RecurrentNetwork.initialize(config, 4);
        InferenceModel model = InferenceModel.of(net);
        Random random = new Random(8);
        for (int batch : new int[] {5, 12, 5, 2, 8, 12}) {
            INDArray x = TestTensors.normal(random, DataType.FLOAT, 1.0, 4, batch, 5);
            assertSameBits("batch " + batch, net.forward(x, null, null).output(), model.run(x, null, null).output());
        }
    }

    /**
     * A run frees what it made and never what it was given: the caller's input (read in place when already time-major
     * 'c' order) and initial state stay open and unchanged; closing the output frees all of its arrays, twice is
     * harmless, and the next run still gives the same bits.
     */
    @Test
    void closingFreesTheOutputAndNeverTheCallersArrays() {
        RecurrentConfig config = RecurrentConfig.of(CellType.LSTM, 5, 32).withLayers(2).withBidirectional(true);
        InferenceModel model = InferenceModel.of(RecurrentNetwork.initialize(config, 6),
                LinearHead.of(TestTensors.normal(new Random(4), DataType.FLOAT, 0.3, 3, 64), null));
        Random random = new Random(5);
        INDArray x = TestTensors.normal(random, DataType.FLOAT, 1.0, 6, 4, 5);
        RecurrentState h0 = new RecurrentState(TestTensors.normal(random, DataType.FLOAT, 0.5, 4, 4, 32),
                TestTensors.normal(random, DataType.FLOAT, 0.5, 4, 4, 32));
        INDArray xBefore = x.dup();
        INDArray hBefore = h0.h().dup();
        INDArray cBefore = h0.c().dup();

        for (int[] lengths : new int[][] {null, {3, 6, 1, 5}}) {
            SequenceOutput first = model.run(x, h0, lengths);
            INDArray expected = first.output().dup();
            INDArray expectedLogits = first.logits().dup();
            first.close();
            for (INDArray array : new INDArray[] {first.output(), first.finalState().h(), first.finalState().c(),
                    first.logits()}) {
                assertTrue(array.wasClosed(), "closed with the output");
            }
            first.close();
            for (INDArray given : new INDArray[] {x, h0.h(), h0.c()}) {
                assertTrue(!given.wasClosed(), "the caller's arrays stay open");
            }
            assertSameBits("x untouched", xBefore, x);
            assertSameBits("h0 untouched", hBefore, h0.h());
            assertSameBits("c0 untouched", cBefore, h0.c());
            try (SequenceOutput again = model.run(x, h0, lengths);
                    SequenceOutput copied = model.run(x.dup('f'), h0, lengths)) { // 'f': the input is copied first
                assertSameBits("the next run", expected, again.output());
                assertSameBits("logits", expectedLogits, again.logits());
                assertSameBits("from an 'f'-order input", expected, copied.output());
            }
        }
    }

    @Test
    void sequencesShorterThanTheirBatchStillWork() {
        InferenceModel model = InferTesting.model(CellType.LSTM, 3, 4, 1, 0, DataType.DOUBLE, 1);
        INDArray x = TestTensors.normal(new Random(1), DataType.DOUBLE, 1.0, 5, 2, 3);
        SequenceOutput out = model.run(x, null, new int[] {2, 3}); // no sequence reaches T=5
        SequenceOutput cut = model.run(x.get(NDArrayIndex.interval(0, 3)).dup('c'), null, new int[] {2, 3});
        assertSameBits("h_n", cut.finalState().h(), out.finalState().h());
        assertAllZero("outputs past every length", out.output().get(NDArrayIndex.interval(3, 5)));
    }

    @Test
    void headIsAppliedToEveryStepAndPaddingStaysZero() {
        InferenceModel model = InferTesting.model(CellType.GRU, 3, 4, 2, 6, DataType.DOUBLE, 2);
        INDArray x = TestTensors.normal(new Random(2), DataType.DOUBLE, 1.0, 5, 3, 3);
        int[] lengths = {5, 2, 4};
        SequenceOutput out = model.run(x, null, lengths);
        assertEquals(List.of(5L, 3L, 6L), List.of(out.logits().shape()[0], out.logits().shape()[1],
                out.logits().shape()[2]));
        LinearHead head = (LinearHead) model.head().orElseThrow();
        for (int b = 0; b < 3; b++) {
            for (int t = 0; t < 5; t++) {
                INDArray logits = out.logits().get(NDArrayIndex.point(t), NDArrayIndex.point(b), NDArrayIndex.all());
                if (t < lengths[b]) {
                    INDArray hidden = out.output().get(NDArrayIndex.point(t), NDArrayIndex.point(b),
                            NDArrayIndex.all()).reshape(1, 4);
                    INDArray expected = hidden.mmul(head.parameters().get("weight").transpose())
                            .addRowVector(head.parameters().get("bias"));
                    assertClose("logits t=" + t + " b=" + b, expected.reshape(6), logits, 1e-12);
                } else {
                    assertAllZero("padded logits t=" + t + " b=" + b, logits);
                }
            }
        }
    }

    /** The inference path against PyTorch float64 directly, on the engine's fixtures. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtureNames")
    void matchesPyTorch(String name) {
        Fixture f = Fixture.load(name, DataType.DOUBLE);
        InferenceModel model = InferenceModel.fromTorchStateDict(f.config(), f.tensors(), "", null);
        SequenceOutput out = model.run(f.get("input"), f.initialState(), f.lengths());
        assertClose(name + " output", f.get("output"), out.output(), 1e-9);
        assertClose(name + " h_n", f.get("h_n"), out.finalState().h(), 1e-9);
        if (f.config().cell().hasCellState()) {
            assertClose(name + " c_n", f.get("c_n"), out.finalState().c(), 1e-9);
        }
    }

    static Stream<String> fixtureNames() {
        return Fixture.names().stream().filter(n -> !n.endsWith("_long"));
    }

    @Test
    void loadsATorchModuleWithPrefixesFromSafeTensors(@TempDir Path dir) throws Exception {
        Random random = new Random(4);
        RecurrentConfig config = RecurrentConfig.of(CellType.LSTM, 3, 4).withLayers(2);
        RecurrentNetwork net = RecurrentNetwork.initialize(config, 4);
        Map<String, INDArray> stateDict = new LinkedHashMap<>();
        stateDict.put("embed.weight", TestTensors.normal(random, DataType.FLOAT, 1.0, 10, 3));
        net.toTorchStateDict().forEach((k, v) -> stateDict.put("rnn." + k, v));
        stateDict.put("head.weight", TestTensors.normal(random, DataType.FLOAT, 1.0, 10, 4));
        stateDict.put("head.bias", TestTensors.normal(random, DataType.FLOAT, 1.0, 10));
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, stateDict);

        InferenceModel model = InferenceModel.fromSafeTensors(file, config, "rnn.", "head.");
        assertEquals(10, model.outputSize());
        INDArray x = TestTensors.normal(random, DataType.FLOAT, 1.0, 4, 2, 3);
        assertSameBits("output", net.forward(x, null, null).output(), model.run(x, null, null).output());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InferenceModel.fromTorchStateDict(config.withLayers(3), stateDict, "rnn.", "head."));
        assertTrue(e.getMessage().contains("weight_ih_l2"), e.getMessage());
    }

    /** One shared model, many threads: every result equals the single-threaded one, bit for bit (float32). */
    @Test
    void manyThreadsGetTheSameBits() throws Exception {
        RecurrentConfig config = RecurrentConfig.of(CellType.LSTM, 16, 32).withLayers(2);
        InferenceModel model = InferenceModel.of(RecurrentNetwork.initialize(config, 5),
                LinearHead.of(Nd4j.rand(DataType.FLOAT, 12, 32), Nd4j.rand(DataType.FLOAT, 12)));
        Random random = new Random(5);
        int cases = 6;
        List<INDArray> inputs = new ArrayList<>();
        List<int[]> lengths = new ArrayList<>();
        List<SequenceOutput> expected = new ArrayList<>();
        for (int k = 0; k < cases; k++) {
            int batch = 1 + random.nextInt(9);
            int steps = 1 + random.nextInt(20);
            inputs.add(TestTensors.normal(random, DataType.FLOAT, 1.0, steps, batch, 16));
            lengths.add(random.ints(batch, 1, steps + 1).toArray());
            expected.add(model.run(inputs.get(k), null, lengths.get(k)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int thread = 0; thread < 8; thread++) {
                int offset = thread;
                futures.add(pool.submit(() -> {
                    for (int round = 0; round < 5; round++) {
                        int k = (offset + round) % cases;
                        SequenceOutput out = model.run(inputs.get(k), null, lengths.get(k));
                        assertSameBits("output " + k, expected.get(k).output(), out.output());
                        assertSameBits("logits " + k, expected.get(k).logits(), out.logits());
                        assertSameBits("h_n " + k, expected.get(k).finalState().h(), out.finalState().h());
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badInputIsNamed() {
        InferenceModel model = InferTesting.model(CellType.GRU, 3, 4, 1, 0, DataType.FLOAT, 1);
        INDArray x = Nd4j.zeros(DataType.FLOAT, 5, 2, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.run(x, null, null));
        assertEquals("x: expected [T=?, B=?, I=3] but was [5, 2, 4]", e.getMessage());
        INDArray good = Nd4j.zeros(DataType.FLOAT, 5, 2, 3);
        e = assertThrows(IllegalArgumentException.class, () -> model.run(good, null, new int[] {5, 0}));
        assertEquals("lengths[1]: expected 1..T=5 but was 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> model.run(good,
                RecurrentState.ofHidden(Nd4j.zeros(DataType.FLOAT, 1, 3, 4)), null));
        assertTrue(e.getMessage().startsWith("initialState.h: expected [L*D=1, B=2, H=4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> InferenceModel.of(
                RecurrentNetwork.initialize(RecurrentConfig.of(CellType.GRU, 3, 4), 1),
                LinearHead.of(Nd4j.zeros(DataType.FLOAT, 2, 5), null)));
        assertEquals("head: expected input size D*H=4 but was 5", e.getMessage());
    }
}
