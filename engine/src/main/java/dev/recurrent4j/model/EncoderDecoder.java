package dev.recurrent4j.model;

import dev.recurrent4j.model.layer.Linear;
import dev.recurrent4j.tensor.NativeBuffer;
import dev.recurrent4j.tensor.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * An encoder–decoder: a source (a sequence, or a fixed vector) initialises the state of a token decoder, which
 * produces the output sequence one token at a time. In training the decoder reads the reference output shifted by
 * one (teacher forcing); in use, its own previous output (greedy or beam-search decoding). See
 * {@link EncoderDecoderConfig} for the two kinds of source. Parameters:
 *
 * <pre>
 * encoder.embedding.weight [V_src, E]   (token source with an embedding)
 * encoder.rnn.weight_ih_l0 ...          (sequence source)
 * bridge.weight [L*H, F], bridge.bias   (vector source)
 * decoder.embedding.weight, decoder.rnn.*, decoder.head.weight, decoder.head.bias
 * </pre>
 *
 * <p>As {@link SequenceModel}, the model reads its parameters live; {@link #fromStateDict} copies them.
 */
public final class EncoderDecoder {
    public static final String ENCODER = "encoder.";
    public static final String DECODER = "decoder.";
    public static final String BRIDGE_WEIGHT = "bridge.weight";
    public static final String BRIDGE_BIAS = "bridge.bias";

    private final EncoderDecoderConfig config;
    private final ModelParameters parameters;
    private final SequenceModel decoder;
    /** The encoder stack over {@code encoder.rnn.*}, or {@code null} for a vector source. */
    private final RecurrentNetwork encoder;
    private final INDArray encoderEmbedding;

    private EncoderDecoder(EncoderDecoderConfig config, ModelParameters parameters) {
        this.config = config;
        this.parameters = parameters;
        Map<String, INDArray> decoderPart = new LinkedHashMap<>();
        parameters.forEach((name, tensor) -> {
            if (name.startsWith(DECODER)) {
                decoderPart.put(name.substring(DECODER.length()), tensor);
            }
        });
        this.decoder = SequenceModel.sharing(config.decoder(), ModelParameters.sharing(decoderPart));
        this.encoder = config.vectorSource() ? null : RecurrentNetwork.sharing(
                SequenceModel.sharedRecurrent(config.encoder(), parameters, ENCODER + SequenceModel.RNN_PREFIX));
        this.encoderEmbedding = config.source().kind() == InputEncoding.Kind.EMBEDDING
                ? parameters.get(ENCODER + SequenceModel.EMBEDDING) : null;
    }

    /** PyTorch-style initialisation from {@code seed} (see {@link SequenceModel#initialize}). */
    public static EncoderDecoder initialize(EncoderDecoderConfig config, long seed) {
        requireConfig(config);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        DataType type = config.decoder().dataType();
        SplittableRandom random = new SplittableRandom(seed * 31 + 7);
        if (config.vectorSource()) {
            long width = (long) config.decoder().recurrent().numLayers() * config.decoder().recurrent().hiddenSize();
            double bound = 1.0 / Math.sqrt(config.source().features());
            tensors.put(BRIDGE_WEIGHT, SequenceModel.uniform(random, type, bound, width, config.source().features()));
            tensors.put(BRIDGE_BIAS, SequenceModel.uniform(random, type, bound, width));
        } else {
            if (config.source().kind() == InputEncoding.Kind.EMBEDDING) {
                tensors.put(ENCODER + SequenceModel.EMBEDDING, SequenceModel.gaussian(random, type,
                        config.source().vocabulary(), config.source().features()));
            }
            RecurrentNetwork.initialize(config.encoder(), seed + 1).parameters().byTorchName()
                    .forEach((name, t) -> tensors.put(ENCODER + SequenceModel.RNN_PREFIX + name, t));
        }
        SequenceModel.initialize(config.decoder(), seed + 2).parameters()
                .forEach((name, t) -> tensors.put(DECODER + name, t));
        return new EncoderDecoder(config, ModelParameters.sharing(tensors));
    }

    /** From a {@code state_dict} with exactly the names of {@link #expectedShapes}; copied. */
    public static EncoderDecoder fromStateDict(EncoderDecoderConfig config, Map<String, INDArray> stateDict) {
        requireConfig(config);
        SequenceModel.checkTensors(expectedShapes(config), stateDict, "stateDict", config.toString(),
                config.decoder().dataType());
        Map<String, INDArray> copies = new LinkedHashMap<>();
        expectedShapes(config).keySet().forEach(name -> copies.put(name, stateDict.get(name).dup('c')));
        return new EncoderDecoder(config, ModelParameters.sharing(copies));
    }

    /** Every parameter name with its shape, in order. */
    public static Map<String, long[]> expectedShapes(EncoderDecoderConfig config) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        if (config.vectorSource()) {
            long width = (long) config.decoder().recurrent().numLayers() * config.decoder().recurrent().hiddenSize();
            shapes.put(BRIDGE_WEIGHT, new long[] {width, config.source().features()});
            shapes.put(BRIDGE_BIAS, new long[] {width});
        } else {
            if (config.source().kind() == InputEncoding.Kind.EMBEDDING) {
                shapes.put(ENCODER + SequenceModel.EMBEDDING,
                        new long[] {config.source().vocabulary(), config.source().features()});
            }
            shapes.putAll(SequenceModel.recurrentShapes(config.encoder(), ENCODER + SequenceModel.RNN_PREFIX));
        }
        SequenceModel.expectedShapes(config.decoder()).forEach((name, shape) -> shapes.put(DECODER + name, shape));
        return shapes;
    }

    public EncoderDecoderConfig config() {
        return config;
    }

    /** The live parameter arrays. */
    public ModelParameters parameters() {
        return parameters;
    }

    /** The decoder, over the same live arrays as {@code decoder.*}. */
    public SequenceModel decoder() {
        return decoder;
    }

    public Map<String, INDArray> toStateDict() {
        return parameters.toStateDict();
    }

    /**
     * What {@link #forward} returns: the decoder's logits and what backward needs. Close it once its backward is
     * done, so that the next forward reuses the memory of the encoder's and decoder's caches
     * ({@link ForwardResult#close()}).
     */
    public static final class Forward implements AutoCloseable {
        private final EncoderDecoder model;
        private final SequenceBatch source;
        private final ForwardResult encoded;
        /** Vector source: {@code [B, F]} the input and {@code [B, L*H]} tanh of the bridge. */
        private final INDArray vector;
        private final INDArray bridged;
        private final ModelForward decoded;

        private Forward(EncoderDecoder model, SequenceBatch source, ForwardResult encoded, INDArray vector,
                INDArray bridged, ModelForward decoded) {
            this.model = model;
            this.source = source;
            this.encoded = encoded;
            this.vector = vector;
            this.bridged = bridged;
            this.decoded = decoded;
        }

        /** {@code [T_out, B, V_out]} the decoder's logits, 0 at padded steps. */
        public INDArray output() {
            return decoded.output();
        }

        /** The decoder's forward. */
        public ModelForward decoder() {
            return decoded;
        }

        /** Hands the encoder's and decoder's cache memory back; backward no longer accepts this result. */
        @Override
        public void close() {
            if (encoded != null) {
                encoded.close();
            }
            decoded.close();
        }
    }

    /**
     * Teacher-forced forward: the source initialises the decoder, which reads {@code decoderInput} (the reference
     * output shifted right by one, starting with a start token).
     *
     * @param source token ids or features {@code [T_src, B, I]}; for a vector source, features {@code [1, B, F]}
     * @param decoderInput B token sequences
     * @throws IllegalArgumentException for input that does not fit, or batches of different B
     */
    public Forward forward(SequenceBatch source, SequenceBatch decoderInput, ForwardOptions options) {
        if (source == null || decoderInput == null) {
            throw new IllegalArgumentException("source and decoderInput: expected batches but "
                    + (source == null ? "source" : "decoderInput") + " was null");
        }
        if (source.batch() != decoderInput.batch()) {
            throw new IllegalArgumentException("decoderInput: expected B=" + source.batch()
                    + " sequences (the source's) but was " + decoderInput.batch());
        }
        ForwardOptions opts = options == null ? ForwardOptions.EVAL : options;
        ForwardResult encoded = null;
        INDArray vector = null;
        INDArray bridged = null;
        RecurrentState initial;
        if (config.vectorSource()) {
            vector = vectorOf(source);
            bridged = Transforms.tanh(Linear.forward(vector, parameters.get(BRIDGE_WEIGHT),
                    parameters.get(BRIDGE_BIAS)), false);
            initial = splitLayers(bridged);
        } else {
            SequenceModel.Encoded x = SequenceModel.encode(config.source(), encoderEmbedding, source,
                    config.decoder().dataType());
            encoded = encoder.forward(x.x(), null, source.lengths(), opts);
            NativeBuffer.free(x.owned()); // the encoder keeps its own copy
            initial = encoded.finalState();
        }
        ModelForward decoded = decoder.forward(decoderInput, initial, opts);
        return new Forward(this, source, encoded, vector, bridged, decoded);
    }

    /**
     * Backpropagation through the decoder, into the encoder (or bridge) through the initial state.
     *
     * @param dOutput {@code [T_out, B, V_out]} dL/d(logits)
     * @return dL/d(each parameter), with this model's names
     */
    public ModelParameters backward(Forward forward, INDArray dOutput) {
        if (forward == null || forward.model != this) {
            throw new IllegalArgumentException("forward: expected the result of this model's forward but was "
                    + (forward == null ? "null" : "the result of another model"));
        }
        ModelParameters gradients = parameters.zerosLike();
        ModelGradients d = decoder.backward(forward.decoded, dOutput, null);
        d.parameters().forEach((name, g) -> gradients.get(DECODER + name).assign(g));
        INDArray dH0 = d.initialState().h();
        if (config.vectorSource()) {
            int batch = (int) forward.vector.size(0);
            INDArray dBridged = dH0.permute(1, 0, 2).dup('c').reshape('c', batch, forward.bridged.size(1));
            // tanh' = 1 - tanh^2
            INDArray dPre = dBridged.muli(forward.bridged.mul(forward.bridged).rsubi(1.0));
            Linear.backward(forward.vector, parameters.get(BRIDGE_WEIGHT), dPre, gradients.get(BRIDGE_WEIGHT),
                    gradients.get(BRIDGE_BIAS));
        } else {
            Gradients e = encoder.backward(forward.encoded, null, d.initialState());
            e.byTorchName().forEach((name, g) -> gradients.get(ENCODER + SequenceModel.RNN_PREFIX + name).assign(g));
            SequenceModel.encodeBackward(config.source(), e.input(),
                    config.source().takesTokens() ? forward.source.timeMajorIds() : null,
                    encoderEmbedding == null ? null : gradients.get(ENCODER + SequenceModel.EMBEDDING));
        }
        return gradients;
    }

    /** The decoder's initial state {@code [L, B, H]} ('c' order) for these sources, in evaluation mode. */
    public RecurrentState encode(SequenceBatch source) {
        if (config.vectorSource()) {
            INDArray bridged = Transforms.tanh(Linear.forward(vectorOf(source), parameters.get(BRIDGE_WEIGHT),
                    parameters.get(BRIDGE_BIAS)), false);
            return splitLayers(bridged);
        }
        SequenceModel.Encoded x = SequenceModel.encode(config.source(), encoderEmbedding, source,
                config.decoder().dataType());
        try (ForwardResult encoded = encoder.forward(x.x(), null, source.lengths())) { // caches back to the encoder
            NativeBuffer.free(x.owned()); // the encoder keeps its own copy
            RecurrentState state = encoded.finalState();
            return new RecurrentState(state.h().dup('c'), state.c() == null ? null : state.c().dup('c'));
        }
    }

    /**
     * Greedy decoding: from {@code start}, feed back the most likely token until {@code end} or {@code maxLength}
     * tokens.
     *
     * @return per source, the decoded tokens without the start and end tokens
     */
    public int[][] greedyDecode(SequenceBatch source, int start, int end, int maxLength) {
        checkDecoding(start, end, maxLength, 1);
        RecurrentState state = encode(source);
        int batch = source.batch();
        ModelStepper stepper = decoder.newStepper(batch);
        int[] tokens = new int[batch];
        Arrays.fill(tokens, start);
        List<List<Integer>> out = new ArrayList<>();
        boolean[] done = new boolean[batch];
        for (int b = 0; b < batch; b++) {
            out.add(new ArrayList<>());
        }
        for (int step = 0; step < maxLength; step++) {
            double[] logits = stepper.step(tokens, state).castTo(DataType.DOUBLE).dup('c').data().asDouble();
            int vocabulary = logits.length / batch;
            boolean all = true;
            for (int b = 0; b < batch; b++) {
                int best = argMax(logits, b * vocabulary, vocabulary);
                tokens[b] = best;
                if (!done[b]) {
                    if (best == end) {
                        done[b] = true;
                    } else {
                        out.get(b).add(best);
                    }
                }
                all &= done[b];
            }
            if (all) {
                break;
            }
        }
        return out.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
    }

    /** One decoded output and its log-probability (the sum over its tokens, the end token included). */
    public record Hypothesis(int[] tokens, double logProbability) {}

    /**
     * Beam search for one source: keeps the {@code beamWidth} most probable prefixes at each step; a prefix that
     * emits {@code end} is finished. Stops when {@code beamWidth} hypotheses are finished, or after
     * {@code maxLength} tokens (unfinished prefixes then count as they are).
     *
     * @param source one sequence (B = 1)
     * @return up to {@code beamWidth} hypotheses, most probable first, without the start and end tokens
     */
    public List<Hypothesis> beamSearch(SequenceBatch source, int start, int end, int beamWidth, int maxLength) {
        checkDecoding(start, end, maxLength, beamWidth);
        if (source == null || source.batch() != 1) {
            throw new IllegalArgumentException("source: expected one sequence (B=1) but was "
                    + (source == null ? "null" : "B=" + source.batch()));
        }
        RecurrentState state = encode(source);
        ModelStepper stepper = decoder.newStepper(beamWidth);
        List<int[]> prefixes = new ArrayList<>(List.of(new int[0]));
        double[] scores = {0.0};
        int[] last = {start};
        List<Hypothesis> finished = new ArrayList<>();
        for (int step = 0; step < maxLength && !prefixes.isEmpty() && finished.size() < beamWidth; step++) {
            double[] logits = stepper.step(last, state).castTo(DataType.DOUBLE).dup('c').data().asDouble();
            int alive = prefixes.size();
            int vocabulary = logits.length / alive;
            List<double[]> candidates = new ArrayList<>(); // {score, beam, token}
            for (int b = 0; b < alive; b++) {
                double logSum = logSumExp(logits, b * vocabulary, vocabulary);
                for (int v = 0; v < vocabulary; v++) {
                    candidates.add(new double[] {scores[b] + logits[b * vocabulary + v] - logSum, b, v});
                }
            }
            candidates.sort(Comparator.comparingDouble((double[] c) -> -c[0]));
            List<int[]> nextPrefixes = new ArrayList<>();
            List<Integer> parents = new ArrayList<>();
            List<Double> nextScores = new ArrayList<>();
            for (double[] c : candidates) {
                if (nextPrefixes.size() + finished.size() >= beamWidth) {
                    break;
                }
                int b = (int) c[1];
                int v = (int) c[2];
                if (v == end) {
                    finished.add(new Hypothesis(prefixes.get(b), c[0]));
                } else {
                    int[] prefix = Arrays.copyOf(prefixes.get(b), prefixes.get(b).length + 1);
                    prefix[prefix.length - 1] = v;
                    nextPrefixes.add(prefix);
                    parents.add(b);
                    nextScores.add(c[0]);
                }
            }
            prefixes = nextPrefixes;
            scores = nextScores.stream().mapToDouble(Double::doubleValue).toArray();
            last = prefixes.stream().mapToInt(p -> p[p.length - 1]).toArray();
            state = gatherRows(state, parents.stream().mapToInt(Integer::intValue).toArray());
        }
        for (int b = 0; b < prefixes.size(); b++) {
            finished.add(new Hypothesis(prefixes.get(b), scores[b]));
        }
        finished.sort(Comparator.comparingDouble((Hypothesis h) -> -h.logProbability()));
        return finished.size() > beamWidth ? finished.subList(0, beamWidth) : finished;
    }

    // ---------------------------------------------------------------------------------------------------------

    /** {@code [B, F]} from a vector source's {@code [1, B, F]} features. */
    private INDArray vectorOf(SequenceBatch source) {
        if (source == null || source.hasTokens()) {
            throw new IllegalArgumentException("source: expected features [1, B, F=" + config.source().features()
                    + "] for a vector source but was " + (source == null ? "null" : "token ids"));
        }
        Shapes.requireShape("source.features", source.features(), new String[] {"1", "B", "F"},
                new long[] {1, -1, config.source().features()});
        Shapes.requireDataType("source.features", source.features(), config.decoder().dataType());
        return source.features().slice(0).dup('c');
    }

    /** {@code [B, L*H]} to the state {@code [L, B, H]} ('c' order); c is 0 for the LSTM. */
    private RecurrentState splitLayers(INDArray bridged) {
        RecurrentConfig rnn = config.decoder().recurrent();
        long batch = bridged.size(0);
        INDArray h = bridged.reshape('c', batch, rnn.numLayers(), rnn.hiddenSize()).permute(1, 0, 2).dup('c');
        return new RecurrentState(h, rnn.cell().hasCellState() ? Nd4j.zeros(h.dataType(), h.shape()) : null);
    }

    /** A new state whose row j is row {@code rows[j]} of {@code state}. */
    private static RecurrentState gatherRows(RecurrentState state, int[] rows) {
        return new RecurrentState(gather(state.h(), rows), state.c() == null ? null : gather(state.c(), rows));
    }

    private static INDArray gather(INDArray array, int[] rows) {
        INDArray result = Nd4j.create(array.dataType(), array.size(0), Math.max(rows.length, 1), array.size(2));
        for (int j = 0; j < rows.length; j++) {
            result.get(NDArrayIndex.all(), NDArrayIndex.point(j), NDArrayIndex.all())
                    .assign(array.get(NDArrayIndex.all(), NDArrayIndex.point(rows[j]), NDArrayIndex.all()));
        }
        return result;
    }

    private void checkDecoding(int start, int end, int maxLength, int beamWidth) {
        int vocabulary = config.decoder().outputSize();
        int inputs = config.decoder().input().vocabulary();
        if (start < 0 || start >= inputs) {
            throw new IllegalArgumentException("start: expected a token id in 0.." + (inputs - 1) + " but was "
                    + start);
        }
        if (end < 0 || end >= vocabulary) {
            throw new IllegalArgumentException("end: expected a token id in 0.." + (vocabulary - 1) + " but was "
                    + end);
        }
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength: expected at least 1 but was " + maxLength);
        }
        if (beamWidth < 1) {
            throw new IllegalArgumentException("beamWidth: expected at least 1 but was " + beamWidth);
        }
    }

    private static int argMax(double[] values, int from, int count) {
        int best = 0;
        for (int k = 1; k < count; k++) {
            if (values[from + k] > values[from + best]) {
                best = k;
            }
        }
        return best;
    }

    private static double logSumExp(double[] values, int from, int count) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < count; k++) {
            max = Math.max(max, values[from + k]);
        }
        double sum = 0;
        for (int k = 0; k < count; k++) {
            sum += Math.exp(values[from + k] - max);
        }
        return max + Math.log(sum);
    }

    private static void requireConfig(EncoderDecoderConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config: expected an EncoderDecoderConfig but was null");
        }
    }
}
