package dev.recurrent4j.train;

import dev.recurrent4j.infer.InferenceModel;
import dev.recurrent4j.infer.Stream;
import dev.recurrent4j.infer.TokenEncoder;
import dev.recurrent4j.model.HeadKind;
import dev.recurrent4j.model.InputEncoding;
import dev.recurrent4j.model.SequenceModel;
import dev.recurrent4j.model.SequenceModelConfig;
import dev.recurrent4j.tensor.Shapes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trained {@link SequenceModel} ready for serving, loaded in one call from a {@link Checkpoint} that a
 * {@link SequenceObjective} wrote: its {@link SequenceModelConfig}, an {@link InferenceModel} over the recurrent
 * stack ({@code rnn.*}) with the linear head ({@code head.*}), and for token input the {@link TokenEncoder} that
 * turns a token id into a step's features.
 *
 * <pre>{@code
 * TrainedModel trained = TrainedModel.load(runDirectory.resolve("checkpoints"));   // a root with "latest"
 * try (Stream stream = trained.model().openStream()) {
 *     double[] logits = null;
 *     for (int id : prompt) {
 *         logits = stream.step(trained.encode(id));                                 // [O], e.g. [V]
 *     }
 * }
 * }</pre>
 *
 * <p>This is the inference side only: no optimizer state, no training caches, no dropout. Attachments (such as a
 * vocabulary) stay in the checkpoint; read them with {@link Checkpoint#load} where they are needed.
 *
 * <p><b>The head, for both {@link HeadKind}s.</b> The inference model always carries the checkpoint's head, so a
 * step returns O values. With {@link HeadKind#PER_STEP} a stream's step {@code t} gives the model's output at step
 * {@code t}, and {@link InferenceModel#run} gives the whole {@code [T, B, O]} output. With {@link HeadKind#LAST_STEP}
 * the model reads the last layer's final hidden state; for a unidirectional network that is the last layer's output
 * at the sequence's last step, so a stream's step {@code t} gives the answer the model would give for the sequence
 * ending at {@code t} (a running classification or forecast), and its output after the last step is
 * {@link SequenceModel#forward}'s {@code [O]} for that sequence; in {@link InferenceModel#run}'s logits, the answer
 * for sequence {@code b} is step {@code lengths[b] - 1}. A bidirectional network cannot stream, and there the
 * per-step logits of {@code run} are <em>not</em> the answer: the reverse direction's final state is its output at
 * step 0, so the answer is the head ({@code model().head()}) applied to the forward half of {@code run}'s output at
 * step {@code lengths[b] - 1} concatenated with the reverse half at step 0.
 *
 * @param config the architecture the checkpoint was trained with
 * @param model the recurrent stack and its head; immutable and shareable between threads
 * @param encoder the token encoder (the embedding table's rows, or one-hot vectors) for token input; empty for dense
 *     input, whose features go to the stream as they are
 * @throws IllegalArgumentException for a null part, an encoder present for dense input or missing for token input,
 *     or a model or encoder whose sizes do not match {@code config}
 */
public record TrainedModel(SequenceModelConfig config, InferenceModel model, Optional<TokenEncoder> encoder) {

    /** The head's parameter prefix in a {@link SequenceModel}'s state dict ({@code head.weight}, {@code head.bias}). */
    static final String HEAD_PREFIX = "head.";

    public TrainedModel {
        if (config == null || model == null || encoder == null) {
            throw new IllegalArgumentException("config, model and encoder: expected non-null but "
                    + (config == null ? "config" : model == null ? "model" : "encoder") + " was null"
                    + (encoder == null ? " (use Optional.empty() for dense input)" : ""));
        }
        if (!model.config().equals(config.recurrent())) {
            throw new IllegalArgumentException("model: expected the recurrent stack " + config.recurrent()
                    + " but was " + model.config());
        }
        if (model.head().isEmpty() || model.outputSize() != config.outputSize()) {
            throw new IllegalArgumentException("model: expected a head of O=" + config.outputSize() + " outputs but "
                    + (model.head().isEmpty() ? "it has no head" : "it has " + model.outputSize()));
        }
        InputEncoding input = config.input();
        if (input.takesTokens() != encoder.isPresent()) {
            throw new IllegalArgumentException("encoder: expected " + (input.takesTokens()
                    ? "a token encoder for " + input + " but was empty"
                    : "empty for dense input but was a token encoder"));
        }
        if (encoder.isPresent() && (encoder.get().vocabularySize() != input.vocabulary()
                || encoder.get().inputSize() != input.features())) {
            throw new IllegalArgumentException("encoder: expected V=" + input.vocabulary() + ", I="
                    + input.features() + " for " + input + " but was V=" + encoder.get().vocabularySize() + ", I="
                    + encoder.get().inputSize());
        }
    }

    /**
     * Reads a checkpoint written by a {@link Trainer} over a {@link SequenceObjective} and builds the inference
     * model and token encoder it describes. The parameters are checked against
     * {@link SequenceModel#expectedShapes}: exactly those names and shapes, in the config's data type; the arrays
     * are copied, so nothing is shared with the checkpoint.
     *
     * @param checkpoint a checkpoint directory or a root whose {@code latest} file names one
     * @throws IOException if its files cannot be read
     * @throws IllegalArgumentException if there is no checkpoint there, its architecture is not a
     *     {@link SequenceModelConfig}, or its parameters do not fit that architecture
     */
    public static TrainedModel load(Path checkpoint) throws IOException {
        Checkpoint saved = Checkpoint.load(checkpoint);
        SequenceModelConfig config = sequenceModelConfig(saved, checkpoint);
        Map<String, INDArray> parameters = saved.model();
        checkParameters(config, parameters, checkpoint);
        InferenceModel model = InferenceModel.fromTorchStateDict(config.recurrent(), parameters,
                SequenceModel.RNN_PREFIX, HEAD_PREFIX);
        TokenEncoder encoder = switch (config.input().kind()) {
            case EMBEDDING -> TokenEncoder.embedding(parameters.get(SequenceModel.EMBEDDING));
            case ONE_HOT -> TokenEncoder.oneHot(config.input().vocabulary());
            case DENSE -> null;
        };
        return new TrainedModel(config, model, Optional.ofNullable(encoder));
    }

    /**
     * The features of one step for {@code token}, ready for {@link Stream#step(double[])}.
     *
     * @return I values, new
     * @throws IllegalStateException for a model with dense input, which takes features rather than tokens
     * @throws IllegalArgumentException for an id outside {@code 0..V-1}
     */
    public double[] encode(int token) {
        TokenEncoder tokens = encoder.orElseThrow(() -> new IllegalStateException("encode: expected a model with"
                + " token input but " + config.input() + " takes features; step the stream with them directly"));
        double[] x = new double[tokens.inputSize()];
        tokens.encode(token, x);
        return x;
    }

    /** The checkpoint's architecture as a {@link SequenceModelConfig}, or an exception saying what it holds. */
    private static SequenceModelConfig sequenceModelConfig(Checkpoint saved, Path checkpoint) {
        String expected = "checkpoint: expected the architecture of a SequenceModel (a SequenceModelConfig, as a"
                + " SequenceObjective saves) in " + checkpoint;
        if (saved.architecture() == null || saved.architecture().isNull()) {
            throw new IllegalArgumentException(expected + " but it holds no architecture");
        }
        try {
            return saved.architectureAs(SequenceModelConfig.class);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(expected + " but it holds " + saved.architecture(), e);
        }
    }

    /** Exactly the names and shapes of {@link SequenceModel#expectedShapes}, in the config's data type. */
    private static void checkParameters(SequenceModelConfig config, Map<String, INDArray> parameters,
            Path checkpoint) {
        Map<String, long[]> expected = SequenceModel.expectedShapes(config);
        Set<String> missing = new LinkedHashSet<>(expected.keySet());
        missing.removeAll(parameters.keySet());
        Set<String> extra = new LinkedHashSet<>(parameters.keySet());
        extra.removeAll(expected.keySet());
        if (!missing.isEmpty() || !extra.isEmpty()) {
            throw new IllegalArgumentException("checkpoint " + checkpoint + ": expected exactly the parameters "
                    + expected.keySet() + " for " + config + " but " + (missing.isEmpty() ? "" : "missing " + missing
                    + (extra.isEmpty() ? "" : " and ")) + (extra.isEmpty() ? "" : "unexpected " + extra));
        }
        expected.forEach((name, shape) -> {
            INDArray tensor = parameters.get(name);
            if (!Arrays.equals(tensor.shape(), shape)) {
                throw new IllegalArgumentException("checkpoint " + checkpoint + ": " + name + ": expected shape "
                        + Arrays.toString(shape) + " for " + config + " but was " + Arrays.toString(tensor.shape()));
            }
            Shapes.requireDataType("checkpoint " + checkpoint + ": " + name, tensor, config.dataType());
        });
    }
}
