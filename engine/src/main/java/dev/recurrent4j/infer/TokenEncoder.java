package dev.recurrent4j.infer;

import dev.recurrent4j.tensor.Shapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Turns a token id into a step's input x ({@code I} values): the input side of a decoder, as {@link OutputHead} is
 * its output side. Implementations are immutable and thread-safe.
 */
public interface TokenEncoder {

    /** V, the ids {@code 0..V-1} it encodes. */
    int vocabularySize();

    /** I, the features of one input. */
    int inputSize();

    /**
     * Writes the input for {@code token} into {@code x}.
     *
     * @param x I values, overwritten
     * @throws IllegalArgumentException for an id outside {@code 0..V-1}
     */
    void encode(int token, double[] x);

    /** One-hot vectors: {@code x[token] = 1}, I = V. */
    static TokenEncoder oneHot(int vocabularySize) {
        if (vocabularySize < 1) {
            throw new IllegalArgumentException("vocabularySize: expected at least 1 but was " + vocabularySize);
        }
        return new TokenEncoder() {
            @Override
            public int vocabularySize() {
                return vocabularySize;
            }

            @Override
            public int inputSize() {
                return vocabularySize;
            }

            @Override
            public void encode(int token, double[] x) {
                check(token, vocabularySize);
                java.util.Arrays.fill(x, 0.0);
                x[token] = 1.0;
            }
        };
    }

    /** Rows of an embedding table, PyTorch's {@code nn.Embedding(V, I).weight}: {@code [V, I]}, copied. */
    static TokenEncoder embedding(INDArray table) {
        Shapes.requireShape("table", table, new String[] {"V", "I"}, new long[] {-1, -1});
        double[][] rows = table.castTo(DataType.DOUBLE).toDoubleMatrix();
        return new TokenEncoder() {
            @Override
            public int vocabularySize() {
                return rows.length;
            }

            @Override
            public int inputSize() {
                return rows[0].length;
            }

            @Override
            public void encode(int token, double[] x) {
                check(token, rows.length);
                System.arraycopy(rows[token], 0, x, 0, x.length);
            }
        };
    }

    private static void check(int token, int vocabularySize) {
        if (token < 0 || token >= vocabularySize) {
            throw new IllegalArgumentException("token: expected an id in 0..V-1=" + (vocabularySize - 1)
                    + " but was " + token);
        }
    }
}
