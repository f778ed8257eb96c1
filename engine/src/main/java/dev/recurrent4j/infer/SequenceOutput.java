package dev.recurrent4j.infer;

import dev.recurrent4j.model.RecurrentState;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link InferenceModel#run} returns. Every array is new and owned by the caller.
 *
 * @param output {@code [T, B, D*H]} (or {@code [B, T, D*H]} when batch-first) the last layer's outputs, directions
 *     concatenated forward first, exactly 0 at padded steps
 * @param finalState {@code [L*D, B, H]} each sequence's state after its own last step
 * @param logits {@code [T, B, O]} (or batch-first) the head applied to every step's output, exactly 0 at padded
 *     steps; {@code null} for a model without head
 */
public record SequenceOutput(INDArray output, RecurrentState finalState, INDArray logits) {}
