package dev.recurrent4j.infer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

/**
 * Token generation over streams, for decoder models: a {@link TokenEncoder} turns ids into inputs, the model's
 * {@link OutputHead} turns outputs into logits over the same V ids.
 *
 * <ul>
 *   <li>{@link #generate(Stream, int[], int, Sampling, int)}: greedy, temperature, top-k and top-p sampling (seeded),
 *       stepping in the calling thread;</li>
 *   <li>{@link #generate(ContinuousBatcher, Stream, int[], int, Sampling, int)}: the same through a batcher, so that
 *       many conversations generating at once share batched steps;</li>
 *   <li>{@link #beamSearch}: the most likely continuations, all beams stepped together as one batch.</li>
 * </ul>
 * Every method feeds the prompt first and leaves the stream having consumed the prompt and every generated token, so
 * a conversation goes on from there. Immutable and thread-safe; each call works on its own stream.
 */
public final class Generator {
    private final InferenceModel model;
    private final TokenEncoder encoder;

    /**
     * @throws IllegalArgumentException if the model has no head, the head's O differs from the encoder's V, or the
     *     encoder's I from the network's
     */
    public Generator(InferenceModel model, TokenEncoder encoder) {
        if (model == null || encoder == null) {
            throw new IllegalArgumentException("model and encoder: expected non-null values");
        }
        if (model.head().isEmpty()) {
            throw new IllegalArgumentException("model: expected a head producing logits over the vocabulary");
        }
        if (model.outputSize() != encoder.vocabularySize()) {
            throw new IllegalArgumentException("head: expected O = V = " + encoder.vocabularySize()
                    + " logits but was " + model.outputSize());
        }
        if (encoder.inputSize() != model.config().inputSize()) {
            throw new IllegalArgumentException("encoder: expected inputs of I=" + model.config().inputSize()
                    + " but was " + encoder.inputSize());
        }
        this.model = model;
        this.encoder = encoder;
    }

    /**
     * Generates up to {@code maxTokens} tokens after {@code prompt}, stepping in the calling thread.
     *
     * @param prompt at least one token id
     * @param stopToken generation ends after this id (it is returned), or {@code -1} for none
     * @return the generated ids
     */
    public int[] generate(Stream stream, int[] prompt, int maxTokens, Sampling sampling, int stopToken) {
        checkPrompt(prompt, maxTokens);
        double[] x = new double[encoder.inputSize()];
        double[] logits = new double[model.outputSize()];
        for (int token : prompt) {
            encoder.encode(token, x);
            stream.step(x, logits);
        }
        Sampler sampler = new Sampler(sampling, logits.length);
        int[] tokens = new int[maxTokens];
        int count = 0;
        while (count < maxTokens) {
            int token = sampler.next(logits);
            tokens[count++] = token;
            encoder.encode(token, x);
            stream.step(x, logits); // the stream consumes what it generated
            if (token == stopToken) {
                break;
            }
        }
        return Arrays.copyOf(tokens, count);
    }

    /**
     * {@link #generate(Stream, int[], int, Sampling, int)} through a batcher: every step is a batcher submission
     * (the prompt is one submission of its length), so concurrent generations share batched steps. Sampling runs
     * in the common fork-join pool, not in the batcher's worker. The batcher's default timeout applies to each step.
     */
    public CompletableFuture<int[]> generate(ContinuousBatcher batcher, Stream stream, int[] prompt, int maxTokens,
            Sampling sampling, int stopToken) {
        checkPrompt(prompt, maxTokens);
        int inputSize = encoder.inputSize();
        double[] inputs = new double[prompt.length * inputSize];
        double[] x = new double[inputSize];
        for (int k = 0; k < prompt.length; k++) {
            encoder.encode(prompt[k], x);
            System.arraycopy(x, 0, inputs, k * inputSize, inputSize);
        }
        Sampler sampler = new Sampler(sampling, model.outputSize());
        int[] tokens = new int[maxTokens];
        Duration timeout = batcher.options().timeout();
        return batcher.submit(stream, inputs, prompt.length, false, timeout, logits -> logits)
                .thenComposeAsync(logits -> continueGeneration(batcher, stream, sampler, logits, tokens, 0,
                        stopToken, timeout));
    }

