package dev.recurrent4j.model;

/**
 * The architecture of an {@link EncoderDecoder}: a source encoder whose result initialises a token decoder.
 *
 * <ul>
 *   <li>Sequence to sequence ({@link #sequenceToSequence}): the source sequence, encoded by {@code source}, runs
 *       through the {@code encoder} stack; its final state (h, and c for the LSTM) is the decoder's initial state,
 *       so the encoder must have the decoder's cell, layers, hidden size and data type, and one direction.</li>
 *   <li>One to many ({@link #vectorToSequence}): a fixed feature vector {@code [B, F]} becomes the decoder's
 *       initial hidden state through {@code h0 = tanh(bridge.weight x + bridge.bias)}, {@code bridge.weight
 *       [L*H, F]}, split into layers; the LSTM's c0 is 0. {@code encoder} is {@code null}.</li>
 * </ul>
 * The decoder is a {@link SequenceModel} with token input, one direction and a per-step head; its outputs are fed
 * back as its next input when decoding.
 *
 * @param source the source's encoding: tokens or dense features; for one to many, {@code dense(F)}
 * @param encoder the encoder stack, or {@code null} for one to many
 * @param decoder the decoder
 * @throws IllegalArgumentException for parts that do not fit together, naming them
 */
public record EncoderDecoderConfig(InputEncoding source, RecurrentConfig encoder, SequenceModelConfig decoder) {

    public EncoderDecoderConfig {
        if (source == null || decoder == null) {
            throw new IllegalArgumentException("source and decoder: expected non-null but "
                    + (source == null ? "source" : "decoder") + " was null");
        }
        if (!decoder.input().takesTokens()) {
            throw new IllegalArgumentException("decoder.input: expected token input (its outputs are fed back) but"
                    + " was " + decoder.input());
        }
        if (decoder.head() != HeadKind.PER_STEP || decoder.recurrent().bidirectional()) {
            throw new IllegalArgumentException("decoder: expected one direction and a PER_STEP head but was "
                    + decoder.recurrent() + " with " + decoder.head());
        }
        RecurrentConfig d = decoder.recurrent();
        if (encoder == null) {
            if (source.takesTokens()) {
                throw new IllegalArgumentException("source: expected dense features for one to many (no encoder)"
                        + " but was " + source);
            }
        } else {
            if (source.features() != encoder.inputSize()) {
                throw new IllegalArgumentException("encoder.inputSize: expected I=" + source.features()
                        + " (the features of " + source + ") but was " + encoder.inputSize());
            }
            if (encoder.bidirectional() || encoder.batchFirst() || encoder.cell() != d.cell()
                    || encoder.numLayers() != d.numLayers() || encoder.hiddenSize() != d.hiddenSize()
                    || encoder.dataType() != d.dataType()) {
                throw new IllegalArgumentException("encoder: expected one direction, time-major, and the decoder's"
                        + " cell " + d.cell() + ", L=" + d.numLayers() + ", H=" + d.hiddenSize() + " and "
                        + d.dataType() + " (its final state is the decoder's initial state) but was " + encoder);
            }
        }
    }

    /** Sequence to sequence: the encoder's final state initialises the decoder. */
    public static EncoderDecoderConfig sequenceToSequence(InputEncoding source, RecurrentConfig encoder,
            SequenceModelConfig decoder) {
        if (encoder == null) {
            throw new IllegalArgumentException("encoder: expected a RecurrentConfig but was null");
        }
        return new EncoderDecoderConfig(source, encoder, decoder);
    }

    /** One to many: a fixed vector of {@code features} values initialises the decoder's hidden state. */
    public static EncoderDecoderConfig vectorToSequence(int features, SequenceModelConfig decoder) {
        return new EncoderDecoderConfig(InputEncoding.dense(features), null, decoder);
    }

    /** Whether the source is a fixed vector (one to many) rather than a sequence. */
    public boolean vectorSource() {
        return encoder == null;
    }
}
