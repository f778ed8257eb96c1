package dev.recurrent4j.model.layer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A lookup table, PyTorch's {@code nn.Embedding}: token id {@code k} becomes row {@code k} of {@code weight [V, E]}.
 * Stateless: the caller owns the arrays. Ids are checked by the caller, at the public boundary.
 */
public final class Embedding {
    private Embedding() {}

    /**
     * @param weight {@code [V, E]}; borrowed
     * @param ids N ids in {@code 0..V-1}
     * @return {@code [N, E]}, a new 'c' array: row n is {@code weight[ids[n]]}
     */
    public static INDArray forward(INDArray weight, int[] ids) {
        return Nd4j.pullRows(weight, 1, ids, 'c');
    }

    /**
     * The backward of {@link #forward}: {@code dWeight[ids[n]] += dRows[n]} for every n (accumulates over the rows
     * that share an id). Summed on the heap in a fixed order, so the result is deterministic.
     *
     * @param dRows {@code [N, E]} dL/d(rows); borrowed
     * @param ids the N ids of the forward
     * @param dWeight {@code [V, E]}, mutated
     */
    public static void backward(INDArray dRows, int[] ids, INDArray dWeight) {
        int dimension = (int) dWeight.size(1);
        double[] d = dRows.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] sum = new double[(int) dWeight.length()];
        for (int n = 0; n < ids.length; n++) {
            int row = ids[n] * dimension;
            int from = n * dimension;
            for (int e = 0; e < dimension; e++) {
                sum[row + e] += d[from + e];
            }
        }
        dWeight.addi(Nd4j.create(sum, dWeight.shape(), 'c').castTo(dWeight.dataType()));
    }
}