    private CompletableFuture<int[]> continueGeneration(ContinuousBatcher batcher, Stream stream, Sampler sampler,
            double[] logits, int[] tokens, int count, int stopToken, Duration timeout) {
        int token = sampler.next(logits);
        tokens[count] = token;
        int generated = count + 1;
        double[] x = new double[encoder.inputSize()];
        encoder.encode(token, x);
        CompletableFuture<double[]> step = batcher.submit(stream, x, 1, false, timeout, l -> l);
        if (generated == tokens.length || token == stopToken) {
            return step.thenApply(ignored -> Arrays.copyOf(tokens, generated));
        }
        return step.thenComposeAsync(next -> continueGeneration(batcher, stream, sampler, next, tokens, generated,
                stopToken, timeout));
    }

    /**
     * Beam search: keeps the {@code beamWidth} most likely partial continuations, extending all of them by one
     * token per step in one batched step, until {@code beamWidth} have ended with {@code endToken} or
     * {@code maxTokens} tokens are reached. Steps in the calling thread.
     *
     * @param endToken the id that ends a hypothesis, or {@code -1} for none
     * @param lengthPenalty ranks by {@code logProbability / length^lengthPenalty}: 0 for the plain sum, 1 for the
     *     mean
     * @return the best hypotheses, best first, at most {@code beamWidth}; the stream goes on along the first
     */
    public List<Beam> beamSearch(Stream stream, int[] prompt, int beamWidth, int maxTokens, int endToken,
            double lengthPenalty) {
        checkPrompt(prompt, maxTokens);
        if (beamWidth < 1) {
            throw new IllegalArgumentException("beamWidth: expected at least 1 but was " + beamWidth);
        }
        int vocabulary = model.outputSize();
        double[] x = new double[encoder.inputSize()];
        double[] promptLogits = new double[vocabulary];
        for (int token : prompt) {
            encoder.encode(token, x);
            stream.step(x, promptLogits);
        }
        byte[] afterPrompt = stream.snapshot();

        StepExecutor executor = new StepExecutor(model, beamWidth);
        List<Hypothesis> live = new ArrayList<>();
        live.add(new Hypothesis(new int[0], 0.0, copy(stream.h), stream.c == null ? null : copy(stream.c),
                promptLogits));
        List<Beam> finished = new ArrayList<>();
        for (int length = 1; length <= maxTokens && !live.isEmpty() && finished.size() < beamWidth; length++) {
            // every live hypothesis extended by every token, the best beamWidth kept
            int candidates = live.size() * vocabulary;
            double[] scores = new double[candidates];
            for (int i = 0; i < live.size(); i++) {
                double[] logProbabilities = logSoftmax(live.get(i).logits);
                for (int v = 0; v < vocabulary; v++) {
                    scores[i * vocabulary + v] = live.get(i).logProbability + logProbabilities[v];
                }
            }
            int[] best = IntStream.range(0, candidates).boxed()
                    .sorted(Comparator.comparingDouble((Integer k) -> -scores[k]).thenComparingInt(k -> k))
                    .limit(beamWidth).mapToInt(Integer::intValue).toArray();
            List<Hypothesis> extended = new ArrayList<>();
            List<Integer> extendedTokens = new ArrayList<>();
            for (int k : best) {
                Hypothesis parent = live.get(k / vocabulary);
                int token = k % vocabulary;
                int[] tokens = Arrays.copyOf(parent.tokens, parent.tokens.length + 1);
                tokens[tokens.length - 1] = token;
                if (token == endToken || length == maxTokens) {
                    finished.add(new Beam(tokens, scores[k], scores[k] / Math.pow(tokens.length, lengthPenalty)));
                } else {
                    extended.add(new Hypothesis(tokens, scores[k], parent.h, parent.c, null));
                    extendedTokens.add(token);
                }
            }
            int b = extended.size();
            for (int j = 0; j < b; j++) { // one batched step for every surviving hypothesis
                executor.loadState(j, b, extended.get(j).h, extended.get(j).c);
                encoder.encode(extendedTokens.get(j), x);
                executor.loadInput(j, x, 0);
            }
            live = new ArrayList<>();
            if (b > 0) {
                executor.step(b);
                for (int j = 0; j < b; j++) {
                    Hypothesis e = extended.get(j);
                    ByteBuffer h = ByteBuffer.allocate(e.h.capacity()).order(e.h.order());
                    ByteBuffer c = e.c == null ? null : ByteBuffer.allocate(e.c.capacity()).order(e.c.order());
                    executor.storeState(j, b, h, c);
                    double[] logits = new double[vocabulary];
                    executor.readOutput(j, b, logits, 0);
                    live.add(new Hypothesis(e.tokens, e.logProbability, h, c, logits));
                }
            }
        }
        for (Hypothesis h : live) { // stopped early: the live ones compete too
            finished.add(new Beam(h.tokens, h.logProbability,
                    h.logProbability / Math.pow(h.tokens.length, lengthPenalty)));
        }
        finished.sort(Comparator.comparingDouble((Beam beam) -> -beam.score()));
        List<Beam> result = List.copyOf(finished.subList(0, Math.min(beamWidth, finished.size())));

        // the stream goes on along the best hypothesis: the state after the prompt, then its tokens
        StreamSnapshots.restoreInPlace(afterPrompt, stream);
        for (int token : result.get(0).tokens()) {
            encoder.encode(token, x);
            stream.step(x, promptLogits);
        }
        return result;
    }

