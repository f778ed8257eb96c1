package dev.recurrent4j.model;

/**
 * How a {@link SequenceModel} turns its input into the {@code [T, B, I]} features the recurrent network reads.
 *
 * <ul>
 *   <li>{@link Kind#DENSE}: the input already is features, {@code I = features}; no parameters.</li>
 *   <li>{@link Kind#EMBEDDING}: token ids through a learned table {@code embedding.weight [V, E]}, {@code I = E}
 *       (PyTorch's {@code nn.Embedding}).</li>
 *   <li>{@link Kind#ONE_HOT}: token ids as one-hot vectors, {@code I = V}; no parameters.</li>
 * </ul>
 *
 * @param kind the encoding
 * @param vocabulary V, the number of token ids (0 for {@link Kind#DENSE})
 * @param features I, the features per step it produces
 * @throws IllegalArgumentException for a size below 1, a vocabulary with dense input, or a one-hot encoding with
 *     {@code features != vocabulary}
 */
public record InputEncoding(Kind kind, int vocabulary, int features) {

    public enum Kind {
        DENSE,
        EMBEDDING,
        ONE_HOT
    }

    public InputEncoding {
        if (kind == null) {
            throw new IllegalArgumentException("kind: expected DENSE, EMBEDDING or ONE_HOT but was null");
        }
        if (features < 1) {
            throw new IllegalArgumentException("features: expected at least 1 but was " + features);
        }
        if (kind == Kind.DENSE && vocabulary != 0) {
            throw new IllegalArgumentException("vocabulary: expected 0 for dense input but was " + vocabulary);
        }
        if (kind != Kind.DENSE && vocabulary < 1) {
            throw new IllegalArgumentException("vocabulary: expected at least 1 for token input but was "
                    + vocabulary);
        }
        if (kind == Kind.ONE_HOT && features != vocabulary) {
            throw new IllegalArgumentException("features: expected V=" + vocabulary + " for one-hot input but was "
                    + features);
        }
    }

    /** Dense features, {@code I = features}. */
    public static InputEncoding dense(int features) {
        return new InputEncoding(Kind.DENSE, 0, features);
    }

    /** Token ids in {@code 0..V-1} through an {@code [V, E]} embedding table. */
    public static InputEncoding embedding(int vocabulary, int dimension) {
        return new InputEncoding(Kind.EMBEDDING, vocabulary, dimension);
    }

    /** Token ids in {@code 0..V-1} as one-hot vectors of size V. */
    public static InputEncoding oneHot(int vocabulary) {
        return new InputEncoding(Kind.ONE_HOT, vocabulary, vocabulary);
    }

    /** Whether the input is token ids (embedding or one-hot) rather than dense features. */
    public boolean takesTokens() {
        return kind != Kind.DENSE;
    }
}
