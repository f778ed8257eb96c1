package dev.recurrent4j.train;

import dev.recurrent4j.model.SequenceBatch;
import java.util.List;

/**
 * A minibatch for an {@link dev.recurrent4j.model.EncoderDecoder}: sources, the decoder's teacher-forced input
 * (start token, then the reference without its last token) and the targets (the reference, then the end token).
 */
public record Seq2SeqBatch(SequenceBatch source, SequenceBatch decoderInput, int[][] targets) {

    public Seq2SeqBatch {
        if (source == null || decoderInput == null || targets == null) {
            throw new IllegalArgumentException("source, decoderInput and targets: expected all three");
        }
        if (source.batch() != targets.length || decoderInput.batch() != targets.length) {
            throw new IllegalArgumentException("targets: expected B=" + source.batch() + " rows but was "
                    + targets.length);
        }
    }

    /**
     * Teacher forcing for reference outputs: decoder input {@code [start, y1..yn]}, targets {@code [y1..yn, end]}.
     */
    public static Seq2SeqBatch of(SequenceBatch source, List<int[]> outputs, int start, int end) {
        int[][] inputs = new int[outputs.size()][];
        int[][] targets = new int[outputs.size()][];
        for (int b = 0; b < outputs.size(); b++) {
            int[] y = outputs.get(b);
            inputs[b] = new int[y.length + 1];
            targets[b] = new int[y.length + 1];
            inputs[b][0] = start;
            System.arraycopy(y, 0, inputs[b], 1, y.length);
            System.arraycopy(y, 0, targets[b], 0, y.length);
            targets[b][y.length] = end;
        }
        return new Seq2SeqBatch(source, SequenceBatch.tokens(inputs), targets);
    }

    /** Output tokens (targets, the end tokens included). */
    public long items() {
        long count = 0;
        for (int[] row : targets) {
            count += row.length;
        }
        return count;
    }
}
