package dev.recurrent4j.train;

/**
 * How a {@link Trainer} trains. Immutable; the seed is explicit.
 *
 * @param epochs passes over the training data, at least 1
 * @param optimizer the update rule
 * @param schedule the learning rate per step
 * @param clipping gradient clipping (or {@link GradientClipping#none()})
 * @param seed every random choice of the run (shuffles, dropout) derives from it
 * @param earlyStopping when to stop before {@code epochs}, or {@code null} (needs validation data)
 * @throws IllegalArgumentException for a null part or {@code epochs < 1}
 */
public record TrainerConfig(int epochs, OptimizerConfig optimizer, LearningRateSchedule schedule,
        GradientClipping clipping, long seed, EarlyStopping earlyStopping) {

    public TrainerConfig {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs: expected at least 1 but was " + epochs);
        }
        if (optimizer == null || schedule == null || clipping == null) {
            throw new IllegalArgumentException("optimizer, schedule and clipping: expected all three but "
                    + (optimizer == null ? "optimizer" : schedule == null ? "schedule" : "clipping") + " was null");
        }
    }

    /** Adam at a constant learning rate, no clipping, no early stopping. */
    public static TrainerConfig adam(int epochs, double learningRate, long seed) {
        return new TrainerConfig(epochs, OptimizerConfig.Adam.defaults(), LearningRateSchedule.constant(learningRate),
                GradientClipping.none(), seed, null);
    }

    public TrainerConfig withClipping(GradientClipping clipping) {
        return new TrainerConfig(epochs, optimizer, schedule, clipping, seed, earlyStopping);
    }

    public TrainerConfig withEarlyStopping(EarlyStopping earlyStopping) {
        return new TrainerConfig(epochs, optimizer, schedule, clipping, seed, earlyStopping);
    }

    public TrainerConfig withSchedule(LearningRateSchedule schedule) {
        return new TrainerConfig(epochs, optimizer, schedule, clipping, seed, earlyStopping);
    }

    public TrainerConfig withOptimizer(OptimizerConfig optimizer) {
        return new TrainerConfig(epochs, optimizer, schedule, clipping, seed, earlyStopping);
    }

    public TrainerConfig withEpochs(int epochs) {
        return new TrainerConfig(epochs, optimizer, schedule, clipping, seed, earlyStopping);
    }
}
