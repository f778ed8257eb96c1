package dev.recurrent4j.cell;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One time step of a recurrent cell, forward and backward, in place on preallocated views.
 *
 * <p>The sequence runner computes the input projection {@code x W_ih^T} of all T steps in one GEMM, adds
 * {@link #inputProjectionBias}, and hands each step's rows to {@link #forward}; the cell does the one recurrent
 * GEMM of the step and the gate nonlinearities. Backward mirrors it: the cell turns dL/dh' (and dL/dc') into the
 * gate gradients and dL/dh (one GEMM), and the runner accumulates weight gradients over all steps afterwards.
 *
 * <p>Implementations are stateless singletons, safe to share between threads.
 */
public interface Cell {

    /** The cell's type. */
    CellType type();

    /**
     * The bias row to add to the input projection before the time loop: {@code b_ih + b_hh} where the two biases
     * reach the same pre-activation, {@code b_ih} alone where they do not (GRU).
     *
     * @return a new {@code [G*H]} array, or {@code null} when the cell has no bias
     */
    INDArray inputProjectionBias(CellWeights weights);

    /** Whether the backward step writes a separate {@link StepGradients#dGatesHh} (GRU) or reuses dGates. */
    default boolean separateRecurrentGradient() {
        return false;
    }

    /**
     * The forward step split by hidden units for {@code batch} rows, which the runners use in place of
     * {@link #forward} for every step of the call when there is one. The fused float32 cells on the CPU have one
     * (unless {@code -Drecurrent4j.parallelSteps=false}): for batches of {@value FusedCells#MIN_PARALLEL_ROWS} to
     * {@value FusedCells#MAX_PARALLEL_ROWS} rows and a hidden size that fills whole SIMD panels, the product and
     * the update are shared (a Java kernel computes the product); for larger batches, OpenBLAS computes the product
     * and the update is shared, with {@link #forward}'s bits.
     *
     * @return a step for these weights (which it may copy: made again whenever they change), or {@code null}
     */
    default ParallelStep parallelStep(CellWeights weights, int batch) {
        return null;
    }

    /** Forward one step: reads {@code s.gates} (input projection) and {@code s.hPrev}, writes {@code s.hNext}. */
    void forward(CellWeights weights, StepTensors s);

    /**
     * Backward one step, using what {@link #forward} cached in {@code s}. Reads {@code g.dH} (dL/dh'), writes
     * the gate gradients and replaces {@code g.dH} by dL/dh (and {@code g.dC} by dL/dc).
     */
    void backward(CellWeights weights, StepTensors s, StepGradients g);
}
