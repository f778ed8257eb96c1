package dev.recurrent4j.examples;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.HeadKind;
import dev.recurrent4j.model.InputEncoding;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.SequenceBatch;
import dev.recurrent4j.model.SequenceModel;
import dev.recurrent4j.model.SequenceModelConfig;
import dev.recurrent4j.train.BatchSource;
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
import dev.recurrent4j.train.Trainer;
import dev.recurrent4j.train.TrainerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Scenario 2: many-to-one sentiment classification of variable-length sentences with a bidirectional LSTM (the
 * head reads both directions' final states).
 *
 * <p>The data is generated from a seed, so it needs no download and has no licence: review-like sentences of 4 to
 * 15 words whose label depends on word order, not on a bag of words. "the plot was good" is positive; "the plot was
 * not good" negative (negation); "the acting was dull but the story was truly wonderful" positive (the clause after
 * "but" decides). A bag-of-words model cannot score well on it.
 */
public final class SentimentClassification {
    static final String[] SUBJECTS = {"the movie", "this film", "the plot", "the acting", "the ending",
        "the soundtrack", "the story", "this book", "the dialogue", "the cast"};
    static final String[] VERBS = {"was", "is", "seemed", "felt"};
    static final String[] INTENSIFIERS = {"", "", "very", "really", "quite", "truly"};
    static final String[] POSITIVE = {"good", "great", "wonderful", "brilliant", "moving", "fun", "charming",
        "excellent"};
    static final String[] NEGATIVE = {"bad", "boring", "awful", "dull", "terrible", "weak", "clumsy", "tedious"};

    private SentimentClassification() {}

    /** A sentence and its label (1 positive, 0 negative). */
    public record Example(List<String> words, int label) {}

    public record Options(int examples, int hidden, int epochs, double learningRate, long seed, Path runDirectory,
            boolean progress) {
        public Options {
            if (examples < 100 || hidden < 1 || epochs < 1) {
                throw new IllegalArgumentException("examples, hidden and epochs: expected at least 100, 1 and 1 but"
                        + " were " + examples + ", " + hidden + ", " + epochs);
            }
            LearningRateSchedule.constant(learningRate);
        }

        public static Options defaults() {
            return new Options(3000, 32, 12, 0.01, 42, Path.of("runs", "sentiment"), true);
        }
    }

    /** Test accuracy overall, and on the sentences with a negation or a "but". */
    public record Result(double testAccuracy, double negationAccuracy, double contrastAccuracy, int testSize,
            int epochs) {}

    /** {@code count} generated examples. */
    public static List<Example> generate(int count, long seed) {
        Random random = new Random(seed);
        List<Example> examples = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            List<String> words = new ArrayList<>();
            int label;
            if (random.nextInt(3) == 0) { // contrast: the second clause decides
                clause(random, words);
                words.add("but");
                label = clause(random, words);
            } else {
                label = clause(random, words);
            }
            examples.add(new Example(words, label));
        }
        return examples;
    }

    /** Appends "subject verb [not] [intensifier] adjective"; returns its sentiment. */
    private static int clause(Random random, List<String> words) {
        words.addAll(Arrays.asList(SUBJECTS[random.nextInt(SUBJECTS.length)].split(" ")));
        words.add(VERBS[random.nextInt(VERBS.length)]);
        boolean negated = random.nextInt(3) == 0;
        if (negated) {
            words.add("not");
        }
        String intensifier = INTENSIFIERS[random.nextInt(INTENSIFIERS.length)];
        if (!intensifier.isEmpty()) {
            words.add(intensifier);
        }
        boolean positive = random.nextBoolean();
        words.add(positive ? POSITIVE[random.nextInt(POSITIVE.length)] : NEGATIVE[random.nextInt(NEGATIVE.length)]);
        return positive != negated ? 1 : 0;
    }

    public static WordVocabulary vocabulary() {
        Set<String> words = new HashSet<>(List.of("but", "not"));
        for (String[] list : new String[][] {SUBJECTS, VERBS, INTENSIFIERS, POSITIVE, NEGATIVE}) {
            for (String phrase : list) {
                if (!phrase.isEmpty()) {
                    words.addAll(Arrays.asList(phrase.split(" ")));
                }
            }
        }
        return new WordVocabulary(words);
    }

    public static SequenceModelConfig architecture(int vocabulary, int hidden) {
        return new SequenceModelConfig(InputEncoding.embedding(vocabulary, 16),
                RecurrentConfig.of(CellType.LSTM, 16, hidden).withBidirectional(true), HeadKind.LAST_STEP, 2);
    }

    public static Result run(Options options) {
        WordVocabulary vocabulary = vocabulary();
        List<Example> all = generate(options.examples(), options.seed());
        DataSplit<Example> split = DataSplit.of(all);
        List<Example> train = split.train();
        List<Example> validation = split.validation();
        List<Example> test = split.test();

        SequenceModel model = SequenceModel.initialize(architecture(vocabulary.size(), options.hidden()),
                options.seed());
        TrainerConfig config = new TrainerConfig(options.epochs(), OptimizerConfig.Adam.defaults(),
                LearningRateSchedule.constant(options.learningRate()), GradientClipping.byGlobalNorm(5.0),
                options.seed(), new EarlyStopping(Metrics.ACCURACY, false, 4));
        Trainer<LabeledBatch> trainer = new Trainer<>(new SequenceObjective(model), config);
        if (options.progress()) {
            trainer.addListener(new ProgressBarListener(System.err, "seq"))
                    .addListener(new ConsoleReporter(System.out, "seq"));
        }
        if (options.runDirectory() != null) {
            trainer.addListener(new CsvMetricsWriter(options.runDirectory()))
                    .addListener(new CurveChartWriter(options.runDirectory(), Metrics.ACCURACY));
        }
        int epochs = trainer.fit(BatchSource.shuffled(train, 32, b -> batch(vocabulary, b)),
                BatchSource.inOrder(validation, 128, b -> batch(vocabulary, b))).epochsRun();

        double accuracy = accuracy(model, vocabulary, test);
        double negation = accuracy(model, vocabulary, test.stream().filter(e -> e.words().contains("not")).toList());
        double contrast = accuracy(model, vocabulary, test.stream().filter(e -> e.words().contains("but")).toList());
        return new Result(accuracy, negation, contrast, test.size(), epochs);
    }

    static LabeledBatch batch(WordVocabulary vocabulary, List<Example> examples) {
        int[][] tokens = new int[examples.size()][];
        int[] labels = new int[examples.size()];
        for (int b = 0; b < examples.size(); b++) {
            tokens[b] = vocabulary.encode(examples.get(b).words(), "sentence " + b);
            labels[b] = examples.get(b).label();
        }
        return LabeledBatch.perSequence(SequenceBatch.tokens(tokens), labels);
    }

    static double accuracy(SequenceModel model, WordVocabulary vocabulary, List<Example> examples) {
        LabeledBatch batch = batch(vocabulary, examples);
        long[] predicted = model.forward(batch.input()).output().argMax(1).toLongVector();
        int correct = 0;
        for (int b = 0; b < predicted.length; b++) {
            correct += predicted[b] == batch.sequenceClasses()[b] ? 1 : 0;
        }
        return (double) correct / predicted.length;
    }
}
