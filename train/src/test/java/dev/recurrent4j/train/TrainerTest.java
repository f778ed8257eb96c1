package dev.recurrent4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.HeadKind;
import dev.recurrent4j.model.InputEncoding;
import dev.recurrent4j.model.ModelParameters;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.SequenceBatch;
import dev.recurrent4j.model.SequenceModel;
import dev.recurrent4j.model.SequenceModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The trainer: bit-for-bit reproducibility from the seed, resume = uninterrupted run, checkpoints that refuse
 * another architecture and survive a failed save, early stopping, truncated BPTT, and that it actually learns.
 *
 * <p>The problem: sequences of 3..8 tokens from V = 5; the class is the first token's parity (so the LSTM must
 * carry it to the last step). Two layers with dropout 0.2, so the dropout seeds are exercised; shuffled batches of
 * 8; Adam with warm-up and cosine decay, clipping by global norm.
 */
class TrainerTest {
    static final SequenceModelConfig CLASSIFIER = new SequenceModelConfig(InputEncoding.embedding(5, 4),
            RecurrentConfig.of(CellType.LSTM, 4, 12).withLayers(2).withDropout(0.2), HeadKind.LAST_STEP, 2);
    static final TrainerConfig CONFIG = new TrainerConfig(4, OptimizerConfig.Adam.defaults(),
            new LearningRateSchedule.Warmup(3, new LearningRateSchedule.Cosine(0.02, 40, 0.002)),
            GradientClipping.byGlobalNorm(1.0), 7, null);

    @TempDir
    Path temp;

    record Example(int[] tokens, int label) {}

