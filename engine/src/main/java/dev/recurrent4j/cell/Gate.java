package dev.recurrent4j.cell;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The gate blocks, in PyTorch's packing order: the RNN's single block, LSTM i, f, g, o and GRU r, z, n. This enum owns the slicing of
 * packed {@code [*, G*H]} arrays (and {@code [G*H, *]} weights); no other code computes gate offsets.
 */
public enum Gate {
    /** The Elman RNN's single block (tanh or relu). */
    RNN_HIDDEN(0),
    /** LSTM input gate (sigmoid). */
    LSTM_INPUT(0),
    /** LSTM forget gate (sigmoid). */
    LSTM_FORGET(1),
    /** LSTM cell candidate g (tanh). */
    LSTM_CELL(2),
    /** LSTM output gate (sigmoid). */
    LSTM_OUTPUT(3),
    /** GRU reset gate r (sigmoid). */
    GRU_RESET(0),
    /** GRU update gate z (sigmoid). */
    GRU_UPDATE(1),
    /** GRU new gate n (tanh). */
    GRU_NEW(2);

    private final int index;

    Gate(int index) {
        this.index = index;
    }

    /** The block's position in the packed layout. */
    public int index() {
        return index;
    }

    /**
     * The columns of this gate in a packed row block.
     *
     * @param packed {@code [B, G*H]}; borrowed
     * @param hidden H
     * @return a view {@code [B, H]} of {@code packed}, not a copy
     */
    public INDArray columns(INDArray packed, long hidden) {
        return columns(packed, this, this, hidden);
    }

    /**
     * The rows of this gate in a packed weight or bias.
     *
     * @param packed {@code [G*H, *]} or {@code [G*H]}; borrowed
     * @param hidden H
     * @return a view {@code [H, *]} or {@code [H]} of {@code packed}, not a copy
     */
    public INDArray rows(INDArray packed, long hidden) {
        if (packed.rank() == 1) {
            return packed.get(NDArrayIndex.interval(index * hidden, (index + 1) * hidden));
        }
        return packed.get(NDArrayIndex.interval(index * hidden, (index + 1) * hidden), NDArrayIndex.all());
    }

    /**
     * The columns from gate {@code first} through gate {@code last} inclusive, which must be adjacent in the
     * packing (e.g. LSTM i..f, GRU r..z).
     *
     * @param packed {@code [B, G*H]}; borrowed
     * @return a view {@code [B, (last-first+1)*H]} of {@code packed}
     */
    public static INDArray columns(INDArray packed, Gate first, Gate last, long hidden) {
        assert first.index <= last.index : first + " after " + last;
        return packed.get(NDArrayIndex.all(),
                NDArrayIndex.interval(first.index * hidden, (last.index + 1) * hidden));
    }
}
