package dev.recurrent4j.model;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link RecurrentNetwork#backward} returns.
 *
 * @param input {@code [T, B, I]} (or {@code [B, T, I]} when batch-first) dL/dx, exactly 0 at padded steps
 * @param initialState {@code [L*D, B, H]} dL/dh0 (and dL/dc0 for the LSTM)
 * @param parameters dL/d(each parameter), same shapes and names as the network's parameters
 */
public record Gradients(INDArray input, RecurrentState initialState, Parameters parameters) {

    /** The parameter gradients under PyTorch's names ({@code weight_ih_l0}, ...), shared, not copied. */
    public Map<String, INDArray> byTorchName() {
        return parameters.byTorchName();
    }
}
