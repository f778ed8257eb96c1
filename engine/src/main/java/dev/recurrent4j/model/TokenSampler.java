package dev.recurrent4j.model;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Draws the next token from a vector of logits: temperature, then top-k, then top-p (nucleus), then a draw from
 * what is left, renormalised. Temperature 0 means greedy (the arg max). Pure: the randomness is the caller's.
 *
 * @param temperature divides the logits; 0 for greedy, else positive (below 1 sharpens, above 1 flattens)
 * @param topK keep only the k most likely tokens; 0 keeps all
 * @param topP keep the smallest set of most likely tokens whose probability reaches p, in {@code (0, 1]}; 1 keeps
 *     all
 * @throws IllegalArgumentException for a negative or non-finite temperature, a negative k or p outside (0, 1]
 */
public record TokenSampler(double temperature, int topK, double topP) {

    public TokenSampler {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature: expected 0 (greedy) or a positive number but was "
                    + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK: expected 0 (off) or a positive count but was " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP: expected a probability in (0, 1] but was " + topP);
        }
    }

    public static TokenSampler greedy() {
        return new TokenSampler(0, 0, 1);
    }

    /** Plain sampling from the softmax at this temperature. */
    public static TokenSampler ofTemperature(double temperature) {
        return new TokenSampler(temperature, 0, 1);
    }

    /**
     * @param logits V unnormalised log-probabilities; not mutated
     * @param random the source of the draw (one {@code nextDouble} unless greedy)
     * @return a token id in {@code 0..V-1}
     */
    public int sample(double[] logits, SplittableRandom random) {
        if (temperature == 0) {
            int best = 0;
            for (int k = 1; k < logits.length; k++) {
                if (logits[k] > logits[best]) {
                    best = k;
                }
            }
            return best;
        }
        double[] p = probabilities(logits);
        double u = random.nextDouble();
        double cumulative = 0;
        int last = -1;
        for (int k = 0; k < p.length; k++) {
            if (p[k] > 0) {
                cumulative += p[k];
                last = k;
                if (u < cumulative) {
                    return k;
                }
            }
        }
        return last; // rounding: u at the very top of the cumulative sum
    }

    /** The distribution {@link #sample} draws from (after temperature, top-k and top-p), summing to 1. */
    public double[] probabilities(double[] logits) {
        int size = logits.length;
        Integer[] order = IntStream.range(0, size).boxed().toArray(Integer[]::new);
        Arrays.sort(order, (a, b) -> Double.compare(logits[b], logits[a])); // stable: ties by id
        int keep = topK == 0 ? size : Math.min(topK, size);
        double max = logits[order[0]];
        double[] p = new double[size];
        double sum = 0;
        for (int r = 0; r < keep; r++) {
            int k = order[r];
            p[k] = Math.exp((logits[k] - max) / temperature);
            sum += p[k];
        }
        double cumulative = 0;
        int kept = 0;
        for (int r = 0; r < keep; r++) {
            int k = order[r];
            p[k] /= sum;
            if (cumulative >= topP) {
                p[k] = 0;
            } else {
                cumulative += p[k];
                kept++;
            }
        }
        double total = 0;
        for (double v : p) {
            total += v;
        }
        for (int k = 0; k < size; k++) {
            p[k] /= total;
        }
        assert kept >= 1;
        return p;
    }
}
