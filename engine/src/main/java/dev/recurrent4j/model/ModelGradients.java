package dev.recurrent4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link SequenceModel#backward} returns.
 *
 * @param parameters dL/d(each parameter), with the model's names and shapes
 * @param initialState {@code [L*D, B, H]} dL/dh0 (and dL/dc0 for the LSTM)
 * @param input {@code [T, B, I]} dL/d(features) for dense input, exactly 0 at padded steps; {@code null} for token
 *     input
 */
public record ModelGradients(ModelParameters parameters, RecurrentState initialState, INDArray input) {}
