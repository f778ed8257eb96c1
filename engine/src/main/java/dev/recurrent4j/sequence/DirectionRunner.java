package dev.recurrent4j.sequence;

import dev.recurrent4j.tensor.Blas;
import dev.recurrent4j.tensor.MatrixRegion;
import dev.recurrent4j.tensor.NativeBuffer;
import static dev.recurrent4j.sequence.StepBuffers.rowsFrom;

import dev.recurrent4j.cell.Cell;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.cell.ParallelStep;
import dev.recurrent4j.cell.StepGradients;
import java.util.Queue;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Runs one layer in one direction over a whole batch of sequences: forward with the caches backward needs, and
 * backpropagation through time.
 *
 * <p>Per call: one GEMM for the input projection of all T steps; per step, the cell's one recurrent GEMM and its
 * elementwise ops on the active rows; after the backward loop, one GEMM each for dW_ih, dW_hh and dx over all
 * steps. Every buffer is allocated before the loop. Shapes are checked by the caller ({@code model}); here they
 * are only asserted.
 */
public final class DirectionRunner {
    private DirectionRunner() {}

    /**
     * Forward over all steps.
     *
     * @param input {@code [T, B, I]} 'c' order, batch sorted by length (see {@link BatchLayout}); borrowed, kept
     *     by the returned cache for backward, not mutated
     * @param h0 {@code [B, H]} initial hidden state; copied
     * @param c0 {@code [B, H]} initial LSTM cell state (copied), {@code null} for the other cells
     */
    public static DirectionCache forward(Cell cell, CellWeights weights, INDArray input, INDArray h0, INDArray c0,
            BatchLayout layout, Direction direction) {
        return forward(cell, weights, input, h0, c0, layout, direction, null);
    }

    /**
     * {@link #forward(Cell, CellWeights, INDArray, INDArray, INDArray, BatchLayout, Direction)} reusing the cache
     * arrays of an earlier call (fresh native memory costs a page fault per 4 KiB on first touch).
     *
     * @param reusable arrays from {@link DirectionCache#caches()} of results the caller no longer needs, taken in
     *     order where they have the shape needed; {@code null} for new arrays only
     */
    public static DirectionCache forward(Cell cell, CellWeights weights, INDArray input, INDArray h0, INDArray c0,
            BatchLayout layout, Direction direction, Queue<INDArray> reusable) {
        long steps = input.size(0);
        long batch = input.size(1);
        long inputSize = input.size(2);
        long gateWidth = weights.weightIh().size(0);
        DataType type = weights.dataType();
        boolean lstm = cell.type().hasCellState();
        assert input.ordering() == 'c' && !input.isView() : "input must be a 'c' array, not a view";
        assert layout.steps() == steps && layout.batch() == batch;

        StepBuffers buffers = new StepBuffers(weights, direction, steps, batch, lstm,
                cell.separateRecurrentGradient(), reusable);
        INDArray states = buffers.states;
        INDArray cellStates = buffers.cellStates;

        // The input projection of every step at once: [T*B, I] x [I, G*H].
        INDArray gatesFlat = buffers.gates.reshape(steps * batch, gateWidth);
        INDArray bias = cell.inputProjectionBias(weights); // a new array: freed once the product has read it
        Blas.linear(input.reshape(steps * batch, inputSize), weights.weightIh(), bias, gatesFlat);
        NativeBuffer.free(bias);
        states.slice(direction.initialIndex(steps)).assign(h0);
        if (lstm) {
            cellStates.slice(direction.initialIndex(steps)).assign(c0);
        }

        ParallelStep parallel = cell.parallelStep(weights, (int) batch); // backward steps through it too
        try (StepTeam team = StepTeam.of(cell, weights, parallel, (int) batch)) {
            for (long k = 0; k < steps; k++) {
                long t = direction.timeAt(k, steps);
                int active = layout.activeRows(t);
                if (active > 0) { // zero when every sequence ended before t (lengths may all be below T)
                    team.step(buffers.step(t, active));
                }
                if (active < batch) { // rows past their length carry their state unchanged
                    carry(states, direction, t, active);
                    if (lstm) {
                        carry(cellStates, direction, t, active);
                    }
                }
            }
        }

        INDArray output = outputsOf(states, direction, layout);
        return new DirectionCache(cell, weights, layout, input, buffers, parallel, output);
    }