    private void checkPrompt(int[] prompt, int maxTokens) {
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("prompt: expected at least one token");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens: expected at least 1 but was " + maxTokens);
        }
    }

    private static ByteBuffer copy(ByteBuffer state) {
        ByteBuffer copy = ByteBuffer.allocate(state.capacity()).order(state.order());
        copy.put(0, state, 0, state.capacity());
        return copy;
    }

    static double[] logSoftmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : logits) {
            sum += Math.exp(v - max);
        }
        double logSum = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int v = 0; v < logits.length; v++) {
            out[v] = logits[v] - logSum;
        }
        return out;
    }

    /** A partial continuation: its tokens, log-probability, state after them and the logits for the next token. */
    private record Hypothesis(int[] tokens, double logProbability, ByteBuffer h, ByteBuffer c, double[] logits) {}

    /** Picks tokens from logits by {@link Sampling}, with its own seeded generator and scratch arrays. */
    static final class Sampler {
        private final Sampling sampling;
        private final SplittableRandom random;
        private final Integer[] order;
        private final double[] weights;

        Sampler(Sampling sampling, int vocabulary) {
            this.sampling = sampling;
            this.random = new SplittableRandom(sampling.seed());
            this.order = new Integer[vocabulary];
            this.weights = new double[vocabulary];
        }

        int next(double[] logits) {
            if (sampling.temperature() == 0) {
                int best = 0;
                for (int v = 1; v < logits.length; v++) {
                    if (logits[v] > logits[best]) {
                        best = v;
                    }
                }
                return best;
            }
            for (int v = 0; v < logits.length; v++) {
                order[v] = v;
            }
            Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Double.compare(logits[b], logits[a]) : a - b);
            int kept = sampling.topK() == 0 ? logits.length : Math.min(sampling.topK(), logits.length);
            double max = logits[order[0]];
            double total = 0;
            for (int k = 0; k < kept; k++) {
                weights[k] = Math.exp((logits[order[k]] - max) / sampling.temperature());
                total += weights[k];
            }
            if (sampling.topP() < 1) { // the smallest most-likely prefix whose probability reaches topP
                double cumulative = 0;
                int nucleus = 0;
                while (nucleus < kept && cumulative < sampling.topP() * total) {
                    cumulative += weights[nucleus++];
                }
                kept = Math.max(1, nucleus);
                total = cumulative;
            }
            double u = random.nextDouble() * total;
            for (int k = 0; k < kept; k++) {
                u -= weights[k];
                if (u < 0) {
                    return order[k];
                }
            }
            return order[kept - 1];
        }
    }
}
