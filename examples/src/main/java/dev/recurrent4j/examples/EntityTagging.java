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
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Scenario 3: many-to-many tagging, named-entity style: one BIO label per word (O, B-PER, I-PER, B-LOC, I-LOC,
 * B-ORG, I-ORG) with a bidirectional LSTM and a per-step head.
 *
 * <p>The data is generated from a seed: sentences from templates with people, places and organisations, some of
 * them more than one word ("new york", "acme corp") and some ambiguous, so that only the context tells: "jordan"
 * and "washington" are people in "jordan met ..." and places in "... flew to jordan". The reverse direction is what
 * tags a name from the words after it.
 */
public final class EntityTagging {
    public static final List<String> TAGS = List.of("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG");
    static final String[] PEOPLE = {"alice", "bob", "maria", "chen wei", "jordan", "washington", "omar", "anna lee",
        "paris hilton"};
    static final String[] PLACES = {"paris", "new york", "jordan", "washington", "lagos", "kyoto", "lima",
        "cape town"};
    static final String[] ORGANISATIONS = {"acme corp", "globex", "initech", "the red cross", "umbrella labs"};
    /** Templates: P person, L place, G organisation. */
    static final String[] TEMPLATES = {"P works for G in L", "P flew to L on monday", "G hired P last year",
        "yesterday P met P at the G office", "the G office in L is closed", "P and P visited L",
        "P said that G will open in L", "in L P founded G", "G moved from L to L", "we asked P about L"};

    private EntityTagging() {}

    /** Words and their tag ids. */
    public record Example(List<String> words, int[] tags) {}

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
            return new Options(2000, 32, 10, 0.01, 42, Path.of("runs", "tagging"), true);
        }
    }

    /**
     * @param tokenAccuracy fraction of test words tagged right
     * @param entityTokenAccuracy the same over words inside entities only
     * @param ambiguousAccuracy over "jordan" and "washington" only
     * @param sentenceAccuracy fraction of test sentences with every tag right
     */
    public record Result(double tokenAccuracy, double entityTokenAccuracy, double ambiguousAccuracy,
            double sentenceAccuracy, int testSentences, int epochs) {}

    public static List<Example> generate(int count, long seed) {
        Random random = new Random(seed);
        List<Example> examples = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            List<String> words = new ArrayList<>();
            List<Integer> tags = new ArrayList<>();
            for (String slot : TEMPLATES[random.nextInt(TEMPLATES.length)].split(" ")) {
                switch (slot) {
                    case "P" -> add(PEOPLE[random.nextInt(PEOPLE.length)], "PER", words, tags);
                    case "L" -> add(PLACES[random.nextInt(PLACES.length)], "LOC", words, tags);
                    case "G" -> add(ORGANISATIONS[random.nextInt(ORGANISATIONS.length)], "ORG", words, tags);
                    default -> {
                        words.add(slot);
                        tags.add(0);
                    }
                }
            }
            examples.add(new Example(words, tags.stream().mapToInt(Integer::intValue).toArray()));
        }
        return examples;
    }

    private static void add(String entity, String type, List<String> words, List<Integer> tags) {
        String[] parts = entity.split(" ");
        for (int k = 0; k < parts.length; k++) {
            words.add(parts[k]);
            tags.add(TAGS.indexOf((k == 0 ? "B-" : "I-") + type));
        }
    }

    public static WordVocabulary vocabulary() {
        Set<String> words = new HashSet<>();
        for (String[] list : new String[][] {PEOPLE, PLACES, ORGANISATIONS, TEMPLATES}) {
            for (String phrase : list) {
                for (String word : phrase.split(" ")) {
                    if (!word.equals("P") && !word.equals("L") && !word.equals("G")) {
                        words.add(word);
                    }
                }
            }
        }
        return new WordVocabulary(words);
    }

    public static SequenceModelConfig architecture(int vocabulary, int hidden) {
        return new SequenceModelConfig(InputEncoding.embedding(vocabulary, 16),
                RecurrentConfig.of(CellType.LSTM, 16, hidden).withBidirectional(true), HeadKind.PER_STEP,
                TAGS.size());
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
                options.seed(), new EarlyStopping(Metrics.LOSS, true, 3));
        Trainer<LabeledBatch> trainer = new Trainer<>(new SequenceObjective(model), config);
        if (options.progress()) {
            trainer.addListener(new ProgressBarListener()).addListener(new ConsoleReporter());
        }
        if (options.runDirectory() != null) {
            trainer.addListener(new CsvMetricsWriter(options.runDirectory()))
                    .addListener(new CurveChartWriter(options.runDirectory(), Metrics.ACCURACY));
        }
        int epochs = trainer.fit(BatchSource.shuffled(train, 32, b -> batch(vocabulary, b)),
                BatchSource.inOrder(validation, 128, b -> batch(vocabulary, b))).epochsRun();

        LabeledBatch batch = batch(vocabulary, test);
        INDArray logits = model.forward(batch.input()).output(); // [T, B, tags]
        INDArray predicted = logits.argMax(2); // [T, B]
        int words = 0;
        int right = 0;
        int entityWords = 0;
        int entityRight = 0;
        int ambiguous = 0;
        int ambiguousRight = 0;
        int sentencesRight = 0;
        for (int b = 0; b < test.size(); b++) {
            Example example = test.get(b);
            boolean whole = true;
            for (int t = 0; t < example.tags().length; t++) {
                boolean ok = predicted.getInt(t, b) == example.tags()[t];
                words++;
                right += ok ? 1 : 0;
                whole &= ok;
                if (example.tags()[t] != 0) {
                    entityWords++;
                    entityRight += ok ? 1 : 0;
                }
                String word = example.words().get(t);
                if (word.equals("jordan") || word.equals("washington")) {
                    ambiguous++;
                    ambiguousRight += ok ? 1 : 0;
                }
            }
            sentencesRight += whole ? 1 : 0;
        }
        return new Result((double) right / words, (double) entityRight / entityWords,
                (double) ambiguousRight / Math.max(ambiguous, 1), (double) sentencesRight / test.size(), test.size(),
                epochs);
    }

    static LabeledBatch batch(WordVocabulary vocabulary, List<Example> examples) {
        int[][] tokens = new int[examples.size()][];
        int[][] tags = new int[examples.size()][];
        for (int b = 0; b < examples.size(); b++) {
            tokens[b] = vocabulary.encode(examples.get(b).words(), "sentence " + b);
            tags[b] = examples.get(b).tags();
        }
        return LabeledBatch.perStep(SequenceBatch.tokens(tokens), tags);
    }
}
