package dev.recurrent4j.examples;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.EncoderDecoder;
import dev.recurrent4j.model.EncoderDecoderConfig;
import dev.recurrent4j.model.HeadKind;
import dev.recurrent4j.model.InputEncoding;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.SequenceBatch;
import dev.recurrent4j.model.SequenceModelConfig;
import dev.recurrent4j.train.BatchSource;
import dev.recurrent4j.train.ConsoleReporter;
import dev.recurrent4j.train.CsvMetricsWriter;
import dev.recurrent4j.train.CurveChartWriter;
import dev.recurrent4j.train.EarlyStopping;
import dev.recurrent4j.train.GradientClipping;
import dev.recurrent4j.train.LearningRateSchedule;
import dev.recurrent4j.train.Metrics;
import dev.recurrent4j.train.OptimizerConfig;
import dev.recurrent4j.train.ProgressBarListener;
import dev.recurrent4j.train.Seq2SeqBatch;
import dev.recurrent4j.train.Seq2SeqObjective;
import dev.recurrent4j.train.Trainer;
import dev.recurrent4j.train.TrainerConfig;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Scenario 5: sequence to sequence, a character-level encoder–decoder (LSTM, no attention) that translates dates
 * written for people ("march 5, 1994", "5 mar 1994", "saturday 5 march 1994") into ISO 8601 ("1994-03-05").
 * Trained with teacher forcing; measured by exact match of greedy decoding on held-out dates, never seen in
 * training. The data is generated from a seed (dates between 1950 and 2049).
 */
public final class DateTranslation {
    static final String SOURCE_SYMBOLS = " ,0123456789abcdefghijklmnopqrstuvwxyz";
    /** Target ids: 0..9 digits, 10 '-', 11 start, 12 end. */
    static final String TARGET_SYMBOLS = "0123456789-";
    static final int START = 11;
    static final int END = 12;
    static final int TARGET_VOCABULARY = 13;
    private static final String[] FORMATS = {"%1$s %2$d, %3$d", "%2$d %1$s %3$d", "%4$s %2$d %3$d",
        "%5$s %2$d %1$s %3$d", "%2$d %4$s, %3$d"};

    private DateTranslation() {}

