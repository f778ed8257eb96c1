package dev.recurrent4j.model.layer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** One-hot encoding of token ids: no parameters, so no backward. Ids are checked by the caller. */
public final class OneHot {
    private OneHot() {}

    /**
     * @param ids N ids in {@code 0..V-1}
     * @param vocabulary V
     * @return {@code [N, V]}, a new 'c' array of {@code type}: 1 at {@code [n, ids[n]]}, 0 elsewhere
     */
    public static INDArray encode(int[] ids, int vocabulary, DataType type) {
        double[] values = new double[ids.length * vocabulary];
        for (int n = 0; n < ids.length; n++) {
            values[n * vocabulary + ids[n]] = 1.0;
        }
        return Nd4j.create(values, new long[] {ids.length, vocabulary}, 'c').castTo(type);
    }
}
