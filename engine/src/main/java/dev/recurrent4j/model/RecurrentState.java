package dev.recurrent4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The state of a whole network between sequences (or its gradient): one row block per layer and direction, in
 * PyTorch's order (layer-major, forward before reverse: index {@code layer * D + direction}).
 *
 * @param h {@code [L*D, B, H]} hidden states
 * @param c {@code [L*D, B, H]} LSTM cell states; {@code null} for the other cells
 */
public record RecurrentState(INDArray h, INDArray c) {

    /** A state with no cell state, for RNN and GRU networks. */
    public static RecurrentState ofHidden(INDArray h) {
        return new RecurrentState(h, null);
    }
}
