package dev.recurrent4j.sequence;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The reordering of a batch by length, longest first (stable), that the sequence runner needs, and its inverse.
 * The identity when the lengths are already non-increasing, so a sorted or full batch is never copied for it.
 */
public final class BatchOrder {
    /** {@code order[j]}: the original row that sorted row j holds; {@code null} for the identity. */
    private final int[] order;
    private final int[] sortedLengths;

    private BatchOrder(int[] order, int[] sortedLengths) {
        this.order = order;
        this.sortedLengths = sortedLengths;
    }

    /**
     * The order for {@code lengths} (each in {@code 1..T}, checked by the caller): longest first, ties in the
     * caller's order.
     */
    public static BatchOrder byDescendingLength(int[] lengths) {
        boolean sorted = IntStream.range(1, lengths.length).allMatch(b -> lengths[b] <= lengths[b - 1]);
        if (sorted) {
            return new BatchOrder(null, lengths.clone());
        }
        int[] order = IntStream.range(0, lengths.length).boxed()
                .sorted(Comparator.comparingInt((Integer b) -> lengths[b]).reversed())
                .mapToInt(Integer::intValue).toArray();
        return new BatchOrder(order, Arrays.stream(order).map(b -> lengths[b]).toArray());
    }

    /** The lengths in sorted order, for {@link BatchLayout#ofSortedLengths}. */
    public int[] sortedLengths() {
        return sortedLengths;
    }

    /** {@code [*, B, *]} in the caller's order to a new 'c' array in sorted order (or {@code array} itself). */
    public INDArray sort(INDArray array) {
        return array == null || order == null ? array : gather(array, order);
    }

    /** {@code [*, B, *]} in sorted order back to the caller's order (or {@code array} itself). */
    public INDArray unsort(INDArray array) {
        if (array == null || order == null) {
            return array;
        }
        int[] inverse = new int[order.length];
        for (int j = 0; j < order.length; j++) {
            inverse[order[j]] = j;
        }
        return gather(array, inverse);
    }

    /** {@code result[:, j, :] = array[:, rows[j], :]}. */
    private static INDArray gather(INDArray array, int[] rows) {
        INDArray result = array.ulike();
        for (int j = 0; j < rows.length; j++) {
            result.get(NDArrayIndex.all(), NDArrayIndex.point(j), NDArrayIndex.all())
                    .assign(array.get(NDArrayIndex.all(), NDArrayIndex.point(rows[j]), NDArrayIndex.all()));
        }
        return result;
    }
}
