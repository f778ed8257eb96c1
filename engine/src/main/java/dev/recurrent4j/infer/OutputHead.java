package dev.recurrent4j.infer;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What turns the network's last-layer output into predictions, e.g. logits over a vocabulary: a function from
 * {@code [n, D*H]} to {@code [n, O]}. {@link LinearHead} is the usual one; any implementation must be immutable,
 * safe to call from many threads at once (each call with its own arrays) and must write only {@code out}.
 *
 * <p>This is the inference side's own small contract, so that streams, batching and generation work with any head;
 * the sequence models of {@code dev.recurrent4j.model} can be adapted to it.
 */
public interface OutputHead {

    /** D*H, the features the head reads. */
    int inputSize();

    /** O, the features it produces (V for a language model). */
    int outputSize();

    /**
     * {@code out = head(hidden)}.
     *
     * @param hidden {@code [n, D*H]} in the network's data type; not mutated
     * @param out {@code [n, O]} same data type, 'c' order; overwritten
     */
    void apply(INDArray hidden, INDArray out);

    /** The head's parameters under stable names (for fingerprints and saving); arrays shared, not copied. */
    java.util.Map<String, INDArray> parameters();
}