    /**
     * Backpropagation through time over the steps {@code [windowStart, T)}.
     *
     * <p>With {@code windowStart > 0} (truncated BPTT, forward direction only) the state entering step
     * {@code windowStart} is treated as a constant: upstream gradients before the window are ignored, dx is 0
     * there, and dL/dh0 (dL/dc0) is 0.
     *
     * @param cache what {@link #forward} returned; not mutated
     * @param dOutput {@code [T, B, H]} 'c' contiguous dL/d(output), or {@code null}; entries at padded steps are
     *     ignored
     * @param dFinalHidden {@code [B, H]} dL/d(final hidden state), or {@code null}
     * @param dFinalCell {@code [B, H]} dL/d(final LSTM cell state), or {@code null}
     * @param windowStart the first step gradients flow through, {@code 0} for full BPTT
     */
    public static DirectionGradients backward(DirectionCache cache, INDArray dOutput, INDArray dFinalHidden,
            INDArray dFinalCell, long windowStart) {
        return backward(cache, dOutput, dFinalHidden, dFinalCell, windowStart, null);
    }

    /**
     * {@link #backward(DirectionCache, INDArray, INDArray, INDArray, long)} with reusable memory for the
     * pre-activation gradients {@code [T, B, G*H]} (two for the GRU): taken from {@code scratch} where an array has
     * that shape, and put back at the end for the next call (the next layer, or the next backward).
     *
     * @param scratch arrays this method may overwrite and leaves there; {@code null} for new arrays only
     */
    public static DirectionGradients backward(DirectionCache cache, INDArray dOutput, INDArray dFinalHidden,
            INDArray dFinalCell, long windowStart, Queue<INDArray> scratch) {
        Cell cell = cache.cell;
        CellWeights weights = cache.weights;
        Direction direction = cache.buffers.direction;
        BatchLayout layout = cache.layout;
        long steps = layout.steps();
        long batch = layout.batch();
        long hidden = weights.hiddenSize();
        long gateWidth = weights.weightIh().size(0);
        DataType type = weights.dataType();
        boolean lstm = cell.type().hasCellState();
        assert windowStart == 0 || direction == Direction.FORWARD : "truncation is defined for the forward direction";

        // Pre-activation gradients in reused memory: each step writes its active rows; the rows of sequences that
        // already ended stay exactly 0 (the weight-gradient products below read them), so only then is it zeroed.
        INDArray dGates = StepBuffers.take(scratch, type, steps, batch, gateWidth);
        INDArray dGatesHh = cell.separateRecurrentGradient() ? StepBuffers.take(scratch, type, steps, batch,
                gateWidth) : dGates;
        if (!layout.isFull()) {
            dGates.assign(0.0);
            if (dGatesHh != dGates) {
                dGatesHh.assign(0.0);
            }
        }
        INDArray dH = dFinalHidden == null ? Nd4j.zeros(type, batch, hidden) : dFinalHidden.dup('c');
        INDArray dC = !lstm ? null : dFinalCell == null ? Nd4j.zeros(type, batch, hidden) : dFinalCell.dup('c');
        NativeBuffer dGatesMemory = NativeBuffer.of(dGates);
        NativeBuffer dGatesHhMemory = NativeBuffer.of(dGatesHh);
        NativeBuffer dOutputMemory = dOutput == null ? null : NativeBuffer.of(dOutput);
        MatrixRegion dHRegion = MatrixRegion.of(dH);
        MatrixRegion dCRegion = lstm ? MatrixRegion.of(dC) : null;

        // Backward mirrors forward: walk the steps in the reverse of the order forward took them, shared between
        // threads as forward was (each step's elementwise gradients by rows).
        try (StepTeam team = StepTeam.of(cell, weights, cache.parallel, (int) batch)) {
            for (long k = steps - 1; k >= 0; k--) {
                long t = direction.timeAt(k, steps);
                if (t < windowStart) {
                    continue;
                }
                int active = layout.activeRows(t);
                if (active == 0) {
                    continue;
                }
                MatrixRegion dOutputRows = dOutputMemory == null ? null
                        : MatrixRegion.block(dOutputMemory, t, batch, hidden).firstRows(active);
                StepGradients g = new StepGradients(dOutputRows,
                        dHRegion.firstRows(active),
                        lstm ? dCRegion.firstRows(active) : null,
                        MatrixRegion.block(dGatesMemory, t, batch, gateWidth).firstRows(active),
                        MatrixRegion.block(dGatesHhMemory, t, batch, gateWidth).firstRows(active));
                team.backwardStep(cache.buffers.step(t, active), g);
                // Rows past their length pass dH and dC through unchanged, as their state was carried.
            }
        }
        if (windowStart > 0) { // the graph was cut before the window: the initial state gets no gradient
            dH.assign(0.0);
            if (lstm) {
                dC.assign(0.0);
            }
        }

        // Weight gradients and dx over every step of the window at once (accumulates over t).
        long firstRow = windowStart * batch;
        long lastRow = steps * batch;
        INDArray dGatesFlat = slab(dGates.reshape(steps * batch, gateWidth), firstRow, lastRow);
        INDArray dGatesHhFlat = slab(dGatesHh.reshape(steps * batch, gateWidth), firstRow, lastRow);
        INDArray inputFlat = slab(cache.input.reshape(steps * batch, cache.input.size(2)), firstRow, lastRow);
        long prevOffset = (long) direction.prevIndex(0) * batch;
        INDArray statesBefore = slab(cache.buffers.states.reshape((steps + 1) * batch, hidden),
                firstRow + prevOffset, lastRow + prevOffset);

        CellWeights dWeights = weights.zerosLike();
        Blas.gemm(dGatesFlat, true, inputFlat, false, 1.0, 0.0, dWeights.weightIh());
        Blas.gemm(dGatesHhFlat, true, statesBefore, false, 1.0, 0.0, dWeights.weightHh());
        if (weights.hasBias()) { // column sums as GEMMs with a row of ones: ND4J's sum(0) is far slower here
            INDArray ones = Nd4j.ones(type, 1, lastRow - firstRow);
            Blas.gemm(ones, false, dGatesFlat, false, 1.0, 0.0, dWeights.biasIh().reshape(1, gateWidth));
            Blas.gemm(ones, false, dGatesHhFlat, false, 1.0, 0.0, dWeights.biasHh().reshape(1, gateWidth));
            ones.close();
        }
        // dx before the window is 0; from the window on the product below writes every element
        INDArray dInput = windowStart == 0 ? Nd4j.createUninitialized(type, steps, batch, cache.input.size(2))
                : Nd4j.zeros(type, steps, batch, cache.input.size(2));
        INDArray dInputFlat = slab(dInput.reshape(steps * batch, cache.input.size(2)), firstRow, lastRow);
        Blas.gemm(dGatesFlat, false, weights.weightIh(), false, 1.0, 0.0, dInputFlat);
        if (scratch != null) { // free again: the next call may overwrite them
            scratch.offer(dGates);
            if (dGatesHh != dGates) {
                scratch.offer(dGatesHh);
            }
        }
        return new DirectionGradients(dInput, dH, dC, dWeights);
    }

    /** Copies the state of the inactive rows {@code [active, B)} across step {@code t}. */
    private static void carry(INDArray states, Direction direction, long t, int active) {
        rowsFrom(states.slice(direction.nextIndex(t)), active).assign(rowsFrom(states.slice(direction.prevIndex(t)), active));
    }

    /** {@code [T, B, H]}: the state after every step, in time order, with padded steps set to exactly 0. */
    private static INDArray outputsOf(INDArray states, Direction direction, BatchLayout layout) {
        long steps = layout.steps();
        long first = direction == Direction.FORWARD ? 1 : 0;
        INDArray output = states.get(NDArrayIndex.interval(first, first + steps), NDArrayIndex.all(),
                NDArrayIndex.all()).dup('c');
        for (long t = 0; t < steps; t++) {
            int active = layout.activeRows(t);
            if (active < layout.batch()) {
                rowsFrom(output.slice(t), active).assign(0.0);
            }
        }
        return output;
    }

    /** Rows {@code [from, to)} of a matrix: a contiguous view. */
    private static INDArray slab(INDArray matrix, long from, long to) {
        return matrix.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }
}
