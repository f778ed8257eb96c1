package dev.recurrent4j.examples;

import dev.recurrent4j.model.TokenSampler;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command-line tool: {@code train} (the scenarios), {@code generate} (sample a trained character model),
 * {@code evaluate}, {@code import-torch} and {@code bench}, over the same API the examples use. Bad arguments get a
 * one-line message and exit code 2 before any work starts.
 *
 * <pre>
 * ./mvnw -q -pl examples -am -DskipTests package exec:java -Dexec.mainClass=dev.recurrent4j.examples.Cli \
 *     -Dexec.args="train char-lm"
 * </pre>
 */
@Command(name = "recurrent4j", mixinStandardHelpOptions = true, version = "recurrent4j 0.1.0",
        description = "Train, sample, evaluate, import and benchmark recurrent networks on the JVM.",
        subcommands = {Cli.Train.class, Cli.Generate.class, Cli.Evaluate.class, ImportTorchCommand.class,
                BenchCommand.class, Cli.Demo.class})
public final class Cli {

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the tool; the exit code (0 ok, 2 bad input, 1 failure). */
    public static int run(String... args) {
        CommandLine line = new CommandLine(new Cli());
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return line.execute(args);
    }

    @Command(name = "train", description = "Train one of the scenarios and report what it learned.",
            subcommands = {Cli.TrainCharLm.class, Cli.TrainHello.class, Cli.TrainForecast.class, Cli.TrainSentiment.class,
                Cli.TrainTagging.class, Cli.TrainDates.class, Cli.TrainVanishing.class})
    static final class Train implements Callable<Integer> {
        @Override
        public Integer call() {
            CommandLine.usage(this, System.out);
            return 0;
        }
    }

    @Command(name = "char-lm", description = "Scenario 1: a character LSTM on a text (default: the bundled"
            + " Coriolanus excerpt) with truncated BPTT; perplexity, checkpoint, samples.")
    static final class TrainCharLm implements Callable<Integer> {
        @Option(names = "--text", description = "a UTF-8 text file (default: the bundled text)")
        Path text;
        @Option(names = "--hidden", defaultValue = "128")
        int hidden;
        @Option(names = "--epochs", defaultValue = "30", description = "at most (early stopping, patience 3)")
        int epochs;
        @Option(names = "--streams", defaultValue = "16", description = "B, parallel streams of the text")
        int streams;
        @Option(names = "--k1", defaultValue = "50", description = "TBPTT: steps forward per segment")
        int k1;
        @Option(names = "--k2", defaultValue = "25", description = "TBPTT: steps backward, at most k1")
        int k2;
        @Option(names = "--lr", defaultValue = "0.004", description = "Adam's learning rate")
        double learningRate;
        @Option(names = "--seed", defaultValue = "42")
        long seed;
        @Option(names = "--run", defaultValue = "runs/char-lm", description = "checkpoints, CSV and PNG curves")
        Path run;
        @CommandLine.Mixin
        SamplingOptions sampling;

        @Override
        public Integer call() {
            CharLanguageModel.Options options = new CharLanguageModel.Options(text, hidden, epochs, streams, k1, k2,
                    learningRate, seed, run, true);
            TokenSampler sampler = sampling.sampler(); // checked before training starts
            CharLanguageModel.Result result = CharLanguageModel.train(options);
            System.out.printf("%nScenario 1 (character LM): validation perplexity %.2f per character after %d epochs"
                    + " (train %.2f; guessing uniformly: %.0f)%n", result.validationPerplexity(), result.epochs(),
                    result.trainPerplexity(), result.uniformPerplexity());
            System.out.println("checkpoint: " + result.checkpoint() + ", curves: " + run.resolve("loss.png") + ", "
                    + run.resolve("epochs.csv"));
            sampling.print(result, sampler);
            return 0;
        }
    }

    @Command(name = "hello", description = "Scenario 1, the classic: a vanilla RNN learns 'hello' over {h,e,l,o}.")
    static final class TrainHello implements Callable<Integer> {
        @Option(names = "--seed", defaultValue = "1")
        long seed;

        @Override
        public Integer call() {
            CharLanguageModel.HelloResult hello = CharLanguageModel.hello(seed);
            System.out.printf("hello: after %d steps (loss %.4f) the RNN predicts \"%s\" for \"hell\", and from"
                    + " \"h\" writes \"%s\"%n", hello.steps(), hello.loss(), hello.predicted(), hello.sampled());
            return 0;
        }
    }

    /** Options every generated-data scenario shares. */
    static class ScenarioOptions {
        @Option(names = "--seed", defaultValue = "42")
        long seed;
        @Option(names = "--run", description = "CSV and PNG curves go here (default: runs/<scenario>)")
        Path run;

        Path run(String scenario) {
            return run != null ? run : Path.of("runs", scenario);
        }
    }

