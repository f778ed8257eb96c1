package dev.recurrent4j.sequence;

import static dev.recurrent4j.testing.TensorAssert.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.Cell;
import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.cell.ParallelStep;
import dev.recurrent4j.cell.StepGradients;
import dev.recurrent4j.cell.StepTensors;
import dev.recurrent4j.testing.TestTensors;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Steps shared between threads: the same bits as one thread, helpers taken only when free, failures reported to
 * the caller. The engine's tests run with {@code -Drecurrent4j.stepThreads=3} (two helpers; see the pom).
 */
class StepTeamTest {

    /**
     * A layer whose steps are worth sharing, H=256, variable lengths: 8 rows share the product and the update
     * ({@code SharedProduct}), 12 rows only the update, after OpenBLAS's product ({@code SharedUpdate}).
     */
    private record Layer(Cell cell, CellWeights weights, INDArray x, INDArray h0, INDArray c0, BatchLayout layout,
            INDArray dOutput) {
        static Layer of(CellType type) {
            return of(type, 8);
        }

        static Layer of(CellType type, int batch) {
            Random random = new Random(11);
            int hidden = 256;
            int[] lengths = new int[batch];
            for (int b = 0; b < batch; b++) {
                lengths[b] = 6 - 5 * b / batch; // 6 down to 2, sorted
            }
            long gateWidth = (long) type.gates() * hidden;
            CellWeights weights = new CellWeights(
                    TestTensors.normal(random, DataType.FLOAT, 0.3, gateWidth, 5),
                    TestTensors.normal(random, DataType.FLOAT, 0.3, gateWidth, hidden),
                    TestTensors.normal(random, DataType.FLOAT, 0.3, gateWidth),
                    TestTensors.normal(random, DataType.FLOAT, 0.3, gateWidth));
            return new Layer(type.cell(), weights, TestTensors.normal(random, DataType.FLOAT, 1.0, 6, batch, 5),
                    TestTensors.normal(random, DataType.FLOAT, 0.5, batch, hidden),
                    type.hasCellState() ? TestTensors.normal(random, DataType.FLOAT, 0.5, batch, hidden) : null,
                    BatchLayout.ofSortedLengths(6, lengths),
                    TestTensors.normal(random, DataType.FLOAT, 1.0, 6, batch, hidden));
        }

        DirectionCache training(Direction direction) {
            return DirectionRunner.forward(cell, weights, x, h0, c0, layout, direction);
        }

        /** Full BPTT from an upstream gradient drawn once per layer (the same for every call). */
        DirectionGradients backward(DirectionCache cache) {
            return DirectionRunner.backward(cache, dOutput, null, null, 0);
        }

        InferenceRunner.Result inference(Direction direction) {
            INDArray memory = org.nd4j.linalg.factory.Nd4j.createUninitialized(DataType.FLOAT, x.size(0) * x.size(1)
                    * weights.weightIh().size(0));
            return InferenceRunner.forward(cell, weights, x, h0, c0, layout, direction, memory);
        }
    }

    static Stream<Arguments> layers() {
        return Stream.of(CellType.values()).flatMap(type -> Stream.of(Arguments.of(type, 8), Arguments.of(type, 12)));
    }

    @ParameterizedTest(name = "{0} batch={1}")
    @MethodSource("layers")
    void threadsSharingStepsChangeNoBit(CellType type, int batch) {
        Layer layer = Layer.of(type, batch);
        try (StepTeam team = StepTeam.of(layer.cell, layer.weights, batch)) {
            assertEquals(3, team.threads(), "a free team shares a step of this size between all three threads");
        }
        for (Direction direction : Direction.values()) {
            DirectionCache shared = layer.training(direction);
            DirectionGradients sharedGradients = layer.backward(shared);
            InferenceRunner.Result sharedInference = layer.inference(direction);
            DirectionCache alone;
            DirectionGradients aloneGradients;
            InferenceRunner.Result aloneInference;
            // While another team holds both helpers, the runners' teams get none and run every step alone.
            try (StepTeam holder = StepTeam.of(layer.cell, layer.weights, batch)) {
                assertEquals(3, holder.threads());
                try (StepTeam late = StepTeam.of(layer.cell, layer.weights, batch)) {
                    assertEquals(1, late.threads(), "no helper is free");
                }
                alone = layer.training(direction);
                aloneGradients = layer.backward(alone);
                aloneInference = layer.inference(direction);
            }
            String name = type + " " + direction;
            assertSameBits(name + " output", alone.output(), shared.output());
            assertSameBits(name + " final h", alone.finalHidden(), shared.finalHidden());
            assertSameBits(name + " inference output", aloneInference.output(), sharedInference.output());
            assertSameBits(name + " inference = training", shared.output(), sharedInference.output());
            assertSameBits(name + " inference final h", shared.finalHidden(), sharedInference.finalHidden());
            assertSameBits(name + " dx", aloneGradients.input(), sharedGradients.input());
            assertSameBits(name + " dh0", aloneGradients.initialHidden(), sharedGradients.initialHidden());
            assertSameBits(name + " dW_ih", aloneGradients.weights().weightIh(), sharedGradients.weights().weightIh());
            assertSameBits(name + " dW_hh", aloneGradients.weights().weightHh(), sharedGradients.weights().weightHh());
            assertSameBits(name + " db_hh", aloneGradients.weights().biasHh(), sharedGradients.weights().biasHh());
            if (type.hasCellState()) {
                assertSameBits(name + " final c", alone.finalCell(), shared.finalCell());
                assertSameBits(name + " inference final c", shared.finalCell(), sharedInference.finalCell());
                assertSameBits(name + " dc0", aloneGradients.initialCell(), sharedGradients.initialCell());
            }
        }
    }

