package dev.recurrent4j.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A contiguous 'c'-order array seen as raw memory, so that the hot loops can address sub-matrices by offset
 * ({@link MatrixRegion}) instead of creating an ND4J view per step (each view costs a native call of several
 * microseconds). The pointer and the byte buffer are made on first use, once, and only the CPU fast paths use
 * them; any other backend only ever asks for {@link MatrixRegion#view()}.
 *
 * <p>Not thread-safe: one instance belongs to one call (or one session) on one thread.
 */
public final class NativeBuffer {
    private final INDArray array;
    private Pointer base;
    private ByteBuffer bytes;
    /** One reusable pointer per operand slot of a product (a, b, c), so that a product allocates none. */
    private final FloatPointer[] floatSlots = new FloatPointer[3];
    private final DoublePointer[] doubleSlots = new DoublePointer[3];

    private NativeBuffer(INDArray array) {
        this.array = array;
    }

    /**
     * Wraps {@code array}, which must be 'c' order and contiguous (element-wise stride 1).
     *
     * @throws IllegalArgumentException otherwise
     */
    public static NativeBuffer of(INDArray array) {
        if (!isContiguous(array)) {
            throw new IllegalArgumentException("array: expected a contiguous 'c' array but was order "
                    + array.ordering() + " with element-wise stride " + array.elementWiseStride());
        }
        return new NativeBuffer(array);
    }

    /** Whether {@code array} is 'c' order with element-wise stride 1, what {@link #of} accepts. */
    public static boolean isContiguous(INDArray array) {
        return array.ordering() == 'c' && (array.length() <= 1 || array.elementWiseStride() == 1);
    }

    /**
     * Memory a caller lends for reuse across calls, checked and cut to size: the first {@code elements} of
     * {@code memory} as a flat view (its contents undefined).
     *
     * @param name the argument's name, for the exception
     * @throws IllegalArgumentException unless {@code memory} is a contiguous buffer of {@code type} with at least
     *     {@code elements} elements
     */
    public static INDArray lent(String name, INDArray memory, DataType type, long elements) {
        if (memory.dataType() != type || memory.length() < elements || !isContiguous(memory)) {
            throw new IllegalArgumentException(name + ": expected a contiguous " + type + " buffer of at least "
                    + elements + " elements but was " + (isContiguous(memory) ? "" : "a non-contiguous ")
                    + memory.dataType() + " of " + memory.length());
        }
        return memory.reshape(memory.length()).get(NDArrayIndex.interval(0, elements));
    }

    /**
     * Frees the native memory of each array now ({@link INDArray#close()}) instead of when the garbage collector
     * finds it, so that the next allocation reuses memory already touched; {@code null} entries and arrays closed
     * before are skipped. The arrays must be the caller's own, not views, and not read again.
     */
    public static void free(INDArray... arrays) {
        for (INDArray array : arrays) {
            if (array != null) {
                array.close();
            }
        }
    }

    /** The wrapped array. */
    public INDArray array() {
        return array;
    }

    public DataType dataType() {
        return array.dataType();
    }

    /**
     * Where the array's first element sits relative to its data buffer's address pointer: a view made by
     * {@code slice} has a data buffer whose address already includes the view's offset, other views share the
     * original buffer.
     */
    long start() {
        return array.offset() - array.data().offset();
    }

    /**
     * A float pointer at element {@code offset} of the array: the pointer of {@code slot} (0, 1 or 2, one per
     * operand of a product), repositioned; valid until the next call with the same slot.
     */
    FloatPointer floatsAt(long offset, int slot) {
        if (floatSlots[slot] == null) {
            floatSlots[slot] = new FloatPointer(base());
        }
        return floatSlots[slot].position(start() + offset);
    }

    /** As {@link #floatsAt} for float64. */
    DoublePointer doublesAt(long offset, int slot) {
        if (doubleSlots[slot] == null) {
            doubleSlots[slot] = new DoublePointer(base());
        }
        return doubleSlots[slot].position(start() + offset);
    }

    /** Little-endian bytes from the data buffer's address; element {@code i} of the array is at {@link #byteIndex}. */
    public ByteBuffer bytes() {
        if (bytes == null) {
            long end = start() + array.length();
            Pointer sized = array.dataType() == DataType.DOUBLE ? new DoublePointer(base()).limit(end)
                    : new FloatPointer(base()).limit(end);
            bytes = sized.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }
        return bytes;
    }

    /** The byte index in {@link #bytes()} of element {@code offset} of the array. */
    public int byteIndex(long offset) {
        return Math.toIntExact((start() + offset) * array.dataType().width());
    }

    private Pointer base() {
        if (base == null) {
            base = array.data().addressPointer();
        }
        return base;
    }
}
