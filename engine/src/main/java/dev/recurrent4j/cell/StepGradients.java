package dev.recurrent4j.cell;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The gradient views of one backward time step, restricted to the b active rows.
 *
 * @param dH {@code [b, H]}: on entry dL/dh' (the step's output state); on exit dL/dh (the state entering it)
 * @param dC {@code [b, H]} LSTM only: on entry dL/dc', on exit dL/dc; {@code null} for the others
 * @param dGates {@code [b, G*H]} written: dL/d(pre-activation) as seen by the input projection
 *     ({@code x W_ih^T + b_ih})
 * @param dGatesHh {@code [b, G*H]} written: dL/d(pre-activation) as seen by the recurrent projection
 *     ({@code h W_hh^T + b_hh}); the same array as {@code dGates} except for the GRU, whose new gate sees
 *     {@code r * (W_hn h + b_hn)}
 */
public record StepGradients(INDArray dH, INDArray dC, INDArray dGates, INDArray dGatesHh) {}
