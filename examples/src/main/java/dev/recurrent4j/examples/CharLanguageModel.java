package dev.recurrent4j.examples;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.HeadKind;
import dev.recurrent4j.model.InputEncoding;
import dev.recurrent4j.model.ModelStepper;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentState;
import dev.recurrent4j.model.SequenceBatch;
import dev.recurrent4j.model.SequenceModel;
import dev.recurrent4j.model.SequenceModelConfig;
import dev.recurrent4j.model.TokenSampler;
import dev.recurrent4j.train.BatchSource;
import dev.recurrent4j.train.Checkpoint;
import dev.recurrent4j.train.ConsoleReporter;
import dev.recurrent4j.train.CsvMetricsWriter;
import dev.recurrent4j.train.CurveChartWriter;
import dev.recurrent4j.train.EarlyStopping;
import dev.recurrent4j.train.GradientClipping;
import dev.recurrent4j.train.LabeledBatch;
import dev.recurrent4j.train.LearningRateSchedule;
import dev.recurrent4j.train.Metrics;
import dev.recurrent4j.train.OptimizerConfig;
import dev.recurrent4j.train.ProgressBarListener;
import dev.recurrent4j.train.SequenceObjective;
import dev.recurrent4j.train.Tbptt;
import dev.recurrent4j.train.Trainer;
import dev.recurrent4j.train.TrainerConfig;
import dev.recurrent4j.train.TrainingListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Scenario 1: a character-level language model (Karpathy's char-rnn, in miniature). Two parts:
 *
 * <ul>
 *   <li>{@link #hello}: the classic example, vocabulary h, e, l, o: a vanilla RNN reads "hell" and learns to
 *       predict "ello"; then, primed with "h", it writes "hello".</li>
 *   <li>{@link #train}: an LSTM on a bundled public-domain text (the opening of Shakespeare's <i>Coriolanus</i>,
 *       see {@code data/README.md}) with truncated BPTT, perplexity on the held-out last 10% of the text, a
 *       checkpoint, and samples from a prefix with temperature, top-k and top-p.</li>
 * </ul>
 */
public final class CharLanguageModel {
    /** The bundled text's resource path. */
    public static final String BUNDLED_TEXT = "/data/coriolanus.txt";
    public static final String VOCABULARY_FILE = "vocabulary.txt";
    static final int HELLO_STEPS = 200;

    private CharLanguageModel() {}

    /**
     * @param text the corpus, or {@code null} for the bundled one
     * @param hidden H of the LSTM
     * @param epochs the most epochs (early stopping on the validation loss may end sooner)
     * @param streams B, the parallel streams of the text
     * @param k1 TBPTT segment length
     * @param k2 TBPTT backward steps, at most k1
     * @param learningRate Adam's, positive
     * @param runDirectory checkpoints, CSV and PNG curves go here; {@code null} for none
     * @param progress show a progress bar and one line per epoch
     */
    public record Options(Path text, int hidden, int epochs, int streams, int k1, int k2, double learningRate,
            long seed, Path runDirectory, boolean progress) {
        public Options {
            if (hidden < 1 || epochs < 1 || streams < 1) {
                throw new IllegalArgumentException("hidden, epochs and streams: expected at least 1 but were "
                        + hidden + ", " + epochs + ", " + streams);
            }
            LearningRateSchedule.constant(learningRate); // rejects a rate that is not a positive number
            new Tbptt(k1, k2);
        }

        /** The defaults behind the README command: about two minutes on two cores. */
        public static Options defaults() {
            return new Options(null, 128, 30, 16, 50, 25, 0.004, 42, Path.of("runs", "char-lm"), true);
        }
    }

    /**
     * @param validationPerplexity per character, on the held-out last 10% of the text
     * @param uniformPerplexity V, what guessing uniformly would score
     */
    public record Result(SequenceModel model, CharVocabulary vocabulary, double trainPerplexity,
            double validationPerplexity, double uniformPerplexity, int epochs, Path checkpoint) {}

    /** Reads the corpus: the file, or the bundled text. */
    public static String readText(Path file) {
        try {
            if (file != null) {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                if (text.length() < 1000) {
                    throw new IllegalArgumentException("text: expected at least 1000 characters in " + file
                            + " but it has " + text.length());
                }
                return text;
            }
            try (InputStream in = CharLanguageModel.class.getResourceAsStream(BUNDLED_TEXT)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the text " + (file == null ? BUNDLED_TEXT : file), e);
        }
    }

    /** The model for a vocabulary of V characters: embedding 32, one LSTM layer of H, per-step softmax. */
    public static SequenceModelConfig architecture(int vocabulary, int hidden) {
        return new SequenceModelConfig(InputEncoding.embedding(vocabulary, 32),
                RecurrentConfig.of(CellType.LSTM, 32, hidden), HeadKind.PER_STEP, vocabulary);
    }

    public static Result train(Options options) {
        String text = readText(options.text());
        CharVocabulary vocabulary = CharVocabulary.of(text);
        int[] ids = vocabulary.encode(text, "text");
        int split = (int) (ids.length * 0.9);
        int[] trainIds = java.util.Arrays.copyOfRange(ids, 0, split);
        int[] validationIds = java.util.Arrays.copyOfRange(ids, split, ids.length);

        SequenceModel model = SequenceModel.initialize(architecture(vocabulary.size(), options.hidden()),
                options.seed());
        Tbptt tbptt = new Tbptt(options.k1(), options.k2());
        List<LabeledBatch> trainSegments = tbptt.segments(trainIds, options.streams());
        List<LabeledBatch> validationSegments = tbptt.segments(validationIds, 4);
        TrainerConfig config = new TrainerConfig(options.epochs(), OptimizerConfig.Adam.defaults(),
                new LearningRateSchedule.Warmup(20, LearningRateSchedule.constant(options.learningRate())),
                GradientClipping.byGlobalNorm(5.0), options.seed(), EarlyStopping.onLoss(3));
        Trainer<LabeledBatch> trainer = new Trainer<>(new SequenceObjective(model, tbptt), config)
                .attach(VOCABULARY_FILE, vocabulary.symbols());
        if (options.progress()) {
            trainer.addListener(new ProgressBarListener()).addListener(new ConsoleReporter());
        }
        if (options.runDirectory() != null) {
            trainer.checkpointTo(options.runDirectory().resolve("checkpoints"), 1)
                    .addListener(new CsvMetricsWriter(options.runDirectory()))
                    .addListener(new CurveChartWriter(options.runDirectory(), Metrics.PERPLEXITY));
        }
        TrainingListener.TrainingResult result = trainer.fit(BatchSource.fixed(trainSegments),
                BatchSource.fixed(validationSegments));
        return new Result(model, vocabulary, result.last().get("train_perplexity"),
                result.last().get("val_perplexity"), vocabulary.size(), result.epochsRun(),
                options.runDirectory() == null ? null : options.runDirectory().resolve("checkpoints"));
    }

    /** Loads a trained model and its vocabulary from a checkpoint (a directory or a root with {@code latest}). */
    public static Result load(Path checkpoint) throws IOException {
        Checkpoint saved = Checkpoint.load(checkpoint);
        String symbols = saved.attachments().get(VOCABULARY_FILE);
        if (symbols == null) {
            throw new IllegalArgumentException("checkpoint: expected " + VOCABULARY_FILE + " in "
                    + Checkpoint.resolve(checkpoint) + " (a character model's checkpoint) but it has none");
        }
        CharVocabulary vocabulary = new CharVocabulary(symbols);
        SequenceModelConfig expected = saved.architectureAs(SequenceModelConfig.class);
        if (expected.head() != HeadKind.PER_STEP || !expected.input().takesTokens()
                || expected.outputSize() != vocabulary.size()) {
            throw new IllegalArgumentException("checkpoint: expected a character language model (token input, per"
                    + " step head of V=" + vocabulary.size() + ") but it holds " + expected);
        }
        SequenceModel model = SequenceModel.fromStateDict(expected, saved.model());
        Double perplexity = saved.history().isEmpty() ? Double.NaN
                : saved.history().get(saved.history().size() - 1).getOrDefault("val_perplexity", Double.NaN);
        return new Result(model, vocabulary, Double.NaN, perplexity, vocabulary.size(), saved.epoch(), checkpoint);
    }

    /**
     * Writes {@code length} characters after {@code prefix}: the prefix primes the state, then each character is
     * drawn from the model's distribution (after temperature, top-k and top-p) and fed back.
     *
     * @throws IllegalArgumentException for a prefix with a character outside the vocabulary, or an empty one
     */
    public static String generate(SequenceModel model, CharVocabulary vocabulary, String prefix, int length,
            TokenSampler sampler, long seed) {
        if (prefix == null || prefix.isEmpty()) {
            throw new IllegalArgumentException("prefix: expected at least one character but was "
                    + (prefix == null ? "null" : "empty"));
        }
        int[] primer = vocabulary.encode(prefix, "prefix");
        ModelStepper stepper = model.newStepper(1);
        RecurrentState state = stepper.zeroState(1);
        INDArray logits = null;
        for (int id : primer) {
            logits = stepper.step(new int[] {id}, state);
        }
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder text = new StringBuilder(prefix);
        for (int k = 0; k < length; k++) {
            int next = sampler.sample(logits.castTo(DataType.DOUBLE).data().asDouble(), random);
            text.append(vocabulary.decode(next));
            logits = stepper.step(new int[] {next}, state);
        }
        return text.toString();
    }

    /**
     * The model's perplexity per character on {@code text} (every character predicted from the ones before it,
     * the state carried through segments of 100).
     *
     * @throws IllegalArgumentException for a character outside the vocabulary or a text under two characters
     */
    public static double perplexity(SequenceModel model, CharVocabulary vocabulary, String text) {
        int[] ids = vocabulary.encode(text, "text");
        SequenceObjective objective = new SequenceObjective(model, Tbptt.of(100));
        Metrics metrics = new Metrics();
        for (LabeledBatch segment : Tbptt.of(100).segments(ids, 1)) {
            metrics.addAll(objective.evaluate(segment));
        }
        return metrics.get(Metrics.PERPLEXITY);
    }

    // ------------------------------------------------------------------------------------------------ hello

    /** What {@link #hello} learned: the predictions for "hell" after training, and the greedy sample from "h". */
    public record HelloResult(String predicted, String sampled, double loss, int steps) {}

    /**
     * The classic example: vocabulary {h, e, l, o}, one-hot input, a vanilla tanh RNN of 8 units, trained on
     * input "hell" → target "ello" with Adagrad (as min-char-rnn) for {@value #HELLO_STEPS} steps.
     */
    public static HelloResult hello(long seed) {
        CharVocabulary vocabulary = new CharVocabulary("helo");
        SequenceModelConfig config = new SequenceModelConfig(InputEncoding.oneHot(4),
                RecurrentConfig.of(CellType.RNN_TANH, 4, 8), HeadKind.PER_STEP, 4);
        SequenceModel model = SequenceModel.initialize(config, seed);
        LabeledBatch example = LabeledBatch.perStep(SequenceBatch.tokens(vocabulary.encode("hell", "input")),
                new int[][] {vocabulary.encode("ello", "target")});
        TrainingListener.TrainingResult result = new Trainer<>(new SequenceObjective(model), new TrainerConfig(
                HELLO_STEPS, OptimizerConfig.Adagrad.defaults(), LearningRateSchedule.constant(0.1),
                GradientClipping.byValue(5), seed, null)).fit(BatchSource.fixed(List.of(example)), null);
        double loss = result.last().get("train_loss");
        INDArray logits = model.forward(example.input()).output(); // [T=4, B=1, V=4]
        StringBuilder predicted = new StringBuilder();
        for (int t = 0; t < 4; t++) {
            predicted.append(vocabulary.decode(logits.slice(t).argMax(1).getInt(0)));
        }
        String sampled = generate(model, vocabulary, "h", 4, TokenSampler.greedy(), seed);
        return new HelloResult(predicted.toString(), sampled, loss, HELLO_STEPS);
    }
}
