/**
 * The time loop of one layer in one direction: the input projection of all steps as one GEMM, one
 * {@link dev.recurrent4j.cell.Cell} step per time step, variable lengths with PyTorch's packed-sequence semantics,
 * and backpropagation through time (full, or truncated to the last k steps).
 *
 * <p>Native memory is decided here, once per call: every buffer the loop touches is allocated before the loop
 * and the loop itself addresses them by offset ({@code MatrixRegion}), creating no ND4J object per step.
 * {@link dev.recurrent4j.sequence.DirectionRunner} keeps what backward needs; {@link
 * dev.recurrent4j.sequence.InferenceRunner} keeps nothing. Stacking layers and directions, and the public API,
 * belong to {@code model}.
 */
package dev.recurrent4j.sequence;
