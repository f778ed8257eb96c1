package dev.recurrent4j.benchmarks;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The validations every benchmark state runs once in its {@code @Setup}, before anything is timed. A failure is an
 * {@link IllegalStateException} naming the array, so JMH reports the broken benchmark instead of a number.
 */
final class Checks {
    private Checks() {
    }

    static void shape(String name, INDArray array, long... expected) {
        if (!Arrays.equals(array.shape(), expected)) {
            throw new IllegalStateException(name + ": expected " + Arrays.toString(expected) + " but was "
                    + Arrays.toString(array.shape()));
        }
    }

    /** Every entry finite (no NaN, no infinity). */
    static void finite(String name, INDArray array) {
        double sum = array.sumNumber().doubleValue();
        if (!Double.isFinite(sum)) {
            throw new IllegalStateException(name + ": expected finite values but the sum is " + sum);
        }
    }

    /** Every entry within {@code [-bound, bound]}. */
    static void bounded(String name, INDArray array, double bound) {
        double max = array.amaxNumber().doubleValue();
        if (!(max <= bound)) {
            throw new IllegalStateException(name + ": expected |values| <= " + bound + " but max |value| was " + max);
        }
    }

    /** Same shape, and max |actual - expected| within {@code tolerance}. */
    static double close(String name, INDArray actual, INDArray expected, double tolerance) {
        shape(name, actual, expected.shape());
        double error = maxError(actual, expected);
        if (!(error <= tolerance)) {
            throw new IllegalStateException(name + ": max |error| " + error + " exceeds " + tolerance);
        }
        return error;
    }

    static double maxError(INDArray actual, INDArray expected) {
        return Transforms.abs(actual.castTo(expected.dataType()).sub(expected), false).maxNumber().doubleValue();
    }

    /** max |actual - expected| / max |expected|: float32 results summed in another order differ by ~1e-6 of it. */
    static double relativeError(INDArray actual, INDArray expected) {
        return maxError(actual, expected) / expected.amaxNumber().doubleValue();
    }
}
