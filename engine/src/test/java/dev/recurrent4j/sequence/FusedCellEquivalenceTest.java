package dev.recurrent4j.sequence;

import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.Cell;
import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.cell.FusedCells;
import dev.recurrent4j.testing.TestTensors;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * fused = plain: the SIMD cells ({@link FusedCells}) give the plain ND4J-op cells' outputs, final states and every
 * gradient, in float32, over variable lengths, both directions, and a hidden size that exercises both the vector
 * loop and its scalar tail; and with the batch and hidden size of the parallel step (the Java product, row tiles
 * cut short at the batch's end).
 */
class FusedCellEquivalenceTest {

    private static final int[] FOUR = {7, 7, 4, 1};
    private static final int[] SEVEN = {7, 6, 6, 4, 3, 1, 1};

    static Stream<Arguments> cases() {
        return Stream.of(CellType.values()).flatMap(type -> Stream.of(
                Arguments.of(type, Direction.FORWARD, 19, FOUR, false),
                Arguments.of(type, Direction.REVERSE, 16, FOUR, type.gates() > 1),
                Arguments.of(type, Direction.FORWARD, 3, FOUR, false),
                Arguments.of(type, Direction.FORWARD, 32, SEVEN, true),
                Arguments.of(type, Direction.REVERSE, 64, SEVEN, true)));
    }

    @ParameterizedTest(name = "{0} {1} H={2} lengths={3} parallel={4}")
    @MethodSource("cases")
    void fusedEqualsPlain(CellType type, Direction direction, int hidden, int[] lengths, boolean parallel) {
        assertTrue(FusedCells.available(), "the test JVM must run the fused cells (--add-modules jdk.incubator.vector)");
        Cell fused = type.cell();
        Cell plain = type.plainCell();
        assertNotSame(plain.getClass(), fused.getClass());

        Random random = new Random(3);
        int steps = 7;
        int batch = lengths.length;
        int inputSize = 5;
        long gateWidth = (long) type.gates() * hidden;
        CellWeights weights = new CellWeights(
                TestTensors.normal(random, DataType.FLOAT, 0.4, gateWidth, inputSize),
                TestTensors.normal(random, DataType.FLOAT, 0.4, gateWidth, hidden),
                TestTensors.normal(random, DataType.FLOAT, 0.4, gateWidth),
                TestTensors.normal(random, DataType.FLOAT, 0.4, gateWidth));
        INDArray x = TestTensors.normal(random, DataType.FLOAT, 1.0, steps, batch, inputSize);
        INDArray h0 = TestTensors.normal(random, DataType.FLOAT, 0.5, batch, hidden);
        INDArray c0 = type.hasCellState() ? TestTensors.normal(random, DataType.FLOAT, 0.5, batch, hidden) : null;
        BatchLayout layout = BatchLayout.ofSortedLengths(steps, lengths);
        assertEquals(parallel, fused.parallelStep(weights, batch) != null, "whether the step runs as a ParallelStep");
        assertNull(plain.parallelStep(weights, batch));
        INDArray dY = TestTensors.normal(random, DataType.FLOAT, 1.0, steps, batch, hidden);
        INDArray dHFinal = TestTensors.normal(random, DataType.FLOAT, 1.0, batch, hidden);
        INDArray dCFinal = type.hasCellState() ? TestTensors.normal(random, DataType.FLOAT, 1.0, batch, hidden) : null;

        DirectionCache expected = DirectionRunner.forward(plain, weights, x, h0, c0, layout, direction);
        DirectionCache actual = DirectionRunner.forward(fused, weights, x, h0, c0, layout, direction);
        // The parallel step's product sums in another order than OpenBLAS's: at H=64 the rounding of 64-term sums
        // carried through 7 steps reaches a few 1e-6.
        double tolerance = hidden > 32 ? 1e-5 : 2e-6;
        assertClose("output", expected.output(), actual.output(), tolerance);
        assertClose("final h", expected.finalHidden(), actual.finalHidden(), tolerance);
        if (type.hasCellState()) {
            assertClose("final c", expected.finalCell(), actual.finalCell(), tolerance);
        }

        DirectionGradients dExpected = DirectionRunner.backward(expected, dY, dHFinal, dCFinal, 0);
        DirectionGradients dActual = DirectionRunner.backward(actual, dY, dHFinal, dCFinal, 0);
        assertClose("dx", dExpected.input(), dActual.input(), tolerance);
        assertClose("dh0", dExpected.initialHidden(), dActual.initialHidden(), tolerance);
        if (type.hasCellState()) {
            assertClose("dc0", dExpected.initialCell(), dActual.initialCell(), tolerance);
        }
        assertClose("dW_ih", dExpected.weights().weightIh(), dActual.weights().weightIh(), tolerance);
        assertClose("dW_hh", dExpected.weights().weightHh(), dActual.weights().weightHh(), tolerance);
        assertClose("db_ih", dExpected.weights().biasIh(), dActual.weights().biasIh(), tolerance);
        assertClose("db_hh", dExpected.weights().biasHh(), dActual.weights().biasHh(), tolerance);
    }
}
