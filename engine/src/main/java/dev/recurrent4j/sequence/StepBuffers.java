package dev.recurrent4j.sequence;

import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.cell.StepTensors;
import dev.recurrent4j.tensor.MatrixRegion;
import dev.recurrent4j.tensor.NativeBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The buffers one layer-direction's time loop works in, allocated once per call before the loop, and the regions
 * each step sees. Forward fills them; backward reads them. A step's {@link StepTensors} is offset arithmetic over
 * these buffers: no ND4J object is created per step.
 */
final class StepBuffers {
    final Direction direction;
    final long batch;
    final long hidden;
    final long gateWidth;
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
    /** {@code [1, B, G*H]} scratch for the cells; contents undefined. */
    final INDArray scratch;
    private final NativeBuffer gatesMemory;
    private final NativeBuffer projectionMemory;
    private final NativeBuffer statesMemory;
    private final NativeBuffer cellStatesMemory;
    private final NativeBuffer tanhMemory;
    private final MatrixRegion scratchRegion;
    private final MatrixRegion weightHh;
    private final MatrixRegion biasHh;

    /**
     * @param reusable arrays of an earlier call's caches, taken in order where one has the shape needed (and
     *     dropped where not); {@code null} or empty for new arrays only
     */
    StepBuffers(CellWeights weights, Direction direction, long steps, long batch, boolean cellState,
            boolean hiddenProjection, Queue<INDArray> reusable) {
        DataType type = weights.dataType();
        this.direction = direction;
        this.batch = batch;
        this.hidden = weights.hiddenSize();
        this.gateWidth = weights.weightHh().size(0);
        // Uninitialized or reused: every entry is written before it is read (inactive rows are never read).
        this.gates = take(reusable, type, steps, batch, gateWidth);
        this.hiddenProjection = hiddenProjection ? take(reusable, type, steps, batch, gateWidth) : null;
        this.states = take(reusable, type, steps + 1, batch, hidden);
        this.cellStates = cellState ? take(reusable, type, steps + 1, batch, hidden) : null;
        this.tanhCellStates = cellState ? take(reusable, type, steps, batch, hidden) : null;
        this.scratch = take(reusable, type, 1, batch, gateWidth);
        this.gatesMemory = NativeBuffer.of(gates);
        this.projectionMemory = hiddenProjection ? NativeBuffer.of(this.hiddenProjection) : null;
        this.statesMemory = NativeBuffer.of(states);
        this.cellStatesMemory = cellState ? NativeBuffer.of(cellStates) : null;
        this.tanhMemory = cellState ? NativeBuffer.of(tanhCellStates) : null;
        this.scratchRegion = MatrixRegion.block(NativeBuffer.of(scratch), 0, batch, gateWidth);
        this.weightHh = MatrixRegion.of(weights.weightHh());
        this.biasHh = weights.hasBias() ? MatrixRegion.of(weights.biasHh()) : null;
    }

    /** The caches backward reads and the scratch, in the order this class takes them: what a later call may reuse. */
    List<INDArray> caches() {
        List<INDArray> caches = new ArrayList<>(5);
        for (INDArray cache : new INDArray[] {gates, hiddenProjection, states, cellStates, tanhCellStates, scratch}) {
            if (cache != null) {
                caches.add(cache);
            }
        }
        return caches;
    }

    /** The next reusable array if it is {@code [d0, d1, d2]} of {@code type}, else a new uninitialised one. */
    static INDArray take(Queue<INDArray> reusable, DataType type, long d0, long d1, long d2) {
        INDArray next = reusable == null ? null : reusable.poll();
        if (next != null && next.dataType() == type && next.rank() == 3 && next.size(0) == d0 && next.size(1) == d1
                && next.size(2) == d2) {
            return next;
        }
        return Nd4j.createUninitialized(type, d0, d1, d2);
    }

    /** The regions of time step {@code t} restricted to its {@code b} active rows. */
    StepTensors step(long t, int b) {
        int prev = direction.prevIndex(t);
        int next = direction.nextIndex(t);
        return new StepTensors(
                block(gatesMemory, t, gateWidth, b),
                block(projectionMemory, t, gateWidth, b),
                block(statesMemory, prev, hidden, b),
                block(statesMemory, next, hidden, b),
                block(cellStatesMemory, prev, hidden, b),
                block(cellStatesMemory, next, hidden, b),
                block(tanhMemory, t, hidden, b),
                scratchRegion.firstRows(b),
                weightHh,
                biasHh);
    }

    /** Rows {@code [0, b)} of the {@code [B, cols]} block {@code index} of {@code memory}; null stays null. */
    private MatrixRegion block(NativeBuffer memory, long index, long cols, int b) {
        return memory == null ? null : MatrixRegion.block(memory, index, batch, cols).firstRows(b);
    }

    /** Rows {@code [b, B)} of a {@code [B, *]} matrix: a contiguous view. */
    static INDArray rowsFrom(INDArray matrix, long b) {
        return matrix.get(NDArrayIndex.interval(b, matrix.size(0)), NDArrayIndex.all());
    }
}
