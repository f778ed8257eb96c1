package dev.recurrent4j.infer;

/**
 * How {@link Generator} picks each next token from the logits, PyTorch/Hugging Face style: divide by the
 * temperature, keep the {@code topK} most likely tokens, then the smallest set of the most likely whose probability
 * reaches {@code topP}, renormalise, draw with a generator seeded by {@code seed}. Temperature 0 is greedy
 * (argmax, the lowest id on ties) and ignores the rest.
 *
 * @param temperature {@code >= 0}
 * @param topK how many of the most likely tokens to keep, 0 for all
 * @param topP in {@code (0, 1]}, 1 for no nucleus cut
 * @param seed the draws' seed: the same seed, model, prompt and options give the same tokens
 */
public record Sampling(double temperature, int topK, double topP, long seed) {

    public Sampling {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature: expected a finite value >= 0 but was " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK: expected >= 0 (0 for all) but was " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP: expected a probability in (0, 1] but was " + topP);
        }
    }

    /** Argmax at every step. */
    public static Sampling greedy() {
        return new Sampling(0, 0, 1, 0);
    }

    /** Plain sampling from {@code softmax(logits / temperature)}. */
    public static Sampling temperature(double temperature, long seed) {
        return new Sampling(temperature, 0, 1, seed);
    }

    public Sampling withTopK(int topK) {
        return new Sampling(temperature, topK, topP, seed);
    }

    public Sampling withTopP(double topP) {
        return new Sampling(temperature, topK, topP, seed);
    }
}
