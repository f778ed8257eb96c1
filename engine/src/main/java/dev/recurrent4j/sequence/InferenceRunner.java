package dev.recurrent4j.sequence;

import dev.recurrent4j.cell.Cell;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.cell.ParallelStep;
import dev.recurrent4j.cell.StepTensors;
import dev.recurrent4j.tensor.Blas;
import dev.recurrent4j.tensor.MatrixRegion;
import dev.recurrent4j.tensor.NativeBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs one layer in one direction over a whole batch of sequences for inference: the same cells, the same
 * input-projection GEMM and the same per-step arithmetic as {@link DirectionRunner#forward}, so the same numbers bit
 * for bit, but without anything backward needs. It is not a replacement for {@link DirectionRunner}: it cannot be
 * differentiated.
 *
 * <p>What it keeps: the input projections {@code [T, B, G*H]} (one GEMM for all steps, as the training path) and the
 * outputs {@code [T, B, H]}. What it does not: the {@code [T+1, B, H]} hidden and cell state histories, the
 * {@code [T, B, H]} tanh(c') cache and the GRU's {@code [T, B, G*H]} recurrent projections. When every sequence
 * runs all T steps, each step writes the hidden state straight into its block of the output and the next reads it
 * there; otherwise it lives in two {@code [B, H]} buffers, each step reading one and writing the other (the parts of
 * a shared step read the whole previous state). The LSTM cell state lives in one buffer, updated in place.
 * {@code EquivalenceTest}-style tests in {@code infer} tie the two runners together.
 *
 * <p>The input projections go into memory the caller lends ({@code projectionMemory}), so that repeated calls reuse it:
 * fresh native memory of this size costs a page fault per 4 KiB on first touch, as much as a third of the call.
 */
public final class InferenceRunner {
    private InferenceRunner() {}

    /**
     * What one layer-direction produced.
     *
     * @param output {@code [T, B, H]} 'c', the state after every step in time order, exactly 0 at padded steps; new
     * @param finalHidden {@code [B, H]} each sequence's state after its own last step (reverse: after step 0); new
     * @param finalCell {@code [B, H]} the LSTM cell state likewise, {@code null} for the other cells; new
     */
    public record Result(INDArray output, INDArray finalHidden, INDArray finalCell) {}

    /**
     * Forward over all steps, keeping no caches.
     *
     * @param input {@code [T, B, I]} 'c' order, batch sorted by length (see {@link BatchLayout}); not mutated
     * @param h0 {@code [B, H]} initial hidden state; not mutated
     * @param c0 {@code [B, H]} initial LSTM cell state (not mutated), {@code null} for the other cells
     * @param projectionMemory a contiguous buffer of the weights' data type with at least {@code T*B*G*H} elements, for the
     *     input projections; its contents are overwritten and need not be initialised
     */
    public static Result forward(Cell cell, CellWeights weights, INDArray input, INDArray h0, INDArray c0,
            BatchLayout layout, Direction direction, INDArray projectionMemory) {
        return forward(cell, weights, input, h0, c0, layout, direction, projectionMemory,
                cell.parallelStep(weights, Math.toIntExact(input.size(1))));
    }

    /**
     * {@link #forward(Cell, CellWeights, INDArray, INDArray, INDArray, BatchLayout, Direction, INDArray)} with the
     * cell's parallel step for these weights and this batch kept by the caller (weights that never change), or
     * {@code null} where the cell has none.
     */
    public static Result forward(Cell cell, CellWeights weights, INDArray input, INDArray h0, INDArray c0,
            BatchLayout layout, Direction direction, INDArray projectionMemory, ParallelStep parallel) {
        long steps = input.size(0);
        long batch = input.size(1);
        long inputSize = input.size(2);
        long hidden = weights.hiddenSize();
        long gateWidth = weights.weightIh().size(0);
        DataType type = weights.dataType();
        boolean lstm = cell.type().hasCellState();
        assert input.ordering() == 'c' : "input must be 'c' order";
        assert layout.steps() == steps && layout.batch() == batch;

        // Native memory for the whole call, decided here: nothing below allocates an array.
        INDArray gates = NativeBuffer.lent("projectionMemory", projectionMemory, type, steps * batch * gateWidth)
                .reshape(steps, batch, gateWidth);
        // Every element of the output is written below unless some sequences are shorter than T. When none is, each
        // step writes h' straight into its block of the output and the next step reads it from there; otherwise the
        // state alternates between two buffers (a step reads one whole while it writes the other) and each step's
        // active rows are copied into the output.
        boolean full = layout.isFull();
        INDArray output = full ? Nd4j.createUninitialized(type, steps, batch, hidden)
                : Nd4j.zeros(type, steps, batch, hidden);
        INDArray[] h = {h0.dup('c'), full ? null : h0.dup('c')};
        INDArray c = lstm ? c0.dup('c') : null;
        // Freed when the loop ends (see SequenceOutput on why it matters): the projection, tanh(c') and scratch.
        INDArray projectionArray = cell.separateRecurrentGradient()
                ? Nd4j.createUninitialized(type, batch, gateWidth) : null;
        INDArray tanhCArray = lstm ? Nd4j.createUninitialized(type, batch, hidden) : null;
        INDArray scratchArray = Nd4j.createUninitialized(type, batch, gateWidth);
        NativeBuffer gatesMemory = NativeBuffer.of(gates);
        NativeBuffer outputMemory = NativeBuffer.of(output);
        MatrixRegion[] hRegions = {MatrixRegion.of(h[0]), full ? null : MatrixRegion.of(h[1])};
        MatrixRegion cRegion = lstm ? MatrixRegion.of(c) : null;
        MatrixRegion projection = projectionArray == null ? null : MatrixRegion.of(projectionArray);
        MatrixRegion tanhC = lstm ? MatrixRegion.of(tanhCArray) : null;
        MatrixRegion scratch = MatrixRegion.of(scratchArray);
        MatrixRegion weightHh = MatrixRegion.of(weights.weightHh());
        MatrixRegion biasHh = weights.hasBias() ? MatrixRegion.of(weights.biasHh()) : null;

        // The input projection of every step at once, exactly as DirectionRunner does it.
        INDArray gatesFlat = gates.reshape(steps * batch, gateWidth);
        INDArray bias = cell.inputProjectionBias(weights); // a new array: freed once the product has read it
        Blas.linear(input.reshape(steps * batch, inputSize), weights.weightIh(), bias, gatesFlat);
        NativeBuffer.free(bias);

        // Rows past their length are not touched by a step; their state is carried into the other buffer. The LSTM
        // cell state is updated in place (each unit's update reads its own element only).
        int current = 0;
        MatrixRegion hLast = hRegions[0];
        try (StepTeam team = StepTeam.of(cell, weights, parallel, (int) batch)) {
            for (long k = 0; k < steps; k++) {
                long t = direction.timeAt(k, steps);
                int active = layout.activeRows(t);
                if (active == 0) { // every sequence ended before t (lengths may all be below T)
                    continue;
                }
                MatrixRegion outputBlock = MatrixRegion.block(outputMemory, t, batch, hidden);
                MatrixRegion hPrev = full ? hLast : hRegions[current];
                MatrixRegion hNext = full ? outputBlock : hRegions[1 - current];
                MatrixRegion cActive = lstm ? cRegion.firstRows(active) : null;
                team.step(new StepTensors(
                        MatrixRegion.block(gatesMemory, t, batch, gateWidth).firstRows(active),
                        projection == null ? null : projection.firstRows(active),
                        hPrev.firstRows(active), hNext.firstRows(active), cActive, cActive,
                        tanhC == null ? null : tanhC.firstRows(active),
                        scratch.firstRows(active), weightHh, biasHh));
                if (full) {
                    hLast = outputBlock;
                } else {
                    Blas.copy(hNext.firstRows(active), outputBlock.firstRows(active));
                    if (active < batch) {
                        Blas.copy(hPrev.rowsFrom(active), hNext.rowsFrom(active));
                    }
                    current = 1 - current;
                }
            }
        } finally {
            NativeBuffer.free(projectionArray, tanhCArray, scratchArray);
        }
        if (full) {
            if (hLast != hRegions[0]) {
                Blas.copy(hLast, hRegions[0]);
            }
            return new Result(output, h[0], c);
        }
        h[1 - current].close();
        return new Result(output, h[current], c);
    }
}
