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
        System.exit(run(args));
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
            subcommands = {Cli.TrainCharLm.class, Cli.TrainHello.class})
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
