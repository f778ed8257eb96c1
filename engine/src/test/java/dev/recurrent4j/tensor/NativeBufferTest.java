package dev.recurrent4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Lent memory: cut to size as a view of the caller's buffer, or refused with the argument named; freed memory: every
 * array given is closed, nulls and arrays closed before are skipped.
 */
class NativeBufferTest {

    @Test
    void lentMemoryIsAFlatViewOfItsFirstElements() {
        INDArray memory = Nd4j.create(DataType.FLOAT, 4, 5);
        INDArray view = NativeBuffer.lent("memory", memory, DataType.FLOAT, 7);
        assertArrayEquals(new long[] {7}, view.shape());
        view.assign(3.0);
        assertEquals(3.0, memory.getDouble(1, 1), 0.0); // element 6
        assertEquals(0.0, memory.getDouble(1, 2), 0.0); // element 7: past the view
    }

    @Test
    void refusesTheWrongTypeTooFewElementsAndAStridedView() {
        INDArray floats = Nd4j.create(DataType.FLOAT, 10);
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> NativeBuffer.lent("scratch", floats, DataType.DOUBLE, 4));
        assertEquals("scratch: expected a contiguous DOUBLE buffer of at least 4 elements but was FLOAT of 10",
                type.getMessage());
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> NativeBuffer.lent("scratch", floats, DataType.FLOAT, 11));
        assertTrue(small.getMessage().contains("at least 11 elements but was FLOAT of 10"), small.getMessage());
        INDArray column = Nd4j.create(DataType.FLOAT, 10, 2).getColumn(0);
        IllegalArgumentException strided = assertThrows(IllegalArgumentException.class,
                () -> NativeBuffer.lent("scratch", column, DataType.FLOAT, 4));
        assertTrue(strided.getMessage().contains("but was a non-contiguous FLOAT of 10"), strided.getMessage());
    }

    @Test
    void freeClosesEveryArrayAndSkipsNullsAndClosedOnes() {
        INDArray first = Nd4j.create(DataType.FLOAT, 3);
        INDArray second = Nd4j.create(DataType.DOUBLE, 2, 2);
        INDArray closedBefore = Nd4j.create(DataType.FLOAT, 4);
        closedBefore.close();
        NativeBuffer.free(first, null, closedBefore, second);
        assertTrue(first.wasClosed());
        assertTrue(second.wasClosed());
        NativeBuffer.free(first); // again: nothing happens
        assertTrue(first.wasClosed());
    }
}
