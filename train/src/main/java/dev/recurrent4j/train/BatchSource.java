package dev.recurrent4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The minibatches of one epoch. A shuffling source draws its order from the trainer's random generator, so the
 * order is reproducible from the seed; a stream for truncated BPTT keeps its segments in order.
 *
 * @param <B> the minibatch type
 */
@FunctionalInterface
public interface BatchSource<B> {

    /** The epoch's minibatches, in the order they are trained on. */
    List<B> epoch(SeededRandom random);

    /** The same batches, in the same order, every epoch (evaluation data, TBPTT segments). */
    static <B> BatchSource<B> fixed(List<B> batches) {
        if (batches == null || batches.isEmpty()) {
            throw new IllegalArgumentException("batches: expected at least one batch but was "
                    + (batches == null ? "null" : "empty"));
        }
        List<B> copy = List.copyOf(batches);
        return random -> copy;
    }

    /**
     * Examples reshuffled every epoch and grouped into minibatches of {@code batchSize} (the last may be smaller).
     *
     * @param collate turns a list of examples into a minibatch
     */
    static <E, B> BatchSource<B> shuffled(List<E> examples, int batchSize, Function<List<E>, B> collate) {
        if (examples == null || examples.isEmpty()) {
            throw new IllegalArgumentException("examples: expected at least one example but was "
                    + (examples == null ? "null" : "empty"));
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize: expected at least 1 but was " + batchSize);
        }
        List<E> copy = List.copyOf(examples);
        return random -> {
            int[] order = random.permutation(copy.size());
            List<B> batches = new ArrayList<>();
            for (int from = 0; from < order.length; from += batchSize) {
                List<E> chunk = new ArrayList<>();
                for (int k = from; k < Math.min(from + batchSize, order.length); k++) {
                    chunk.add(copy.get(order[k]));
                }
                batches.add(collate.apply(chunk));
            }
            return batches;
        };
    }

    /** The examples in order, in minibatches of {@code batchSize} (for evaluation). */
    static <E, B> BatchSource<B> inOrder(List<E> examples, int batchSize, Function<List<E>, B> collate) {
        if (examples == null || examples.isEmpty()) {
            throw new IllegalArgumentException("examples: expected at least one example but was "
                    + (examples == null ? "null" : "empty"));
        }
        List<B> batches = new ArrayList<>();
        for (int from = 0; from < examples.size(); from += batchSize) {
            batches.add(collate.apply(examples.subList(from, Math.min(from + batchSize, examples.size()))));
        }
        return fixed(batches);
    }
}
