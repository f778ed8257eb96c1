package dev.recurrent4j.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sums and counts of named quantities, averaged on demand: a batch's metrics, or an epoch's, accumulated with
 * {@link #addAll}. {@link #means()} also derives {@code perplexity = exp(mean cross_entropy)} and
 * {@code rmse = sqrt(mean mse)}. Not thread-safe.
 */
public final class Metrics {
    /** The quantity that is optimised (its mean is the loss of a batch). */
    public static final String LOSS = "loss";
    /** Softmax cross-entropy in nats per predicted token (or sequence). */
    public static final String CROSS_ENTROPY = "cross_entropy";
    public static final String PERPLEXITY = "perplexity";
    /** Fraction of predictions whose arg max is the target. */
    public static final String ACCURACY = "accuracy";
    /** Mean squared error per output value. */
    public static final String MSE = "mse";
    public static final String RMSE = "rmse";
    /** Mean absolute error per output value. */
    public static final String MAE = "mae";

    /** name → {sum, count}, in insertion order. */
    private final Map<String, double[]> sums = new LinkedHashMap<>();

    /** Adds {@code sum} over {@code count} items to {@code name}. */
    public Metrics add(String name, double sum, double count) {
        double[] entry = sums.computeIfAbsent(name, k -> new double[2]);
        entry[0] += sum;
        entry[1] += count;
        return this;
    }

    /** Adds every sum and count of {@code other}. */
    public Metrics addAll(Metrics other) {
        other.sums.forEach((name, entry) -> add(name, entry[0], entry[1]));
        return this;
    }

    public boolean has(String name) {
        return sums.containsKey(name);
    }

    /** The mean of {@code name}, or NaN when absent or counted 0 times. */
    public double mean(String name) {
        double[] entry = sums.get(name);
        return entry == null || entry[1] == 0 ? Double.NaN : entry[0] / entry[1];
    }

    /** The count behind {@code name}'s mean (tokens, sequences, values), 0 when absent. */
    public double count(String name) {
        double[] entry = sums.get(name);
        return entry == null ? 0 : entry[1];
    }

    /** Every mean, in insertion order, plus the derived perplexity and RMSE. */
    public Map<String, Double> means() {
        Map<String, Double> means = new LinkedHashMap<>();
        sums.keySet().forEach(name -> means.put(name, mean(name)));
        if (has(CROSS_ENTROPY)) {
            means.put(PERPLEXITY, Math.exp(mean(CROSS_ENTROPY)));
        }
        if (has(MSE)) {
            means.put(RMSE, Math.sqrt(mean(MSE)));
        }
        return means;
    }

    /** The value of a mean or derived metric, or NaN when absent. */
    public double get(String name) {
        return means().getOrDefault(name, Double.NaN);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        means().forEach((name, value) -> text.append(text.length() == 0 ? "" : " ").append(name).append(' ')
                .append(format(value)));
        return text.toString();
    }

    /** 4 significant digits, without exponent for the usual ranges. */
    public static String format(double value) {
        double magnitude = Math.abs(value);
        if (magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e6)) {
            return String.format("%.3e", value);
        }
        return String.format(magnitude >= 100 ? "%.1f" : "%.4f", value);
    }
}
