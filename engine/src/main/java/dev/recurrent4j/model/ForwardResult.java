package dev.recurrent4j.model;

import dev.recurrent4j.sequence.BatchOrder;
import dev.recurrent4j.sequence.DirectionCache;
import dev.recurrent4j.tensor.NativeBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The result of {@link RecurrentNetwork#forward}: the outputs, the final state, and (internally) what
 * {@link RecurrentNetwork#backward} needs. Pass it back to the network that produced it.
 *
 * <p>The caches backward needs are large ({@code [T, B, G*H]} per layer and direction and more). {@link #close()}
 * hands their arrays back to the network, whose next forward reuses them instead of new native memory (a page
 * fault per 4 KiB on first touch; an LSTM forward+backward at B=64, T=128, I=256, H=512 measured 821 ms closing each
 * result against 973 ms without, JMH, one run on 2 cores). Closing is optional: an unclosed
 * result's memory is collected like any other. A training loop closes each result once its backward is done:
 * <pre>{@code
 * try (ForwardResult forward = network.forward(x, null, lengths, options)) {
 *     Gradients g = network.backward(forward, dOutput, null);
 *     ...
 * }
 * }</pre>
 */
public final class ForwardResult implements AutoCloseable {
    private final INDArray output;
    private final RecurrentState finalState;
    final RecurrentNetwork network;
    /** One per layer and direction, index {@code layer * D + direction}. */
    final List<DirectionCache> caches;
    /** One per layer boundary ({@code L-1}), the inverted-dropout scale of each input to the next layer, or null. */
    final List<INDArray> dropoutMasks;
    final BatchOrder order;
    /** Where {@link #close} hands the caches' arrays. */
    private final Queue<List<INDArray>> cachePool;
    /** This forward's own arrays that only backward reads (layer inputs and outputs, masks): freed by close. */
    private final List<INDArray> temporaries;
    private final AtomicBoolean closed = new AtomicBoolean();

    ForwardResult(INDArray output, RecurrentState finalState, RecurrentNetwork network, List<DirectionCache> caches,
            List<INDArray> dropoutMasks, BatchOrder order, Queue<List<INDArray>> cachePool,
            List<INDArray> temporaries) {
        this.output = output;
        this.finalState = finalState;
        this.network = network;
        this.caches = caches;
        this.dropoutMasks = dropoutMasks;
        this.order = order;
        this.cachePool = cachePool;
        this.temporaries = temporaries;
    }

    /**
     * Hands the memory of the caches back to the network that made this result, for its next forward, and frees the
     * arrays only backward reads (the layers' inputs, the outputs of all but the last layer, dropout masks). Afterwards
     * this result cannot go to {@code backward} (an {@link IllegalArgumentException} says so); {@link #output()}
     * and {@link #finalState()} stay valid (they are separate arrays). Closing twice does nothing. Not to be called
     * while a backward on this result is running.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            List<INDArray> arrays = new ArrayList<>();
            caches.forEach(cache -> arrays.addAll(cache.caches())); // in the order forward takes them
            cachePool.offer(arrays); // when the pool is full, the arrays are dropped and collected
            NativeBuffer.free(temporaries.toArray(INDArray[]::new));
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * {@code [T, B, D*H]} (or {@code [B, T, D*H]} when batch-first): the last layer's outputs, directions
     * concatenated forward first, exactly 0 at padded steps.
     */
    public INDArray output() {
        return output;
    }

    /**
     * {@code [L*D, B, H]}: each sequence's state after its own last step (for the reverse direction, after time
     * step 0).
     */
    public RecurrentState finalState() {
        return finalState;
    }

    /** T, the number of time steps of the input. */
    long steps() {
        return caches.get(0).output().size(0);
    }

    /** B. */
    long batch() {
        return caches.get(0).output().size(1);
    }
}
