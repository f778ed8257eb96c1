package dev.recurrent4j.model;

import dev.recurrent4j.tensor.NativeBuffer;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link RecurrentNetwork#backward} returns. Every array is new and owned by the caller; as with
 * {@code SequenceOutput}, {@link #close()} frees their native memory now rather than when the garbage collector finds
 * them, so that the next backward can take memory already touched (see the benchmarks' results of 2026-11-23).
 *
 * @param input {@code [T, B, I]} (or {@code [B, T, I]} when batch-first) dL/dx, exactly 0 at padded steps
 * @param initialState {@code [L*D, B, H]} dL/dh0 (and dL/dc0 for the LSTM)
 * @param parameters dL/d(each parameter), same shapes and names as the network's parameters
 */
public record Gradients(INDArray input, RecurrentState initialState, Parameters parameters) implements AutoCloseable {

    /** The parameter gradients under PyTorch's names ({@code weight_ih_l0}, ...), shared, not copied. */
    public Map<String, INDArray> byTorchName() {
        return parameters.byTorchName();
    }

    /** Frees the parameter gradients' native memory now (they must not be read after); closing again does nothing. */
    public void closeParameters() {
        NativeBuffer.free(parameters.byTorchName().values().toArray(INDArray[]::new));
    }

    /** Frees the native memory of every array here now; closing again does nothing. */
    @Override
    public void close() {
        closeParameters();
        NativeBuffer.free(input, initialState.h(), initialState.c());
    }
}
