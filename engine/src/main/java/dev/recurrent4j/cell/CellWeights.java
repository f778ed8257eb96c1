package dev.recurrent4j.cell;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The parameters of one layer and direction, in PyTorch's packing, or their gradients: parameters and gradients
 * share this type ({@code grads = params.zerosLike()}).
 *
 * @param weightIh {@code [G*H, I]}, PyTorch {@code weight_ih_l{k}[_reverse]}
 * @param weightHh {@code [G*H, H]}, PyTorch {@code weight_hh_l{k}[_reverse]}
 * @param biasIh {@code [G*H]}, or {@code null} for a cell without bias
 * @param biasHh {@code [G*H]}, or {@code null} for a cell without bias
 */
public record CellWeights(INDArray weightIh, INDArray weightHh, INDArray biasIh, INDArray biasHh) {

    public CellWeights {
        if ((biasIh == null) != (biasHh == null)) {
            throw new IllegalArgumentException("biasIh and biasHh: expected both or neither, but only one was given");
        }
    }

    /** H, read off {@code weightHh}. */
    public long hiddenSize() {
        return weightHh.size(1);
    }

    /** I, read off {@code weightIh}. */
    public long inputSize() {
        return weightIh.size(1);
    }

    public boolean hasBias() {
        return biasIh != null;
    }

    public DataType dataType() {
        return weightIh.dataType();
    }

    /** New zero arrays of the same shapes and type: a gradient accumulator for these parameters. */
    public CellWeights zerosLike() {
        return new CellWeights(
                Nd4j.zeros(dataType(), weightIh.shape()),
                Nd4j.zeros(dataType(), weightHh.shape()),
                hasBias() ? Nd4j.zeros(dataType(), biasIh.shape()) : null,
                hasBias() ? Nd4j.zeros(dataType(), biasHh.shape()) : null);
    }
}
