package dev.recurrent4j.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import dev.recurrent4j.testing.TensorAssert;
import dev.recurrent4j.testing.TestTensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Generation: sampling options do what they say, seeded; beam search finds the exhaustive optimum. */
class GeneratorTest {
    private static final int V = 5;

    /** A float64 GRU decoder over a one-hot vocabulary of V tokens with a linear head back to V logits. */
    private static InferenceModel decoder(long seed) {
        Random random = new Random(seed);
        RecurrentNetwork net = RecurrentNetwork.initialize(RecurrentConfig.of(CellType.GRU, V, 8)
                .withDataType(DataType.DOUBLE), seed);
        return InferenceModel.of(net, LinearHead.of(TestTensors.normal(random, DataType.DOUBLE, 2.0, V, 8),
                TestTensors.normal(random, DataType.DOUBLE, 0.5, V)));
    }

    private final InferenceModel model = decoder(3);
    private final Generator generator = new Generator(model, TokenEncoder.oneHot(V));

    @Test
    void greedyTakesTheArgmaxAndTheStreamConsumesWhatItGenerated() {
        Stream stream = model.openStream();
        int[] tokens = generator.generate(stream, new int[] {1, 2}, 6, Sampling.greedy(), -1);
        assertEquals(6, tokens.length);
        Stream check = model.openStream();
        double[] x = new double[V];
        double[] logits = null;
        for (int token : new int[] {1, 2}) {
            x = oneHot(token);
            logits = check.step(x);
        }
        for (int token : tokens) {
            assertEquals(argmax(logits), token);
            logits = check.step(oneHot(token));
        }
        assertEquals(8, stream.steps());
        TensorAssert.assertSameBits("state", check.state().h(), stream.state().h());
    }

