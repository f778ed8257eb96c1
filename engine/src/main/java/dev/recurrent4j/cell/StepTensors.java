package dev.recurrent4j.cell;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The views one time step reads and writes, all restricted to the b rows of the batch that are active at this
 * step. They are views of the sequence runner's preallocated buffers; a step allocates no array of its own.
 *
 * @param gates {@code [b, G*H]}: on entry the input projection of this step (plus the biases the cell asked for
 *     with {@link Cell#inputProjectionBias}); on exit the cell's cached activations (see each cell)
 * @param hiddenProjection {@code [b, G*H]} scratch for the recurrent projection {@code h W_hh^T + b_hh}, kept for
 *     the backward step (GRU only; {@code null} for the others)
 * @param hPrev {@code [b, H]} the state entering the step; read only
 * @param hNext {@code [b, H]} the state leaving the step; written
 * @param cPrev {@code [b, H]} LSTM cell state entering the step; read only ({@code null} for the others)
 * @param cNext {@code [b, H]} LSTM cell state leaving the step; written ({@code null} for the others)
 * @param tanhC {@code [b, H]} LSTM {@code tanh(c')}, written in forward and read in backward ({@code null} otherwise)
 * @param scratch {@code [b, G*H]} temporary space, contents undefined between calls
 */
public record StepTensors(
        INDArray gates,
        INDArray hiddenProjection,
        INDArray hPrev,
        INDArray hNext,
        INDArray cPrev,
        INDArray cNext,
        INDArray tanhC,
        INDArray scratch) {}
