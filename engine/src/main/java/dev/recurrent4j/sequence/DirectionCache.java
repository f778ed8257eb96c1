package dev.recurrent4j.sequence;

import dev.recurrent4j.cell.Cell;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.cell.ParallelStep;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a forward pass of one layer in one direction produced and what its backward pass needs: the outputs, the
 * final state, and the per-step buffers the cells cached. Immutable once {@link DirectionRunner#forward} returns.
 */
public final class DirectionCache {
    final Cell cell;
    final CellWeights weights;
    final BatchLayout layout;
    /** {@code [T, B, I]} 'c', the layer's input; borrowed from the caller, not mutated. */
    final INDArray input;
    final StepBuffers buffers;
    /** The cell's parallel step for these weights and this batch, made by forward for backward too; may be null. */
    final ParallelStep parallel;
    /** {@code [T, B, H]} outputs, exactly 0 at padded steps. */
    private final INDArray output;

    DirectionCache(Cell cell, CellWeights weights, BatchLayout layout, INDArray input, StepBuffers buffers,
            ParallelStep parallel, INDArray output) {
        this.cell = cell;
        this.weights = weights;
        this.layout = layout;
        this.input = input;
        this.buffers = buffers;
        this.parallel = parallel;
        this.output = output;
    }

    /** {@code [T, B, H]} outputs of this direction, exactly 0 at padded steps; do not mutate. */
    public INDArray output() {
        return output;
    }

    /** {@code [B, H]} the hidden state after each sequence's last step in this direction; a view, do not mutate. */
    public INDArray finalHidden() {
        return buffers.states.slice(buffers.direction.finalIndex(layout.steps()));
    }

    /**
     * The large arrays this cache holds for backward (gates, states, ...), for a later forward to reuse once the
     * caller is done with this cache (see {@link DirectionRunner#forward} with reusable arrays).
     */
    public List<INDArray> caches() {
        return buffers.caches();
    }

    /** {@code [B, H]} the LSTM cell state after each sequence's last step; {@code null} for other cells. */
    public INDArray finalCell() {
        return buffers.cellStates == null ? null
                : buffers.cellStates.slice(buffers.direction.finalIndex(layout.steps()));
    }
}
