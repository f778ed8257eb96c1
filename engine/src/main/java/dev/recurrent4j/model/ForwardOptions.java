package dev.recurrent4j.model;

/**
 * How a forward pass runs.
 *
 * @param training whether dropout between layers is active
 * @param seed the seed of the dropout masks; the same seed gives the same masks
 */
public record ForwardOptions(boolean training, long seed) {
    /** Evaluation: no dropout. */
    public static final ForwardOptions EVAL = new ForwardOptions(false, 0L);

    /** Training with dropout masks drawn from {@code seed}. */
    public static ForwardOptions training(long seed) {
        return new ForwardOptions(true, seed);
    }
}
