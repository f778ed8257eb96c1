package dev.recurrent4j.cell;

/**
 * One layer's time step split into parts, so that several threads can share a step. A part is a share
 * {@code [from, to)} of {@code [0, H)}: it computes those hidden units' columns of the recurrent product
 * {@code h W_hh^T} (reading all of {@code hPrev}) and their elementwise update (writing only its units), or, when the
 * caller computed the whole product in {@link #begin}, the update of the same share of the rows. Made
 * by {@link Cell#parallelStep} for one set of weights, of which it may hold a copy: a caller whose weights change
 * between calls makes one per call, a caller whose weights never change may keep it ({@link #serves}). Thread-safe:
 * concurrent calls may share one. The runner's {@code StepTeam} runs the parts.
 *
 * <p>The parts of a step read {@code hPrev} whole while others write {@code hNext}, so the two must not overlap.
 * How a step is split does not change a single bit of the result.
 */
public interface ParallelStep {

    /** H: a step's parts divide {@code [0, H)} between them. */
    int hiddenSize();

    /** A part's {@code from} and {@code to} are multiples of this (the last part ends at H). */
    int blockSize();

    /**
     * Whether this step serves calls of {@code batch} rows, as {@link Cell#parallelStep} would make it for them: a
     * caller whose weights never change may keep a step and reuse it while this holds.
     */
    boolean serves(int batch);

    /** What the parts of a step of {@code rows} rows share, in multiply-adds of a product or their equivalent. */
    long work(int rows);

    /** What the caller does alone before the parts of a step start (the whole product, say); nothing by default. */
    default void begin(StepTensors s) {}

    /** Part {@code [from, to)} of the step {@code s} (see the class: hidden units, or a share of the rows). */
    void forward(StepTensors s, int from, int to);

    /**
     * Part {@code [from, to)} of a backward step: the elementwise gradients of the same share of the rows, which
     * depend on their own row alone. What {@link Cell#backward} computes, split: the parts, then
     * {@link #endBackward} by the caller, give its bits.
     */
    void backward(StepTensors s, StepGradients g, int from, int to);

    /** What the caller does alone once every part of a backward step is done: the product into dL/dh. */
    void endBackward(StepTensors s, StepGradients g);
}
