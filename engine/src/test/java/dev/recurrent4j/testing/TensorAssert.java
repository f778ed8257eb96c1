package dev.recurrent4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * Tensor comparisons for tests: shape first, then values; a failure names the tensor, the worst error and the
 * first bad index.
 */
public final class TensorAssert {
    private TensorAssert() {}

    /**
     * Asserts {@code |actual - expected| <= tolerance * max(max|expected|, floor)} everywhere.
     *
     * @return the worst error relative to {@code max|expected|} (for reporting)
     */
    public static double assertClose(String name, INDArray expected, INDArray actual, double tolerance) {
        assertArrayEquals(expected.shape(), actual.shape(), () -> name + ": shape expected "
                + Arrays.toString(expected.shape()) + " but was " + Arrays.toString(actual.shape()));
        double[] e = expected.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] a = actual.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double scale = 0;
        for (double v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        double bound = tolerance * Math.max(scale, 1e-12);
        double worst = 0;
        int firstBad = -1;
        for (int k = 0; k < e.length; k++) {
            double error = Math.abs(a[k] - e[k]);
            if (!(error <= bound) && firstBad < 0) {
                firstBad = k;
            }
            worst = Double.isNaN(error) ? Double.POSITIVE_INFINITY : Math.max(worst, error);
        }
        if (firstBad >= 0) {
            long[] index = Shape.ind2subC(expected.shape(), firstBad);
            fail(String.format("%s: max error %.3e exceeds %.1e x max|expected| (%.3e); first bad index %s:"
                    + " expected %.12g but was %.12g", name, worst, tolerance, scale, Arrays.toString(index),
                    e[firstBad], a[firstBad]));
        }
        return scale == 0 ? worst : worst / scale;
    }

    /** Asserts that every entry of {@code actual} is exactly 0. */
    public static void assertAllZero(String name, INDArray actual) {
        double[] a = actual.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        for (int k = 0; k < a.length; k++) {
            if (a[k] != 0.0) {
                fail(name + ": expected exactly 0 everywhere but index "
                        + Arrays.toString(Shape.ind2subC(actual.shape(), k)) + " was " + a[k]);
            }
        }
    }

    /** Asserts bit-for-bit equality: same shape, same data type, every entry the same bits. */
    public static void assertSameBits(String name, INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape(), () -> name + ": shape expected "
                + Arrays.toString(expected.shape()) + " but was " + Arrays.toString(actual.shape()));
        if (expected.dataType() != actual.dataType()) {
            fail(name + ": data type expected " + expected.dataType() + " but was " + actual.dataType());
        }
        assertSameBits(name, expected.dup('c').data().asDouble(), actual.dup('c').data().asDouble());
    }

    public static void assertSameBits(String name, double[] expected, double[] actual) {
        if (expected.length != actual.length) {
            fail(name + ": length expected " + expected.length + " but was " + actual.length);
        }
        for (int k = 0; k < expected.length; k++) {
            if (Double.doubleToLongBits(expected[k]) != Double.doubleToLongBits(actual[k])) {
                fail(String.format("%s: not bit for bit at index %d: expected %.17g but was %.17g", name, k,
                        expected[k], actual[k]));
            }
        }
    }
}
