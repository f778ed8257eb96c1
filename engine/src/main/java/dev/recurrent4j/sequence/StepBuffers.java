package dev.recurrent4j.sequence;

import dev.recurrent4j.cell.StepTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The buffers one layer-direction's time loop works in, allocated once per call before the loop, and the views
 * each step sees. Forward fills them; backward reads them.
 */
final class StepBuffers {
    final Direction direction;
    /** {@code [T, B, G*H]}: input projections, then the cell's cached activations. */
    final INDArray gates;
    /** {@code [T, B, G*H]} recurrent projections (GRU), else {@code null}. */
    final INDArray hiddenProjection;
    /** {@code [T+1, B, H]} hidden states in time order, see {@link Direction}. */
    final INDArray states;
    /** {@code [T+1, B, H]} LSTM cell states, else {@code null}. */
    final INDArray cellStates;
    /** {@code [T, B, H]} LSTM tanh(c'), else {@code null}. */
    final INDArray tanhCellStates;
    /** {@code [B, G*H]} scratch for the cells; contents undefined. */
    final INDArray scratch;

    StepBuffers(DataType type, Direction direction, long steps, long batch, long hidden, long gateWidth,
            boolean cellState, boolean hiddenProjection) {
        this.direction = direction;
        this.gates = Nd4j.create(type, steps, batch, gateWidth);
        this.hiddenProjection = hiddenProjection ? Nd4j.create(type, steps, batch, gateWidth) : null;
        this.states = Nd4j.create(type, steps + 1, batch, hidden);
        this.cellStates = cellState ? Nd4j.create(type, steps + 1, batch, hidden) : null;
        this.tanhCellStates = cellState ? Nd4j.create(type, steps, batch, hidden) : null;
        this.scratch = Nd4j.create(type, batch, gateWidth);
    }

    /** The views of time step {@code t} restricted to its {@code b} active rows. */
    StepTensors step(long t, int b) {
        int prev = direction.prevIndex(t);
        int next = direction.nextIndex(t);
        return new StepTensors(
                rows(gates.slice(t), b),
                hiddenProjection == null ? null : rows(hiddenProjection.slice(t), b),
                rows(states.slice(prev), b),
                rows(states.slice(next), b),
                cellStates == null ? null : rows(cellStates.slice(prev), b),
                cellStates == null ? null : rows(cellStates.slice(next), b),
                tanhCellStates == null ? null : rows(tanhCellStates.slice(t), b),
                rows(scratch, b));
    }

    /** Rows {@code [0, b)} of a {@code [B, *]} matrix: a contiguous view. */
    static INDArray rows(INDArray matrix, long b) {
        return b == matrix.size(0) ? matrix : matrix.get(NDArrayIndex.interval(0, b), NDArrayIndex.all());
    }

    /** Rows {@code [b, B)} of a {@code [B, *]} matrix: a contiguous view. */
    static INDArray rowsFrom(INDArray matrix, long b) {
        return matrix.get(NDArrayIndex.interval(b, matrix.size(0)), NDArrayIndex.all());
    }
}
