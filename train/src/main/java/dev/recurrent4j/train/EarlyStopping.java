package dev.recurrent4j.train;

/**
 * Stops training when a validation metric has not improved for {@code patience} epochs.
 *
 * @param metric a validation metric name, e.g. {@link Metrics#LOSS} or {@link Metrics#ACCURACY}
 * @param minimize whether lower is better
 * @param patience epochs without improvement before stopping, at least 1
 */
public record EarlyStopping(String metric, boolean minimize, int patience) {

    public EarlyStopping {
        if (metric == null || metric.isBlank()) {
            throw new IllegalArgumentException("metric: expected a metric name but was " + metric);
        }
        if (patience < 1) {
            throw new IllegalArgumentException("patience: expected at least 1 epoch but was " + patience);
        }
    }

    /** On the validation loss, lower is better. */
    public static EarlyStopping onLoss(int patience) {
        return new EarlyStopping(Metrics.LOSS, true, patience);
    }

    /** Whether {@code value} is better than {@code best} (NaN best: anything finite is better). */
    public boolean improves(double value, double best) {
        if (Double.isNaN(value)) {
            return false;
        }
        return Double.isNaN(best) || (minimize ? value < best : value > best);
    }
}
