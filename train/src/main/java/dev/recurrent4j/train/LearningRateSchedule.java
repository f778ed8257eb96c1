package dev.recurrent4j.train;

/**
 * The learning rate as a function of the optimizer step ({@code step} = steps already taken, 0 for the first),
 * immutable and validated: a rate that is not a positive number is rejected when the schedule is made.
 */
public sealed interface LearningRateSchedule {

    /** The learning rate for step {@code step} (0-based). */
    double at(long step);

    /** The base (peak) rate. */
    double rate();

    static LearningRateSchedule constant(double rate) {
        return new Constant(rate);
    }

    /** {@code rate} for every step. */
    record Constant(double rate) implements LearningRateSchedule {
        public Constant {
            requireRate("learningRate", rate);
        }

        @Override
        public double at(long step) {
            return rate;
        }
    }

    /** {@code rate * gamma^floor(step / every)}, PyTorch's {@code StepLR}. */
    record StepDecay(double rate, long every, double gamma) implements LearningRateSchedule {
        public StepDecay {
            requireRate("learningRate", rate);
            if (every < 1) {
                throw new IllegalArgumentException("every: expected at least 1 step but was " + every);
            }
            if (!(gamma > 0 && gamma <= 1)) {
                throw new IllegalArgumentException("gamma: expected a factor in (0, 1] but was " + gamma);
            }
        }

        @Override
        public double at(long step) {
            return rate * Math.pow(gamma, Math.floorDiv(step, every));
        }
    }

    /**
     * Cosine annealing from {@code rate} to {@code minimum} over {@code steps} steps, then {@code minimum}:
     * {@code min + (rate - min) (1 + cos(pi t / steps)) / 2}, PyTorch's {@code CosineAnnealingLR} without restarts.
     */
    record Cosine(double rate, long steps, double minimum) implements LearningRateSchedule {
        public Cosine {
            requireRate("learningRate", rate);
            if (steps < 1) {
                throw new IllegalArgumentException("steps: expected at least 1 but was " + steps);
            }
            if (!(minimum >= 0 && minimum <= rate)) {
                throw new IllegalArgumentException("minimum: expected a rate in [0, " + rate + "] but was " + minimum);
            }
        }

        @Override
        public double at(long step) {
            double t = Math.min(step, steps);
            return minimum + (rate - minimum) * (1 + Math.cos(Math.PI * t / steps)) / 2;
        }
    }

    /**
     * Linear warm-up over the first {@code steps} steps, {@code then.at(0) * (step + 1) / steps}, followed by
     * {@code then} started afresh ({@code then.at(step - steps)}).
     */
    record Warmup(long steps, LearningRateSchedule then) implements LearningRateSchedule {
        public Warmup {
            if (steps < 1) {
                throw new IllegalArgumentException("steps: expected at least 1 warm-up step but was " + steps);
            }
            if (then == null) {
                throw new IllegalArgumentException("then: expected the schedule after warm-up but was null");
            }
        }

        @Override
        public double at(long step) {
            return step < steps ? then.at(0) * (step + 1) / steps : then.at(step - steps);
        }

        @Override
        public double rate() {
            return then.rate();
        }
    }

    /** @throws IllegalArgumentException unless {@code rate} is a positive finite number */
    static void requireRate(String name, double rate) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException(name + ": expected a positive number but was " + rate);
        }
    }
}