    @Command(name = "forecast", description = "Scenario 4: LSTM one-step-ahead forecast of the monthly airline"
            + " passengers (1949-1960), test 1959-1960, against the naive 'repeat the last value'.")
    static final class TrainForecast implements Callable<Integer> {
        @Option(names = "--csv", description = "your own 'label,value' series instead (header line, >= 48 rows)")
        Path csv;
        @Option(names = "--hidden", defaultValue = "32")
        int hidden;
        @Option(names = "--epochs", defaultValue = "300")
        int epochs;
        @Option(names = "--lr", defaultValue = "0.01")
        double learningRate;
        @CommandLine.Mixin
        ScenarioOptions common;

        @Override
        public Integer call() {
            Forecasting.Result r = Forecasting.run(new Forecasting.Options(csv, hidden, epochs, learningRate,
                    common.seed, common.run("forecast"), true));
            System.out.println("\nmonth  actual  forecast");
            for (int k = 0; k < r.testMonths(); k++) {
                System.out.printf("%5d  %6.0f  %8.1f%n", k + 1, r.actual()[k], r.forecast()[k]);
            }
            System.out.printf("%nScenario 4 (forecasting): test RMSE %.2f vs naive %.2f, %.1f%% lower (MAE %.2f vs"
                    + " %.2f) over %d held-out months, %d epochs%n", r.modelRmse(), r.naiveRmse(),
                    r.improvementPercent(), r.modelMae(), r.naiveMae(), r.testMonths(), r.epochs());
            return 0;
        }
    }

    @Command(name = "sentiment", description = "Scenario 2: BiLSTM many-to-one sentiment classification of"
            + " generated sentences with negation and contrast.")
    static final class TrainSentiment implements Callable<Integer> {
        @Option(names = "--examples", defaultValue = "3000")
        int examples;
        @Option(names = "--hidden", defaultValue = "32")
        int hidden;
        @Option(names = "--epochs", defaultValue = "12")
        int epochs;
        @Option(names = "--lr", defaultValue = "0.01")
        double learningRate;
        @CommandLine.Mixin
        ScenarioOptions common;

        @Override
        public Integer call() {
            SentimentClassification.Result r = SentimentClassification.run(new SentimentClassification.Options(
                    examples, hidden, epochs, learningRate, common.seed, common.run("sentiment"), true));
            System.out.printf("%nScenario 2 (classification): test accuracy %.3f on %d held-out sentences (negated"
                    + " %.3f, with 'but' %.3f), %d epochs%n", r.testAccuracy(), r.testSize(), r.negationAccuracy(),
                    r.contrastAccuracy(), r.epochs());
            return 0;
        }
    }

    @Command(name = "tagging", description = "Scenario 3: BiLSTM per-step BIO entity tagging of generated"
            + " sentences, with names only the context disambiguates.")
    static final class TrainTagging implements Callable<Integer> {
        @Option(names = "--examples", defaultValue = "2000")
        int examples;
        @Option(names = "--hidden", defaultValue = "32")
        int hidden;
        @Option(names = "--epochs", defaultValue = "10")
        int epochs;
        @Option(names = "--lr", defaultValue = "0.01")
        double learningRate;
        @CommandLine.Mixin
        ScenarioOptions common;

        @Override
        public Integer call() {
            EntityTagging.Result r = EntityTagging.run(new EntityTagging.Options(examples, hidden, epochs,
                    learningRate, common.seed, common.run("tagging"), true));
            System.out.printf("%nScenario 3 (tagging): token accuracy %.3f (inside entities %.3f, ambiguous names"
                    + " %.3f), sentences all right %.3f, on %d held-out sentences, %d epochs%n", r.tokenAccuracy(),
                    r.entityTokenAccuracy(), r.ambiguousAccuracy(), r.sentenceAccuracy(), r.testSentences(),
                    r.epochs());
            return 0;
        }
    }

    @Command(name = "dates", description = "Scenario 5: LSTM encoder-decoder translating dates for people into"
            + " ISO 8601; exact match on held-out dates.")
    static final class TrainDates implements Callable<Integer> {
        @Option(names = "--examples", defaultValue = "4000")
        int examples;
        @Option(names = "--hidden", defaultValue = "64")
        int hidden;
        @Option(names = "--epochs", defaultValue = "12")
        int epochs;
        @Option(names = "--lr", defaultValue = "0.01")
        double learningRate;
        @CommandLine.Mixin
        ScenarioOptions common;

        @Override
        public Integer call() {
            DateTranslation.Result r = DateTranslation.run(new DateTranslation.Options(examples, hidden, epochs,
                    learningRate, common.seed, common.run("dates"), true));
            System.out.println();
            r.samples().forEach(System.out::println);
            System.out.printf("%nScenario 5 (seq2seq): exact match %.3f greedy on %d held-out dates (beam 3: %.3f on"
                    + " the first 100), %d epochs%n", r.exactMatch(), r.testSize(), r.beamExactMatch(), r.epochs());
            return 0;
        }
    }

