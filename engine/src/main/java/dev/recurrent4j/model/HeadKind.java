package dev.recurrent4j.model;

/**
 * Where a {@link SequenceModel}'s linear read-out ({@code head.weight [O, D*H]}, {@code head.bias [O]}) looks.
 */
public enum HeadKind {
    /**
     * Many-to-many (tagging, language modelling): one output per step, {@code [T, B, O]}, from the last layer's
     * output at that step; exactly 0 at padded steps.
     */
    PER_STEP,
    /**
     * Many-to-one (classification, regression, forecasting): one output per sequence, {@code [B, O]}, from the last
     * layer's final hidden state: the state after each sequence's own last valid step, and for a bidirectional
     * network the reverse direction's state after step 0, concatenated forward first (the usual
     * {@code torch.cat([h_n[-2], h_n[-1]], 1)}).
     */
    LAST_STEP
}
