package dev.recurrent4j.train;

import static dev.recurrent4j.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.infer.InferenceModel;
import dev.recurrent4j.infer.SequenceOutput;
import dev.recurrent4j.infer.Stream;
import dev.recurrent4j.infer.TokenEncoder;
import dev.recurrent4j.model.HeadKind;
import dev.recurrent4j.model.InputEncoding;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.SequenceBatch;
import dev.recurrent4j.model.SequenceModel;
import dev.recurrent4j.model.SequenceModelConfig;
import dev.recurrent4j.testing.TestTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The checkpoint-to-inference loader: a model saved as the trainer saves it, loaded with {@link TrainedModel#load},
 * streams the outputs of {@link SequenceModel#forward} on the same sequence, for token (embedding, one-hot) and
 * dense input and both head kinds; and a checkpoint of anything else is refused with a message saying so.
 *
 * <p>Stream against forward is rounding, not bits: a stream step projects one input row (a GEMV) where forward
 * projects all T rows in one GEMM, and the two sum in different orders. So float32 is compared within 1e-5 and
 * float64 within 1e-12 of the largest output, as the engine's {@code StreamTest} does.
 */
class TrainedModelTest {
    static final SequenceModelConfig LANGUAGE_MODEL = new SequenceModelConfig(InputEncoding.embedding(7, 5),
            RecurrentConfig.of(CellType.LSTM, 5, 8).withLayers(2).withDropout(0.1), HeadKind.PER_STEP, 7);
    static final SequenceModelConfig FORECASTER = new SequenceModelConfig(InputEncoding.dense(3),
            RecurrentConfig.of(CellType.GRU, 3, 6).withDataType(DataType.DOUBLE), HeadKind.LAST_STEP, 2);
    static final SequenceModelConfig ONE_HOT_TAGGER = new SequenceModelConfig(InputEncoding.oneHot(4),
            RecurrentConfig.of(CellType.RNN_TANH, 4, 5).withLayers(2).withDataType(DataType.DOUBLE),
            HeadKind.PER_STEP, 3);

    @TempDir
    Path temp;

    /** Saves {@code model} as {@link Trainer#saveCheckpoint} does: its objective's architecture and parameters. */
    static Path save(SequenceModel model, Path root) throws IOException {
        SequenceObjective objective = new SequenceObjective(model);
        Checkpoint checkpoint = new Checkpoint(Checkpoint.JSON.valueToTree(objective.architecture()),
                model.toStateDict(), Map.of(), 0, 12, 3, 0L, Double.NaN, 0, List.of(Map.of("train_loss", 1.5)),
                Map.of("vocabulary.json", "[]"));
        return checkpoint.save(root, 1);
    }

    static int[] tokens(Random random, int steps, int vocabulary) {
        return random.ints(steps, 0, vocabulary).toArray();
    }

    /** The output of step {@code t} of sequence 0 of a {@code [T, 1, O]} array. */
    static INDArray step(INDArray output, int t) {
        return output.get(NDArrayIndex.point(t), NDArrayIndex.point(0), NDArrayIndex.all());
    }

    @Test
    void embeddingLanguageModelStreamsTheOutputsOfForward() throws IOException {
        SequenceModel original = SequenceModel.initialize(LANGUAGE_MODEL, 11);
        Path root = temp.resolve("checkpoints");
        save(original, root);

        TrainedModel trained = TrainedModel.load(root); // a root: resolved through "latest"

        assertEquals(LANGUAGE_MODEL, trained.config());
        assertTrue(trained.encoder().isPresent());
        assertEquals(7, trained.encoder().get().vocabularySize());
        assertEquals(7, trained.model().outputSize());
        int[] ids = tokens(new Random(11), 9, 7);
        INDArray expected = original.forward(SequenceBatch.tokens(ids)).output(); // [T, 1, V]
        try (Stream stream = trained.model().openStream()) {
            for (int t = 0; t < ids.length; t++) {
                double[] logits = stream.step(trained.encode(ids[t]));
                assertClose("logits t=" + t, step(expected, t), Nd4j.createFromArray(logits), 1e-5);
            }
        }
    }

    @Test
    void embeddingRowsAreTheModelsOwn() throws IOException {
        SequenceModel original = SequenceModel.initialize(LANGUAGE_MODEL, 12);
        TrainedModel trained = TrainedModel.load(save(original, temp));
        INDArray table = original.parameters().get(SequenceModel.EMBEDDING);
        for (int id = 0; id < 7; id++) {
            assertClose("embedding row " + id, table.getRow(id).castTo(DataType.DOUBLE),
                    Nd4j.createFromArray(trained.encode(id)), 0.0);
        }
        assertThrows(IllegalArgumentException.class, () -> trained.encode(7));
        assertThrows(IllegalArgumentException.class, () -> trained.encode(-1));
    }

    /**
     * Bit for bit: {@link InferenceModel#run} is documented to equal the network's forward exactly, the encoder
     * gives the embedding's float32 rows exactly (widened to double and rounded back), and the head is the same GEMM
     * over the same {@code [T*B, H]} rows.
     */
    @Test
    void wholeSequenceRunGivesTheOutputsOfForward() throws IOException {
        SequenceModel original = SequenceModel.initialize(LANGUAGE_MODEL, 13);
        TrainedModel trained = TrainedModel.load(save(original, temp));
        int[] ids = tokens(new Random(13), 6, 7);
        INDArray x = Nd4j.create(DataType.DOUBLE, ids.length, 1, 5);
        for (int t = 0; t < ids.length; t++) {
            x.get(NDArrayIndex.point(t), NDArrayIndex.point(0), NDArrayIndex.all())
                    .assign(Nd4j.createFromArray(trained.encode(ids[t])));
        }
        SequenceOutput out = trained.model().run(x.castTo(DataType.FLOAT), null, null);
        INDArray expected = original.forward(SequenceBatch.tokens(ids)).output();
        assertClose("logits", expected, out.logits(), 0.0);
    }

    /**
     * LAST_STEP: the stream's output after step t is what forward answers for the sequence's first t+1 steps, and
     * after the last step, forward's answer for the whole sequence.
     */
    @Test
    void denseLastStepModelStreamsTheAnswerForEachPrefix() throws IOException {
        SequenceModel original = SequenceModel.initialize(FORECASTER, 21);
        TrainedModel trained = TrainedModel.load(save(original, temp));

        assertTrue(trained.encoder().isEmpty());
        assertThrows(IllegalStateException.class, () -> trained.encode(0));
        INDArray x = TestTensors.normal(new Random(21), DataType.DOUBLE, 1.0, 8, 1, 3);
        try (Stream stream = trained.model().openStream()) {
            for (int t = 0; t < 8; t++) {
                double[] answer = stream.step(x.get(NDArrayIndex.point(t), NDArrayIndex.point(0), NDArrayIndex.all())
                        .toDoubleVector());
                INDArray prefix = x.get(NDArrayIndex.interval(0, t + 1), NDArrayIndex.all(), NDArrayIndex.all())
                        .dup('c');
                INDArray expected = original.forward(SequenceBatch.dense(prefix, null)).output(); // [1, O]
                assertClose("answer after t=" + t, expected.getRow(0), Nd4j.createFromArray(answer), 1e-12);
            }
        }
    }

    @Test
    void oneHotModelStreamsTheOutputsOfForward() throws IOException {
        SequenceModel original = SequenceModel.initialize(ONE_HOT_TAGGER, 31);
        TrainedModel trained = TrainedModel.load(save(original, temp));

        assertEquals(4, trained.encoder().orElseThrow().inputSize());
        int[] ids = tokens(new Random(31), 7, 4);
        INDArray expected = original.forward(SequenceBatch.tokens(ids)).output();
        try (Stream stream = trained.model().openStream()) {
            for (int t = 0; t < ids.length; t++) {
                assertClose("logits t=" + t, step(expected, t), Nd4j.createFromArray(stream.step(
                        trained.encode(ids[t]))), 1e-12);
            }
        }
    }

    @Test
    void refusesACheckpointOfAnotherArchitecture() throws IOException {
        RecurrentConfig bare = RecurrentConfig.of(CellType.LSTM, 3, 4);
        Checkpoint checkpoint = new Checkpoint(Checkpoint.JSON.valueToTree(bare),
                SequenceModel.initialize(FORECASTER, 1).toStateDict(), Map.of(), 0, 1, 1, 0L, Double.NaN, 0,
                List.of(), Map.of());
        Path directory = checkpoint.save(temp, 1);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainedModel.load(directory));
        assertTrue(e.getMessage().startsWith("checkpoint: expected the architecture of a SequenceModel"),
                e.getMessage());
        assertTrue(e.getMessage().contains("SequenceModelConfig"), e.getMessage());
        assertTrue(e.getMessage().contains("but it holds " + Checkpoint.JSON.valueToTree(bare)), e.getMessage());
    }

    @Test
    void refusesParametersOfAnotherShape() throws IOException {
        SequenceModel wider = SequenceModel.initialize(new SequenceModelConfig(FORECASTER.input(),
                RecurrentConfig.of(CellType.GRU, 3, 7).withDataType(DataType.DOUBLE), HeadKind.LAST_STEP, 2), 1);
        Checkpoint checkpoint = new Checkpoint(Checkpoint.JSON.valueToTree(FORECASTER), wider.toStateDict(),
                Map.of(), 0, 1, 1, 0L, Double.NaN, 0, List.of(), Map.of()); // H=7 parameters, an H=6 architecture
        Path directory = checkpoint.save(temp, 1);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainedModel.load(directory));
        assertTrue(e.getMessage().contains("rnn.weight_ih_l0: expected shape [18, 3]"), e.getMessage());
        assertTrue(e.getMessage().contains("but was [21, 3]"), e.getMessage());
    }

    @Test
    void refusesAMissingDirectory() {
        Path missing = temp.resolve("no-such-run");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainedModel.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void constructorRefusesAnEncoderThatDoesNotFitTheInput() throws IOException {
        TrainedModel trained = TrainedModel.load(save(SequenceModel.initialize(FORECASTER, 2), temp));
        InferenceModel model = trained.model();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainedModel(FORECASTER,
                model, Optional.of(TokenEncoder.oneHot(3))));
        assertTrue(e.getMessage().startsWith("encoder: expected empty for dense input"), e.getMessage());
    }
}
