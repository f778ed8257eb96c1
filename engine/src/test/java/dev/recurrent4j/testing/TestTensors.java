package dev.recurrent4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.recurrent4j.model.ForwardResult;
import dev.recurrent4j.model.RecurrentState;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Small tensor utilities for tests: seeded random data (from {@link java.util.Random}, so it does not depend on
 * ND4J's generator), the probe loss {@code sum(output*gOut) + sum(h_n*gH) [+ sum(c_n*gC)]}, and copies that
 * select batch rows or time ranges of {@code [T, B, *]} (and {@code [L*D, B, H]}) arrays. Every method returns a
 * new 'c' array and mutates nothing.
 */
public final class TestTensors {
    private TestTensors() {}

    /** A new array of {@code shape} with entries {@code scale * N(0, 1)} drawn from {@code random}. */
    public static INDArray normal(Random random, DataType type, double scale, long... shape) {
        long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        double[] values = new double[(int) n];
        for (int k = 0; k < values.length; k++) {
            values[k] = scale * random.nextGaussian();
        }
        return Nd4j.create(values, shape, 'c').castTo(type);
    }

    /** The entries in 'c' order, as doubles. */
    public static double[] values(INDArray array) {
        return array.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /** {@code sum(a * b)} in double; the shapes must be equal. */
    public static double dot(INDArray a, INDArray b) {
        assertArrayEquals(a.shape(), b.shape(), "dot: shapes differ");
        double[] x = values(a);
        double[] y = values(b);
        double sum = 0;
        for (int k = 0; k < x.length; k++) {
            sum += x[k] * y[k];
        }
        return sum;
    }

    /**
     * The probe loss {@code sum(output * gOut) + sum(h_n * gFinal.h) [+ sum(c_n * gFinal.c)]}, whose gradient
     * with respect to (output, h_n, c_n) is exactly (gOut, gFinal.h, gFinal.c).
     */
    public static double probeLoss(ForwardResult out, INDArray gOut, RecurrentState gFinal) {
        double loss = dot(out.output(), gOut) + dot(out.finalState().h(), gFinal.h());
        if (gFinal.c() != null) {
            loss += dot(out.finalState().c(), gFinal.c());
        }
        return loss;
    }

    /** A copy of {@code tensors} in which {@code name} is replaced by a copy with entry {@code index} + delta. */
    public static Map<String, INDArray> perturbed(Map<String, INDArray> tensors, String name, long index,
            double delta) {
        Map<String, INDArray> copy = new LinkedHashMap<>(tensors);
        copy.put(name, plus(tensors.get(name), index, delta));
        return copy;
    }

    /** A 'c' copy of {@code array} with linear ('c' order) entry {@code index} increased by {@code delta}. */
    public static INDArray plus(INDArray array, long index, double delta) {
        INDArray copy = array.dup('c');
        copy.putScalar(index, copy.getDouble(index) + delta);
        return copy;
    }

    /** {@code [*, rows.length, *]}: the given rows of dimension 1 of a rank-3 array, in the given order. */
    public static INDArray batchRows(INDArray array, int... rows) {
        INDArray result = Nd4j.create(array.dataType(), array.size(0), rows.length, array.size(2));
        for (int j = 0; j < rows.length; j++) {
            result.get(NDArrayIndex.all(), NDArrayIndex.point(j), NDArrayIndex.all())
                    .assign(array.get(NDArrayIndex.all(), NDArrayIndex.point(rows[j]), NDArrayIndex.all()));
        }
        return result;
    }

    /** {@code [to-from, *, *]}: time steps {@code [from, to)} of a rank-3 time-major array. */
    public static INDArray timeRange(INDArray array, long from, long to) {
        return array.get(NDArrayIndex.interval(from, to), NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
    }

    /** The rank-3 array with its dimension 0 (time) reversed. */
    public static INDArray flipTime(INDArray array) {
        INDArray result = array.ulike();
        long steps = array.size(0);
        for (long t = 0; t < steps; t++) {
            result.slice(t).assign(array.slice(steps - 1 - t));
        }
        return result;
    }

    /** A copy of a state with only the given batch rows, or {@code null} for {@code null}. */
    public static RecurrentState batchRows(RecurrentState state, int... rows) {
        if (state == null) {
            return null;
        }
        return new RecurrentState(state.h() == null ? null : batchRows(state.h(), rows),
                state.c() == null ? null : batchRows(state.c(), rows));
    }
}