    @Test
    void samplingIsSeededAndRespectsTopKAndTopP() {
        Sampling sampling = Sampling.temperature(1.5, 42);
        int[] a = generator.generate(model.openStream(), new int[] {0}, 30, sampling, -1);
        int[] b = generator.generate(model.openStream(), new int[] {0}, 30, sampling, -1);
        int[] c = generator.generate(model.openStream(), new int[] {0}, 30, Sampling.temperature(1.5, 43), -1);
        assertArrayEquals(a, b);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));

        int[] greedy = generator.generate(model.openStream(), new int[] {0}, 20, Sampling.greedy(), -1);
        assertArrayEquals(greedy, generator.generate(model.openStream(), new int[] {0}, 20,
                Sampling.temperature(3.0, 7).withTopK(1), -1));
        assertArrayEquals(greedy, generator.generate(model.openStream(), new int[] {0}, 20,
                Sampling.temperature(3.0, 7).withTopP(1e-9), -1));

        // one step's distribution: frequencies match softmax(logits / T) restricted to the top 2, renormalised
        double[] logits = model.openStream().step(oneHot(0));
        Integer[] order = {0, 1, 2, 3, 4};
        java.util.Arrays.sort(order, (p, q) -> Double.compare(logits[q], logits[p]));
        double w0 = Math.exp(logits[order[0]] / 2.0);
        double w1 = Math.exp(logits[order[1]] / 2.0);
        Generator.Sampler sampler = new Generator.Sampler(Sampling.temperature(2.0, 5).withTopK(2), V);
        int[] counts = new int[V];
        int draws = 20000;
        for (int k = 0; k < draws; k++) {
            counts[sampler.next(logits)]++;
        }
        assertEquals(draws, counts[order[0]] + counts[order[1]], "only the top 2 are ever drawn");
        double expected = w0 / (w0 + w1);
        assertEquals(expected, counts[order[0]] / (double) draws, 0.015);

        // top-p 0.5 over the full distribution keeps the smallest most-likely prefix reaching 0.5
        double[] p = softmax(logits, 1.0);
        double cumulative = 0;
        int nucleus = 0;
        while (cumulative < 0.5) {
            cumulative += p[order[nucleus++]];
        }
        Generator.Sampler nucleusSampler = new Generator.Sampler(Sampling.temperature(1.0, 6).withTopP(0.5), V);
        java.util.Set<Integer> allowed = new java.util.HashSet<>();
        for (int k = 0; k < nucleus; k++) {
            allowed.add(order[k]);
        }
        for (int k = 0; k < 2000; k++) {
            assertTrue(allowed.contains(nucleusSampler.next(logits)));
        }
    }

    @Test
    void stopTokenEndsGeneration() {
        int[] greedy = generator.generate(model.openStream(), new int[] {0}, 10, Sampling.greedy(), -1);
        int stop = greedy[2];
        int[] stopped = generator.generate(model.openStream(), new int[] {0}, 10, Sampling.greedy(), stop);
        int first = 0;
        while (greedy[first] != stop) {
            first++;
        }
        assertArrayEquals(java.util.Arrays.copyOf(greedy, first + 1), stopped);
    }

    /** Width V^2 over 3 tokens with no end token is exhaustive: it must find the most likely of all V^3. */
    @Test
    void beamSearchFindsTheExhaustiveOptimumAndWidthOneIsGreedy() {
        int[] prompt = {4, 1};
        double bestLogP = Double.NEGATIVE_INFINITY;
        int[] bestTokens = null;
        for (int s = 0; s < V * V * V; s++) {
            int[] tokens = {s / (V * V), (s / V) % V, s % V};
            Stream stream = model.openStream();
            double[] logits = null;
            for (int token : prompt) {
                logits = stream.step(oneHot(token));
            }
            double logP = 0;
            for (int token : tokens) {
                logP += Generator.logSoftmax(logits)[token];
                logits = stream.step(oneHot(token));
            }
            if (logP > bestLogP) {
                bestLogP = logP;
                bestTokens = tokens;
            }
        }
        Stream stream = model.openStream();
        List<Beam> beams = generator.beamSearch(stream, prompt, V * V, 3, -1, 0.0);
        assertArrayEquals(bestTokens, beams.get(0).tokens());
        assertEquals(bestLogP, beams.get(0).logProbability(), 1e-9);
        for (int k = 1; k < beams.size(); k++) {
            assertTrue(beams.get(k).score() <= beams.get(k - 1).score());
        }
        assertEquals(5, stream.steps(), "the stream went on along the best beam");

        int[] greedy = generator.generate(model.openStream(), prompt, 4, Sampling.greedy(), -1);
        assertArrayEquals(greedy, generator.beamSearch(model.openStream(), prompt, 1, 4, -1, 0.0).get(0).tokens());
    }

    /** Eight conversations generating at once through one batcher get what each gets alone. */
    @Test
    void generationThroughTheBatcherEqualsGenerationAlone() throws Exception {
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, ContinuousBatcher.Options.of(8))) {
            List<CompletableFuture<int[]>> futures = new ArrayList<>();
            List<int[]> expected = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                Sampling sampling = Sampling.temperature(1.0, k).withTopK(3);
                int[] prompt = {k % V, (k + 1) % V};
                expected.add(generator.generate(model.openStream(), prompt, 12, sampling, -1));
                futures.add(generator.generate(batcher, model.openStream(), prompt, 12, sampling, -1));
            }
            for (int k = 0; k < 8; k++) {
                assertArrayEquals(expected.get(k), futures.get(k).get(30, TimeUnit.SECONDS), "conversation " + k);
            }
            assertTrue(batcher.stats().meanBatch() > 1.0, "mean batch " + batcher.stats().meanBatch());
        }
    }

    private static double[] oneHot(int token) {
        double[] x = new double[V];
        x[token] = 1;
        return x;
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int k = 1; k < v.length; k++) {
            if (v[k] > v[best]) {
                best = k;
            }
        }
        return best;
    }

    private static double[] softmax(double[] logits, double temperature) {
        double[] p = new double[logits.length];
        double sum = 0;
        for (int k = 0; k < p.length; k++) {
            p[k] = Math.exp(logits[k] / temperature);
            sum += p[k];
        }
        for (int k = 0; k < p.length; k++) {
            p[k] /= sum;
        }
        return p;
    }
}