    static List<Example> examples(int count, long seed) {
        Random random = new Random(seed);
        List<Example> examples = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            int[] tokens = random.ints(3 + random.nextInt(6), 0, 5).toArray();
            examples.add(new Example(tokens, tokens[0] % 2));
        }
        return examples;
    }

    static LabeledBatch collate(List<Example> examples) {
        return LabeledBatch.perSequence(SequenceBatch.tokens(examples.stream().map(Example::tokens)
                .toArray(int[][]::new)), examples.stream().mapToInt(Example::label).toArray());
    }

    static final BatchSource<LabeledBatch> TRAIN = BatchSource.shuffled(examples(48, 1), 8, TrainerTest::collate);
    static final BatchSource<LabeledBatch> VALIDATION = BatchSource.inOrder(examples(24, 2), 12, TrainerTest::collate);

    /** Records every step's loss. */
    static final class Losses implements TrainingListener {
        final List<Double> losses = new ArrayList<>();

        @Override
        public void onStep(StepEvent step) {
            losses.add(step.loss());
        }
    }

    private static double[] run(TrainerConfig config, Losses losses) {
        SequenceModel model = SequenceModel.initialize(CLASSIFIER, 3);
        new Trainer<>(new SequenceObjective(model), config).addListener(losses).fit(TRAIN, VALIDATION);
        return flat(model.parameters());
    }

    @Test
    void theSameSeedGivesTheSameLossesBitForBit() {
        Losses first = new Losses();
        Losses second = new Losses();
        double[] a = run(CONFIG, first);
        double[] b = run(CONFIG, second);
        assertEquals(first.losses, second.losses, "step losses of two runs with seed 7");
        assertArrayEquals(a, b, "final parameters");
        TrainerConfig reseeded = new TrainerConfig(4, CONFIG.optimizer(), CONFIG.schedule(), CONFIG.clipping(), 8,
                null);
        Losses differentSeed = new Losses();
        run(reseeded, differentSeed);
        assertFalse(first.losses.equals(differentSeed.losses), "another seed shuffles (and drops) differently");
    }

    @Test
    void resumingFromACheckpointContinuesExactlyAsTheUninterruptedRun() throws IOException {
        Losses uninterrupted = new Losses();
        double[] expected = run(CONFIG, uninterrupted);

        Path root = temp.resolve("run");
        SequenceModel model = SequenceModel.initialize(CLASSIFIER, 3);
        Losses firstHalf = new Losses();
        new Trainer<>(new SequenceObjective(model), CONFIG.withEpochs(2)).addListener(firstHalf)
                .checkpointTo(root, 1).fit(TRAIN, VALIDATION);

        SequenceModel fresh = SequenceModel.initialize(CLASSIFIER, 99); // other weights: all must come from disk
        Losses secondHalf = new Losses();
        Trainer<LabeledBatch> resumed = new Trainer<>(new SequenceObjective(fresh), CONFIG).addListener(secondHalf)
                .resume(root);
        assertEquals(2, resumed.epoch());
        resumed.fit(TRAIN, VALIDATION);

        List<Double> joined = new ArrayList<>(firstHalf.losses);
        joined.addAll(secondHalf.losses);
        assertEquals(uninterrupted.losses, joined, "step losses, interrupted after epoch 2 and resumed");
        assertArrayEquals(expected, flat(fresh.parameters()), "final parameters");
        assertEquals(4, resumed.history().size());
    }

    @Test
    void aCheckpointOfAnotherArchitectureIsRejected() {
        Path root = temp.resolve("lm");
        SequenceModel model = SequenceModel.initialize(CLASSIFIER, 3);
        new Trainer<>(new SequenceObjective(model), CONFIG.withEpochs(1)).checkpointTo(root, 1).fit(TRAIN, null);
        SequenceModelConfig wider = new SequenceModelConfig(InputEncoding.embedding(5, 4),
                RecurrentConfig.of(CellType.GRU, 4, 12).withLayers(2).withDropout(0.2), HeadKind.LAST_STEP, 2);
        Trainer<LabeledBatch> other = new Trainer<>(new SequenceObjective(SequenceModel.initialize(wider, 1)), CONFIG);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.resume(root));
        assertTrue(e.getMessage().contains("GRU") && e.getMessage().contains("LSTM")
                && e.getMessage().contains("another model"), e.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> other.resume(temp.resolve("missing")));
        assertTrue(none.getMessage().contains("not a directory"), none.getMessage());
    }

    /** A save that fails half-way leaves no checkpoint directory behind and {@code latest} on the previous one. */
    @Test
    void aFailedSaveLeavesTheLatestCheckpointIntact() throws IOException {
        Path root = temp.resolve("crash");
        SequenceModel model = SequenceModel.initialize(CLASSIFIER, 3);
        Trainer<LabeledBatch> trainer = new Trainer<>(new SequenceObjective(model), CONFIG.withEpochs(1));
        trainer.fit(TRAIN, null);
        Path first = trainer.saveCheckpoint(root);
        Checkpoint good = Checkpoint.load(root);
        Checkpoint broken = new Checkpoint(good.architecture(), good.model(), good.optimizer(), 99, 99, 9,
                good.rngState(), Double.NaN, 0, List.of(), Map.of("no/such/dir.txt", "x"));
        assertThrows(IOException.class, () -> broken.save(root, 5));
        assertEquals(first, Checkpoint.resolve(root), "latest still names the complete checkpoint");
        assertFalse(Files.exists(root.resolve("step-00000099")), "no partial checkpoint directory");
        try (var entries = Files.list(root)) {
            assertTrue(entries.noneMatch(p -> p.getFileName().toString().startsWith(".tmp-step")), "temp removed");
        }
        assertEquals(good.step(), Checkpoint.load(root).step());
    }

    @Test
    void earlyStoppingStopsAfterPatienceEpochsWithoutImprovement() {
        SequenceModel model = SequenceModel.initialize(CLASSIFIER, 3);
        // "improvement" = a higher validation loss, which training does not give: stops after 1 + patience epochs
        TrainerConfig config = CONFIG.withEpochs(20).withEarlyStopping(new EarlyStopping(Metrics.LOSS, false, 2));
        TrainingListener.TrainingResult result = new Trainer<>(new SequenceObjective(model), config)
                .fit(TRAIN, VALIDATION);
        assertTrue(result.stoppedEarly());
        assertTrue(result.epochsRun() < 20 && result.epochsRun() >= 3, "ran " + result.epochsRun());
    }

    @Test
    void itLearnsAndTruncatedBpttCarriesState() {
        SequenceModel model = SequenceModel.initialize(CLASSIFIER, 3);
        TrainingListener.TrainingResult result = new Trainer<>(new SequenceObjective(model),
                CONFIG.withEpochs(25).withSchedule(LearningRateSchedule.constant(0.02))).fit(TRAIN, VALIDATION);
        assertTrue(result.last().get("val_accuracy") >= 0.9, "validation accuracy " + result.last());

        // TBPTT over "abcabc..." with k1 = 4, k2 = 2: next-token prediction becomes certain
        SequenceModelConfig lm = new SequenceModelConfig(InputEncoding.oneHot(3),
                RecurrentConfig.of(CellType.GRU, 3, 8), HeadKind.PER_STEP, 3);
        int[] stream = new int[200];
        for (int k = 0; k < stream.length; k++) {
            stream[k] = k % 3;
        }
        SequenceModel net = SequenceModel.initialize(lm, 1);
        List<LabeledBatch> segments = new Tbptt(4, 2).segments(stream, 4);
        assertEquals(13, segments.size()); // 199 pairs / 4 streams = 49 steps each, in segments of 4
        TrainingListener.TrainingResult lmResult = new Trainer<>(new SequenceObjective(net, new Tbptt(4, 2)),
                TrainerConfig.adam(15, 0.05, 1)).fit(BatchSource.fixed(segments), BatchSource.fixed(segments));
        assertTrue(lmResult.last().get("val_perplexity") < 1.1, "perplexity " + lmResult.last());
    }

    @Test
    void badConfigurationIsRejectedBeforeTraining() {
        assertThrows(IllegalArgumentException.class, () -> TrainerConfig.adam(0, 0.01, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainerConfig.adam(3, -0.01, 1));
        assertEquals("learningRate: expected a positive number but was -0.01", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Tbptt(4, 5));
        SequenceModel model = SequenceModel.initialize(CLASSIFIER, 3);
        assertThrows(IllegalArgumentException.class, () -> new Trainer<>(new SequenceObjective(model),
                CONFIG.withEarlyStopping(EarlyStopping.onLoss(2))).fit(TRAIN, null));
    }

    static double[] flat(ModelParameters parameters) {
        List<Double> values = new ArrayList<>();
        for (INDArray array : parameters.byName().values()) {
            for (double v : array.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble()) {
                values.add(v);
            }
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
