package dev.recurrent4j.cell;

import dev.recurrent4j.tensor.MatrixRegion;

/**
 * The gradient memory of one backward time step, restricted to the b active rows.
 *
 * @param dOutput {@code [b, H]} dL/d(this step's output), added to {@code dH} first; {@code null} for none
 * @param dH {@code [b, H]}: on entry dL/dh' from the later steps; on exit dL/dh (the state entering the step)
 * @param dC {@code [b, H]} LSTM only: on entry dL/dc', on exit dL/dc; {@code null} for the others
 * @param dGates {@code [b, G*H]} written: dL/d(pre-activation) as seen by the input projection
 *     ({@code x W_ih^T + b_ih})
 * @param dGatesHh {@code [b, G*H]} written: dL/d(pre-activation) as seen by the recurrent projection
 *     ({@code h W_hh^T + b_hh}); the same region as {@code dGates} except for the GRU, whose new gate sees
 *     {@code r * (W_hn h + b_hn)}
 */
public record StepGradients(MatrixRegion dOutput, MatrixRegion dH, MatrixRegion dC, MatrixRegion dGates,
        MatrixRegion dGatesHh) {}
