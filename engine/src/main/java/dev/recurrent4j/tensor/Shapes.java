package dev.recurrent4j.tensor;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Shape and dtype checks for the public boundary. Each check throws an {@link IllegalArgumentException} whose
 * message names the tensor, the expected shape (with the dimension letters) and the actual one, for example
 * {@code x: expected [T=12, B=4, I=8] but was [12, 4, 7]}. Inside the math, shapes are {@code assert}ed instead.
 */
public final class Shapes {
    private Shapes() {}

    /**
     * Checks that {@code array} has exactly the given dimensions; {@code -1} accepts any size.
     *
     * @param name the argument's name, used in the message
     * @param array the tensor to check; {@code null} is rejected
     * @param letters the dimension letters, one per dimension, e.g. {@code "T", "B", "I"}
     * @param sizes the expected sizes, {@code -1} for "any"
     * @throws IllegalArgumentException naming the tensor, the expected and the actual shape
     */
    public static void requireShape(String name, INDArray array, String[] letters, long[] sizes) {
        if (letters.length != sizes.length) {
            throw new IllegalStateException("letters and sizes differ in length");
        }
        if (array == null) {
            throw new IllegalArgumentException(name + ": expected " + describe(letters, sizes) + " but was null");
        }
        long[] shape = array.shape();
        boolean ok = shape.length == sizes.length;
        for (int k = 0; ok && k < sizes.length; k++) {
            ok = sizes[k] < 0 || sizes[k] == shape[k];
        }
        if (!ok) {
            throw new IllegalArgumentException(
                    name + ": expected " + describe(letters, sizes) + " but was " + Arrays.toString(shape));
        }
    }

    /** Checks the data type of {@code array}; the message names the tensor, the expected and the actual type. */
    public static void requireDataType(String name, INDArray array, DataType expected) {
        if (array.dataType() != expected) {
            throw new IllegalArgumentException(
                    name + ": expected data type " + expected + " but was " + array.dataType());
        }
    }

    /** Renders {@code [T=12, B=4, I=?]}: a letter with its size, or {@code ?} where any size is accepted. */
    public static String describe(String[] letters, long[] sizes) {
        String inner = java.util.stream.IntStream.range(0, letters.length)
                .mapToObj(k -> letters[k] + "=" + (sizes[k] < 0 ? "?" : Long.toString(sizes[k])))
                .collect(Collectors.joining(", "));
        return "[" + inner + "]";
    }
}
