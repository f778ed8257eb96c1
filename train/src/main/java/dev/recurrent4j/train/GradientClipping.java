package dev.recurrent4j.train;

import dev.recurrent4j.model.ModelParameters;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Gradient clipping, the cure for exploding gradients: by global norm (PyTorch's {@code clip_grad_norm_}: every
 * gradient scaled by {@code max / (norm + 1e-6)} when the norm over all of them exceeds {@code max}) or by value
 * ({@code clip_grad_value_}: each entry clamped to {@code [-limit, limit]}). {@link #apply} reports the norm before
 * and after and whether it clipped, which the trainer puts in the metrics ({@code grad_norm}, {@code clipped}).
 *
 * @param kind none, global norm or value
 * @param threshold the maximum norm or the limit; positive (ignored for none)
 */
public record GradientClipping(Kind kind, double threshold) {

    public enum Kind {
        NONE,
        GLOBAL_NORM,
        VALUE
    }

    /** What one {@link #apply} did. */
    public record Report(double normBefore, double normAfter, boolean clipped) {}

    public GradientClipping {
        if (kind == null) {
            throw new IllegalArgumentException("kind: expected NONE, GLOBAL_NORM or VALUE but was null");
        }
        if (kind != Kind.NONE && (!(threshold > 0) || Double.isInfinite(threshold))) {
            throw new IllegalArgumentException("threshold: expected a positive number for " + kind + " but was "
                    + threshold);
        }
    }

    public static GradientClipping none() {
        return new GradientClipping(Kind.NONE, 0);
    }

    public static GradientClipping byGlobalNorm(double maxNorm) {
        return new GradientClipping(Kind.GLOBAL_NORM, maxNorm);
    }

    public static GradientClipping byValue(double limit) {
        return new GradientClipping(Kind.VALUE, limit);
    }

    /** Clips {@code gradients} in place. */
    public Report apply(ModelParameters gradients) {
        double before = globalNorm(gradients);
        switch (kind) {
            case NONE:
                return new Report(before, before, false);
            case GLOBAL_NORM:
                if (before <= threshold) {
                    return new Report(before, before, false);
                }
                double scale = threshold / (before + 1e-6);
                gradients.forEach((name, g) -> g.muli(scale));
                return new Report(before, globalNorm(gradients), true);
            case VALUE:
            default:
                boolean clipped = false;
                for (INDArray g : gradients.byName().values()) {
                    if (g.amaxNumber().doubleValue() > threshold) {
                        clipped = true;
                        Transforms.min(g, threshold, false);
                        Transforms.max(g, -threshold, false);
                    }
                }
                return new Report(before, clipped ? globalNorm(gradients) : before, clipped);
        }
    }

    /** {@code sqrt(sum over tensors of |g|^2)}, in double. */
    public static double globalNorm(ModelParameters gradients) {
        double sum = 0;
        for (INDArray g : gradients.byName().values()) {
            double norm = g.norm2Number().doubleValue();
            sum += norm * norm;
        }
        return Math.sqrt(sum);
    }
}