    /** Sharing only the update changes no bit of {@link Cell#forward}: each unit's update touches that unit only. */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void sharedUpdateEqualsTheUnsplitStepBitForBit(CellType type) {
        Layer layer = Layer.of(type, 12);
        Cell unsplit = new Unsplit(layer.cell);
        for (Direction direction : Direction.values()) {
            DirectionCache expected = DirectionRunner.forward(unsplit, layer.weights, layer.x, layer.h0, layer.c0,
                    layer.layout, direction);
            DirectionCache actual = layer.training(direction);
            assertSameBits(type + " " + direction + " output", expected.output(), actual.output());
            assertSameBits(type + " " + direction + " final h", expected.finalHidden(), actual.finalHidden());
        }
    }

    /** A cell's steps run whole, by {@link Cell#forward}: the cell without its parallel step. */
    private record Unsplit(Cell cell) implements Cell {
        @Override
        public CellType type() {
            return cell.type();
        }

        @Override
        public INDArray inputProjectionBias(CellWeights weights) {
            return cell.inputProjectionBias(weights);
        }

        @Override
        public boolean separateRecurrentGradient() {
            return cell.separateRecurrentGradient();
        }

        @Override
        public void forward(CellWeights weights, StepTensors s) {
            cell.forward(weights, s);
        }

        @Override
        public void backward(CellWeights weights, StepTensors s, StepGradients g) {
            cell.backward(weights, s, g);
        }
    }

    @Test
    void smallStepsAndUnsplittableCellsRunOnTheCaller() {
        Layer layer = Layer.of(CellType.LSTM);
        try (StepTeam tiny = StepTeam.of(layer.cell, layer.weights, 2)) {
            assertEquals(1, tiny.threads(), "2 rows: no parallel step");
        }
        try (StepTeam plain = StepTeam.of(CellType.LSTM.plainCell(), layer.weights, 8)) {
            assertEquals(1, plain.threads(), "the plain cells have no parallel step");
        }
    }

    @Test
    void aFailureInAnyPartReachesTheCallerAndReleasesNoHelperTwice() {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        IllegalStateException failure = new IllegalStateException("part failed");
        Cell failing = new FailingCell(failure, threads);
        CellWeights weights = Layer.of(CellType.RNN_TANH).weights;
        try (StepTeam team = StepTeam.of(failing, weights, 8)) {
            assertEquals(3, team.threads());
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> team.step(null));
            assertSame(failure, thrown);
            assertTrue(threads.size() > 1, "the parts ran on more than one thread: " + threads);
            assertSame(failure, assertThrows(IllegalStateException.class, () -> team.step(null)),
                    "the team still steps after a failure");
            assertSame(failure, assertThrows(IllegalStateException.class, () -> team.backwardStep(null, null)),
                    "a backward part's failure reaches the caller too");
        }
        try (StepTeam next = StepTeam.of(failing, weights, 8)) {
            assertEquals(3, next.threads(), "the helpers were released");
        }
    }

    /** A cell whose parallel step fails in every part, after a pause long enough for every thread to take one. */
    private record FailingCell(RuntimeException failure, Set<String> threads) implements Cell {
        @Override
        public CellType type() {
            return CellType.RNN_TANH;
        }

        @Override
        public INDArray inputProjectionBias(CellWeights weights) {
            return null;
        }

        @Override
        public ParallelStep parallelStep(CellWeights weights, int batch) {
            return new ParallelStep() {
                @Override
                public boolean serves(int rows) {
                    return true;
                }

                @Override
                public int hiddenSize() {
                    return 64;
                }

                @Override
                public int blockSize() {
                    return 8;
                }

                @Override
                public long work(int rows) {
                    return 1L << 30;
                }

                @Override
                public void forward(StepTensors s, int from, int to) {
                    fail();
                }

                @Override
                public void backward(StepTensors s, StepGradients g, int from, int to) {
                    fail();
                }

                @Override
                public void endBackward(StepTensors s, StepGradients g) {
                    throw new AssertionError("not called: a part failed");
                }

                private void fail() {
                    threads.add(Thread.currentThread().getName());
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw failure;
                }
            };
        }

        @Override
        public void forward(CellWeights weights, StepTensors s) {
            throw new AssertionError("not called: the parallel step runs");
        }

        @Override
        public void backward(CellWeights weights, StepTensors s, StepGradients g) {
            throw new AssertionError("not called");
        }
    }

    @Test
    void theWeightsArePackedPerCallSoChangedWeightsAreSeen() {
        Layer layer = Layer.of(CellType.GRU);
        INDArray before = layer.training(Direction.FORWARD).output().dup();
        layer.weights.weightHh().muli(0.5);
        INDArray after = layer.training(Direction.FORWARD).output();
        assertNotNull(after);
        assertTrue(before.sub(after).amaxNumber().doubleValue() > 1e-3, "a changed W_hh changes the output");
    }
}
