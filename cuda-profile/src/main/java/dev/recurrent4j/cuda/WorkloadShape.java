package dev.recurrent4j.cuda;

import java.util.Arrays;
import java.util.List;

/**
 * The size of a profiled workload, in the engine's letters: B sequences of T steps, I input features, H hidden
 * features. The four standard shapes are the JMH suite's ({@code benchmarks/.../Shape.java}), re-created here so
 * that this module does not depend on the benchmarks; {@link #with} overrides a dimension for a smaller run.
 *
 * @param name {@code S1}..{@code S4}, or {@code custom} once a dimension is overridden
 * @param batch B, at least 1
 * @param steps T, at least 1 (S1, the streaming shape, has T = 1: one step at a time)
 * @param inputSize I, at least 1
 * @param hiddenSize H, at least 1
 */
public record WorkloadShape(String name, int batch, int steps, int inputSize, int hiddenSize) {
    /** Streaming: B=1, I=64, H=256, one step at a time. */
    public static final WorkloadShape S1 = new WorkloadShape("S1", 1, 1, 64, 256);
    /** B=32, T=64, I=128, H=256. */
    public static final WorkloadShape S2 = new WorkloadShape("S2", 32, 64, 128, 256);
    /** B=64, T=128, I=256, H=512. */
    public static final WorkloadShape S3 = new WorkloadShape("S3", 64, 128, 256, 512);
    /** B=8, T=256, I=64, H=128: long and thin, bound by per-step dispatch. */
    public static final WorkloadShape S4 = new WorkloadShape("S4", 8, 256, 64, 128);

    private static final List<WorkloadShape> STANDARD = List.of(S1, S2, S3, S4);

    public WorkloadShape {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: expected a shape name but was " + name);
        }
        requirePositive("batch (B)", batch);
        requirePositive("steps (T)", steps);
        requirePositive("inputSize (I)", inputSize);
        requirePositive("hiddenSize (H)", hiddenSize);
    }

    /**
     * The standard shape of that name.
     *
     * @throws IllegalArgumentException for another name
     */
    public static WorkloadShape standard(String name) {
        return STANDARD.stream().filter(s -> s.name.equalsIgnoreCase(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("shape: expected one of "
                        + Arrays.toString(STANDARD.stream().map(WorkloadShape::name).toArray()) + " but was "
                        + name));
    }

    /**
     * This shape with the given dimensions replaced; {@code null} keeps a dimension. Named {@code custom} when
     * anything changed.
     */
    public WorkloadShape with(Integer batch, Integer steps, Integer inputSize, Integer hiddenSize) {
        WorkloadShape changed = new WorkloadShape("custom", batch != null ? batch : this.batch,
                steps != null ? steps : this.steps, inputSize != null ? inputSize : this.inputSize,
                hiddenSize != null ? hiddenSize : this.hiddenSize);
        return changed.sameSizes(this) ? this : changed;
    }

    /** {@code "S2 (B=32 T=64 I=128 H=256)"}. */
    public String describe() {
        return name + " (B=" + batch + " T=" + steps + " I=" + inputSize + " H=" + hiddenSize + ")";
    }

    private boolean sameSizes(WorkloadShape other) {
        return batch == other.batch && steps == other.steps && inputSize == other.inputSize
                && hiddenSize == other.hiddenSize;
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + ": expected at least 1 but was " + value);
        }
    }
}
