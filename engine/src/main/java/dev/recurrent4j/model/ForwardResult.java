package dev.recurrent4j.model;

import dev.recurrent4j.sequence.BatchOrder;
import dev.recurrent4j.sequence.DirectionCache;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The result of {@link RecurrentNetwork#forward}: the outputs, the final state, and (internally) what
 * {@link RecurrentNetwork#backward} needs. Pass it back to the network that produced it.
 */
public final class ForwardResult {
    private final INDArray output;
    private final RecurrentState finalState;
    final RecurrentNetwork network;
    /** One per layer and direction, index {@code layer * D + direction}. */
    final List<DirectionCache> caches;
    /** One per layer boundary ({@code L-1}), the inverted-dropout scale of each input to the next layer, or null. */
    final List<INDArray> dropoutMasks;
    final BatchOrder order;

    ForwardResult(INDArray output, RecurrentState finalState, RecurrentNetwork network, List<DirectionCache> caches,
            List<INDArray> dropoutMasks, BatchOrder order) {
        this.output = output;
        this.finalState = finalState;
        this.network = network;
        this.caches = caches;
        this.dropoutMasks = dropoutMasks;
        this.order = order;
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
