package dev.recurrent4j.cell;

import dev.recurrent4j.tensor.MatrixRegion;

/**
 * The memory one time step reads and writes, as regions of the caller's preallocated buffers, restricted to the b
 * rows of the batch that are active at this step. Regions are plain offsets: building a {@code StepTensors} makes
 * no ND4J object, so a step allocates no array of its own.
 *
 * @param gates {@code [b, G*H]}: on entry the input projection of this step (plus the biases the cell asked for
 *     with {@link Cell#inputProjectionBias}); on exit the cell's cached activations (see each cell)
 * @param hiddenProjection {@code [b, G*H]} the recurrent projection {@code h W_hh^T + b_hh}, kept for the backward
 *     step (GRU only; {@code null} for the others; the fused GRU adds only {@code b_hn}, the one backward reads,
 *     and takes {@code b_hr}, {@code b_hz} with the input projection)
 * @param hPrev {@code [b, H]} the state entering the step; read only
 * @param hNext {@code [b, H]} the state leaving the step; written
 * @param cPrev {@code [b, H]} LSTM cell state entering the step; read only ({@code null} for the others)
 * @param cNext {@code [b, H]} LSTM cell state leaving the step; written ({@code null} for the others)
 * @param tanhC {@code [b, H]} LSTM {@code tanh(c')}, written in forward and read in backward ({@code null} otherwise)
 * @param scratch {@code [b, G*H]} temporary space, contents undefined between calls
 * @param weightHh {@code [G*H, H]} the recurrent weights, as a region for the fast paths; read only
 * @param biasHh {@code [1, G*H]} the recurrent bias, or {@code null} without bias; read only
 */
public record StepTensors(
        MatrixRegion gates,
        MatrixRegion hiddenProjection,
        MatrixRegion hPrev,
        MatrixRegion hNext,
        MatrixRegion cPrev,
        MatrixRegion cNext,
        MatrixRegion tanhC,
        MatrixRegion scratch,
        MatrixRegion weightHh,
        MatrixRegion biasHh) {

    /** The number of active rows, b. */
    public int rows() {
        return (int) hNext.rows();
    }
}
