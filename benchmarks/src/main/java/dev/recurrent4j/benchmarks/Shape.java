package dev.recurrent4j.benchmarks;

/**
 * The suite's workload shapes, the values of every benchmark's {@code shape} {@code @Param}. One place defines
 * them so that every class, the report and the results files mean the same thing by "S2".
 *
 * <p>S1 is the streaming shape (one sequence, one step at a time; T is irrelevant there and set to 1). S2-S4 are
 * whole-sequence batches. Letters as in the engine's vocabulary: B batch, T steps, I input features, H hidden size.
 */
public enum Shape {
    /** Streaming: B=1, I=64, H=256, one step at a time. */
    S1(1, 1, 64, 256),
    /** B=32, T=64, I=128, H=256. */
    S2(32, 64, 128, 256),
    /** B=64, T=128, I=256, H=512. */
    S3(64, 128, 256, 512),
    /** B=8, T=256, I=64, H=128: long and thin, dispatch-bound. */
    S4(8, 256, 64, 128);

    public final int batch;
    public final int steps;
    public final int inputSize;
    public final int hiddenSize;

    Shape(int batch, int steps, int inputSize, int hiddenSize) {
        this.batch = batch;
        this.steps = steps;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
    }

    /** {@code "B=32 T=64 I=128 H=256"}, for reports and messages. */
    public String describe() {
        return this == S1 ? "B=1 I=" + inputSize + " H=" + hiddenSize + " (stream)"
                : "B=" + batch + " T=" + steps + " I=" + inputSize + " H=" + hiddenSize;
    }
}
