package dev.recurrent4j.train;

import dev.recurrent4j.model.ModelParameters;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The optimizers, as immutable hyperparameters with PyTorch's defaults and update rules ({@code torch.optim.SGD},
 * {@code Adam}, {@code AdamW}, {@code Adagrad}, {@code RMSprop}); {@link #create} gives an {@link Optimizer}
 * over a model's parameters. The learning rate is not here: it comes from a {@link LearningRateSchedule}.
 * Weight decay is L2 added to the gradient, except for AdamW, where it is decoupled ({@code p *= 1 - lr*wd}).
 */
public sealed interface OptimizerConfig {

    /** An optimizer over {@code parameters}, with zero state. */
    Optimizer create(ModelParameters parameters);

    /**
     * SGD: {@code buf = momentum*buf + g} (the first step {@code buf = g}); Nesterov uses {@code g + momentum*buf}.
     *
     * @param momentum in {@code [0, 1)}
     * @param nesterov Nesterov momentum (needs momentum > 0)
     * @param weightDecay L2, at least 0
     */
    record Sgd(double momentum, boolean nesterov, double weightDecay) implements OptimizerConfig {
        public Sgd {
            requireInRange("momentum", momentum, 0, 1);
            requireNonNegative("weightDecay", weightDecay);
            if (nesterov && momentum == 0) {
                throw new IllegalArgumentException("nesterov: expected momentum > 0 with Nesterov but was 0");
            }
        }

        public static Sgd plain() {
            return new Sgd(0, false, 0);
        }

        @Override
        public Optimizer create(ModelParameters parameters) {
            return new Optimizer(parameters, "momentum_buffer") {
                @Override
                protected void update(String name, INDArray p, INDArray g, double lr) {
                    if (weightDecay != 0) {
                        g.addi(p.mul(weightDecay));
                    }
                    INDArray direction = g;
                    if (momentum != 0) {
                        INDArray buffer = state("momentum_buffer", name);
                        if (steps() == 1) {
                            buffer.assign(g);
                        } else {
                            buffer.muli(momentum).addi(g);
                        }
                        direction = nesterov ? g.addi(buffer.mul(momentum)) : buffer;
                    }
                    p.subi(direction.mul(lr));
                }
            };
        }
    }

    /**
     * Adam (Kingma and Ba), PyTorch's form: {@code m = b1 m + (1-b1) g}, {@code v = b2 v + (1-b2) g^2},
     * {@code p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}; {@code weightDecay} is L2.
     */
    record Adam(double beta1, double beta2, double epsilon, double weightDecay) implements OptimizerConfig {
        public Adam {
            requireInRange("beta1", beta1, 0, 1);
            requireInRange("beta2", beta2, 0, 1);
            requirePositive("epsilon", epsilon);
            requireNonNegative("weightDecay", weightDecay);
        }

        /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
        public static Adam defaults() {
            return new Adam(0.9, 0.999, 1e-8, 0);
        }

        @Override
        public Optimizer create(ModelParameters parameters) {
            return adam(parameters, beta1, beta2, epsilon, weightDecay, false);
        }
    }

    /** AdamW (Loshchilov and Hutter): Adam with decoupled weight decay {@code p *= 1 - lr*wd} before the step. */
    record AdamW(double beta1, double beta2, double epsilon, double weightDecay) implements OptimizerConfig {
        public AdamW {
            requireInRange("beta1", beta1, 0, 1);
            requireInRange("beta2", beta2, 0, 1);
            requirePositive("epsilon", epsilon);
            requireNonNegative("weightDecay", weightDecay);
        }

        /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
        public static AdamW defaults() {
            return new AdamW(0.9, 0.999, 1e-8, 0.01);
        }

        @Override
        public Optimizer create(ModelParameters parameters) {
            return adam(parameters, beta1, beta2, epsilon, weightDecay, true);
        }
    }

    /** Adagrad: {@code sum += g^2}, {@code p -= lr * g / (sqrt(sum) + eps)}. */
    record Adagrad(double epsilon, double weightDecay) implements OptimizerConfig {
        public Adagrad {
            requirePositive("epsilon", epsilon);
            requireNonNegative("weightDecay", weightDecay);
        }

        /** PyTorch's defaults: eps 1e-10. */
        public static Adagrad defaults() {
            return new Adagrad(1e-10, 0);
        }

        @Override
        public Optimizer create(ModelParameters parameters) {
            return new Optimizer(parameters, "sum") {
                @Override
                protected void update(String name, INDArray p, INDArray g, double lr) {
                    if (weightDecay != 0) {
                        g.addi(p.mul(weightDecay));
                    }
                    INDArray sum = state("sum", name).addi(g.mul(g));
                    p.subi(g.divi(Transforms.sqrt(sum, true).addi(epsilon)).muli(lr));
                }
            };
        }
    }

    /**
     * RMSprop: {@code sq = alpha sq + (1-alpha) g^2}; {@code avg = sqrt(sq) + eps} (centered: {@code sqrt(sq -
     * mean_g^2) + eps}); {@code p -= lr g / avg}, or with momentum {@code buf = momentum buf + g/avg},
     * {@code p -= lr buf}.
     */
    record RmsProp(double alpha, double epsilon, double momentum, boolean centered, double weightDecay)
            implements OptimizerConfig {
        public RmsProp {
            requireInRange("alpha", alpha, 0, 1);
            requirePositive("epsilon", epsilon);
            requireInRange("momentum", momentum, 0, 1);
            requireNonNegative("weightDecay", weightDecay);
        }

        /** PyTorch's defaults: alpha 0.99, eps 1e-8, no momentum, not centered. */
        public static RmsProp defaults() {
            return new RmsProp(0.99, 1e-8, 0, false, 0);
        }

        @Override
        public Optimizer create(ModelParameters parameters) {
            return new Optimizer(parameters, "square_avg", "grad_avg", "momentum_buffer") {
                @Override
                protected void update(String name, INDArray p, INDArray g, double lr) {
                    if (weightDecay != 0) {
                        g.addi(p.mul(weightDecay));
                    }
                    INDArray squareAverage = state("square_avg", name).muli(alpha).addi(g.mul(g).muli(1 - alpha));
                    INDArray average;
                    if (centered) {
                        INDArray gradAverage = state("grad_avg", name).muli(alpha).addi(g.mul(1 - alpha));
                        average = Transforms.sqrt(squareAverage.sub(gradAverage.mul(gradAverage)), false)
                                .addi(epsilon);
                    } else {
                        average = Transforms.sqrt(squareAverage, true).addi(epsilon);
                    }
                    if (momentum > 0) {
                        INDArray buffer = state("momentum_buffer", name).muli(momentum).addi(g.div(average));
                        p.subi(buffer.mul(lr));
                    } else {
                        p.subi(g.divi(average).muli(lr));
                    }
                }
            };
        }
    }

    private static Optimizer adam(ModelParameters parameters, double beta1, double beta2, double epsilon,
            double weightDecay, boolean decoupled) {
        return new Optimizer(parameters, "exp_avg", "exp_avg_sq") {
            @Override
            protected void update(String name, INDArray p, INDArray g, double lr) {
                if (weightDecay != 0) {
                    if (decoupled) {
                        p.muli(1 - lr * weightDecay);
                    } else {
                        g.addi(p.mul(weightDecay));
                    }
                }
                INDArray m = state("exp_avg", name).muli(beta1).addi(g.mul(1 - beta1));
                INDArray v = state("exp_avg_sq", name).muli(beta2).addi(g.mul(g).muli(1 - beta2));
                double correction1 = 1 - Math.pow(beta1, steps());
                double correction2 = 1 - Math.pow(beta2, steps());
                INDArray denominator = Transforms.sqrt(v, true).divi(Math.sqrt(correction2)).addi(epsilon);
                p.subi(m.div(denominator).muli(lr / correction1));
            }
        };
    }

    private static void requireInRange(String name, double value, double from, double below) {
        if (!(value >= from && value < below)) {
            throw new IllegalArgumentException(name + ": expected a number in [" + from + ", " + below + ") but was "
                    + value);
        }
    }

    private static void requirePositive(String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + ": expected a positive number but was " + value);
        }
    }

    private static void requireNonNegative(String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + ": expected a number >= 0 but was " + value);
        }
    }
}