    @Command(name = "vanishing", description = "Scenario 6: the adding problem with a vanilla RNN and an LSTM, and"
            + " the gradient norm reaching each step back through time (PNG and CSV).")
    static final class TrainVanishing implements Callable<Integer> {
        @Option(names = "--steps", defaultValue = "50", description = "T")
        int steps;
        @Option(names = "--hidden", defaultValue = "32")
        int hidden;
        @Option(names = "--epochs", defaultValue = "20")
        int epochs;
        @Option(names = "--batches", defaultValue = "100", description = "batches of 32 per epoch")
        int batches;
        @Option(names = "--lr", defaultValue = "0.005")
        double learningRate;
        @CommandLine.Mixin
        ScenarioOptions common;

        @Override
        public Integer call() {
            VanishingGradients.Result r = VanishingGradients.run(new VanishingGradients.Options(steps, hidden, epochs,
                    batches, learningRate, common.seed, common.run("vanishing"), true));
            System.out.printf("%nScenario 6 (vanishing gradients), adding problem T=%d: validation MSE vanilla RNN"
                    + " %.4f, LSTM %.4f (predicting the mean: %.4f)%n", steps, r.rnn().validationMse(),
                    r.lstm().validationMse(), r.baselineMse());
            System.out.printf("gradient reaching t=0, relative to t=T-1: vanilla RNN %.2e, LSTM %.2e; plot %s%n",
                    r.rnn().firstToLastRatio(), r.lstm().firstToLastRatio(), r.plot());
            return 0;
        }
    }

    /** Sampling options shared by {@code train char-lm} and {@code generate}. */
    static final class SamplingOptions {
        @Option(names = "--prefix", defaultValue = "MENENIUS:\\n", description = "where samples start ('\\n' is a"
                + " newline)")
        String prefix;
        @Option(names = "--length", defaultValue = "300")
        int length;
        @Option(names = "--temperature", defaultValue = "0.8", description = "0 for greedy")
        double temperature;
        @Option(names = "--top-k", defaultValue = "0", description = "0 keeps all")
        int topK;
        @Option(names = "--top-p", defaultValue = "0.95")
        double topP;
        @Option(names = "--samples", defaultValue = "2")
        int samples;
        @Option(names = "--sample-seed", defaultValue = "7")
        long sampleSeed;

        TokenSampler sampler() {
            if (length < 1 || samples < 0) {
                throw new IllegalArgumentException("--length and --samples: expected at least 1 and 0 but were "
                        + length + " and " + samples);
            }
            return new TokenSampler(temperature, topK, topP);
        }

        String prefix() {
            return prefix.replace("\\n", "\n");
        }

        void print(CharLanguageModel.Result result, TokenSampler sampler) {
            for (int k = 0; k < samples; k++) {
                System.out.printf("%n--- sample %d (temperature %s, top-k %d, top-p %s) ---%n%s%n", k + 1,
                        temperature, topK, topP, CharLanguageModel.generate(result.model(), result.vocabulary(),
                                prefix(), length, sampler, sampleSeed + k));
            }
        }
    }

    @Command(name = "generate", description = "Sample text from a trained character model's checkpoint.")
    static final class Generate implements Callable<Integer> {
        @Option(names = "--checkpoint", defaultValue = "runs/char-lm/checkpoints",
                description = "a checkpoint directory, or a root with a 'latest' file")
        Path checkpoint;
        @CommandLine.Mixin
        SamplingOptions sampling;

        @Override
        public Integer call() throws Exception {
            TokenSampler sampler = sampling.sampler();
            CharLanguageModel.Result loaded = CharLanguageModel.load(checkpoint);
            sampling.print(loaded, sampler);
            return 0;
        }
    }

    @Command(name = "evaluate", description = "Perplexity of a trained character model on a text.")
    static final class Evaluate implements Callable<Integer> {
        @Option(names = "--checkpoint", defaultValue = "runs/char-lm/checkpoints")
        Path checkpoint;
        @Option(names = "--text", description = "a UTF-8 text file (default: the bundled text's held-out 10%)")
        Path text;

        @Override
        public Integer call() throws Exception {
            CharLanguageModel.Result loaded = CharLanguageModel.load(checkpoint);
            String corpus = CharLanguageModel.readText(text);
            if (text == null) {
                corpus = corpus.substring((int) (corpus.length() * 0.9));
            }
            double perplexity = CharLanguageModel.perplexity(loaded.model(), loaded.vocabulary(), corpus);
            System.out.printf("perplexity %.3f per character on %d characters (%s)%n", perplexity, corpus.length(),
                    text == null ? "the bundled text's held-out 10%" : text);
            return 0;
        }
    }

    @Command(name = "demo", description = "Train the character model on the bundled text for a short while, then"
            + " sample from it: the README's demo.")
    static final class Demo implements Callable<Integer> {
        @Option(names = "--epochs", defaultValue = "12")
        int epochs;

        @Override
        public Integer call() {
            return run("train", "char-lm", "--epochs", String.valueOf(epochs), "--hidden", "96", "--lr", "0.006",
                    "--run", "runs/demo", "--samples", "2", "--length", "240");
        }
    }

}