    public record Example(String source, String target) {}

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
            return new Options(4000, 64, 12, 0.01, 42, Path.of("runs", "dates"), true);
        }
    }

    /**
     * @param exactMatch the fraction of held-out dates whose greedy decoding is exactly right
     * @param samples a few held-out sources with their greedy and beam-search (width 3) translations
     */
    public record Result(double exactMatch, double beamExactMatch, int testSize, int epochs, List<String> samples) {}

    public static List<Example> generate(int count, long seed) {
        Random random = new Random(seed);
        Set<String> seen = new LinkedHashSet<>();
        List<Example> examples = new ArrayList<>();
        LocalDate first = LocalDate.of(1950, 1, 1);
        while (examples.size() < count) {
            LocalDate date = first.plusDays(random.nextInt(36525));
            String month = date.getMonth().getDisplayName(java.time.format.TextStyle.FULL, Locale.ENGLISH)
                    .toLowerCase(Locale.ROOT);
            String day = date.getDayOfWeek().getDisplayName(java.time.format.TextStyle.FULL, Locale.ENGLISH)
                    .toLowerCase(Locale.ROOT);
            String source = String.format(FORMATS[random.nextInt(FORMATS.length)], month, date.getDayOfMonth(),
                    date.getYear(), month.substring(0, 3), day);
            if (seen.add(source)) {
                examples.add(new Example(source, date.toString()));
            }
        }
        return examples;
    }

    public static EncoderDecoderConfig architecture(int hidden) {
        SequenceModelConfig decoder = new SequenceModelConfig(InputEncoding.embedding(TARGET_VOCABULARY, 16),
                RecurrentConfig.of(CellType.LSTM, 16, hidden), HeadKind.PER_STEP, TARGET_VOCABULARY);
        return EncoderDecoderConfig.sequenceToSequence(InputEncoding.embedding(SOURCE_SYMBOLS.length(), 16),
                RecurrentConfig.of(CellType.LSTM, 16, hidden), decoder);
    }

    public static Result run(Options options) {
        List<Example> all = generate(options.examples(), options.seed());
        int trainSize = (int) (all.size() * 0.8);
        int validationSize = (int) (all.size() * 0.1);
        List<Example> train = all.subList(0, trainSize);
        List<Example> validation = all.subList(trainSize, trainSize + validationSize);
        List<Example> test = all.subList(trainSize + validationSize, all.size());

        EncoderDecoder model = EncoderDecoder.initialize(architecture(options.hidden()), options.seed());
        TrainerConfig config = new TrainerConfig(options.epochs(), OptimizerConfig.Adam.defaults(),
                LearningRateSchedule.constant(options.learningRate()), GradientClipping.byGlobalNorm(5.0),
                options.seed(), EarlyStopping.onLoss(4));
        Trainer<Seq2SeqBatch> trainer = new Trainer<>(new Seq2SeqObjective(model), config);
        if (options.progress()) {
            trainer.addListener(new ProgressBarListener()).addListener(new ConsoleReporter());
        }
        if (options.runDirectory() != null) {
            trainer.addListener(new CsvMetricsWriter(options.runDirectory()))
                    .addListener(new CurveChartWriter(options.runDirectory(), Metrics.ACCURACY));
        }
        int epochs = trainer.fit(BatchSource.shuffled(train, 64, DateTranslation::batch),
                BatchSource.inOrder(validation, 200, DateTranslation::batch)).epochsRun();

        int right = 0;
        int[][] decoded = model.greedyDecode(sources(test), START, END, 12);
        for (int k = 0; k < test.size(); k++) {
            right += decode(decoded[k]).equals(test.get(k).target()) ? 1 : 0;
        }
        List<String> samples = new ArrayList<>();
        int beamRight = 0;
        int beamCount = Math.min(100, test.size());
        for (int k = 0; k < beamCount; k++) {
            String beam = decode(model.beamSearch(sources(test.subList(k, k + 1)), START, END, 3, 12).get(0).tokens());
            beamRight += beam.equals(test.get(k).target()) ? 1 : 0;
            if (k < 5) {
                samples.add(String.format("%-28s -> %s (greedy), %s (beam 3), expected %s", "\"" + test.get(k).source()
                        + "\"", decode(decoded[k]), beam, test.get(k).target()));
            }
        }
        return new Result((double) right / test.size(), (double) beamRight / beamCount, test.size(), epochs,
                samples);
    }

    static Seq2SeqBatch batch(List<Example> examples) {
        List<int[]> outputs = new ArrayList<>();
        for (Example e : examples) {
            outputs.add(encodeTarget(e.target()));
        }
        return Seq2SeqBatch.of(sources(examples), outputs, START, END);
    }

    static SequenceBatch sources(List<Example> examples) {
        int[][] tokens = new int[examples.size()][];
        for (int b = 0; b < examples.size(); b++) {
            tokens[b] = encodeSource(examples.get(b).source());
        }
        return SequenceBatch.tokens(tokens);
    }

    /** @throws IllegalArgumentException for a character outside lower-case letters, digits, space and comma */
    public static int[] encodeSource(String text) {
        int[] ids = new int[text.length()];
        for (int k = 0; k < ids.length; k++) {
            ids[k] = SOURCE_SYMBOLS.indexOf(text.charAt(k));
            if (ids[k] < 0) {
                throw new IllegalArgumentException("source: expected lower-case letters, digits, space or comma but"
                        + " character " + k + " of \"" + text + "\" is '" + text.charAt(k) + "'");
            }
        }
        return ids;
    }

    static int[] encodeTarget(String iso) {
        return iso.chars().map(TARGET_SYMBOLS::indexOf).toArray();
    }

    static String decode(int[] ids) {
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            text.append(id < TARGET_SYMBOLS.length() ? TARGET_SYMBOLS.charAt(id) : '?');
        }
        return text.toString();
    }

    /** Translates one date with a trained model (greedy). */
    public static String translate(EncoderDecoder model, String source) {
        return decode(model.greedyDecode(SequenceBatch.tokens(encodeSource(source)), START, END, 12)[0]);
    }
}
