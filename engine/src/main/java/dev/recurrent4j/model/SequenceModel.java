package dev.recurrent4j.model;

import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.model.layer.Embedding;
import dev.recurrent4j.model.layer.Linear;
import dev.recurrent4j.model.layer.OneHot;
import dev.recurrent4j.tensor.NativeBuffer;
import dev.recurrent4j.tensor.Shapes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A complete sequence model: input encoding (dense, embedding or one-hot) → a {@link RecurrentNetwork} → a linear
 * head per step or on each sequence's last valid step. The classic shapes: many-to-many (tagging, language
 * modelling) and many-to-one (classification, forecasting). Parameters carry the names of the equivalent PyTorch
 * module's {@code state_dict}:
 *
 * <pre>
 * embedding.weight [V, E]          (embedding input only)
 * rnn.weight_ih_l0 [G*H, I], ...   (the recurrent stack, PyTorch's names)
 * head.weight [O, D*H], head.bias [O]
 * </pre>
 *
 * <pre>{@code
 * SequenceModel model = SequenceModel.initialize(config, 42);
 * ModelForward out = model.forward(SequenceBatch.tokens(ids), null, ForwardOptions.EVAL);
 * INDArray logits = out.output();                              // [T, B, V]
 * ModelGradients g = model.backward(out, dLogits, null);        // g.parameters().get("head.weight")
 * }</pre>
 *
 * <p>The model reads its parameters live: {@link #parameters()} are the arrays themselves, and an optimizer that
 * updates them in place changes the model. A model made by {@link #fromStateDict} owns private copies and, if
 * nobody mutates its parameters, can be shared between threads. Forward and backward allocate their own buffers.
 * Every argument is checked here; bad input gets an {@link IllegalArgumentException} naming it.
 */
public final class SequenceModel {
    public static final String EMBEDDING = "embedding.weight";
    public static final String RNN_PREFIX = "rnn.";
    public static final String HEAD_WEIGHT = "head.weight";
    public static final String HEAD_BIAS = "head.bias";

    private final SequenceModelConfig config;
    private final ModelParameters parameters;
    private final RecurrentNetwork network;
    /** {@code [V, E]}, or {@code null} unless the input is an embedding. */
    private final INDArray embedding;
    /** {@code [O, D*H]}. */
    private final INDArray headWeight;
    /** {@code [O]}. */
    private final INDArray headBias;

    private SequenceModel(SequenceModelConfig config, ModelParameters parameters) {
        this.config = config;
        this.parameters = parameters;
        this.network = RecurrentNetwork.sharing(sharedRecurrent(config.recurrent(), parameters, RNN_PREFIX));
        this.embedding = config.input().kind() == InputEncoding.Kind.EMBEDDING ? parameters.get(EMBEDDING) : null;
        this.headWeight = parameters.get(HEAD_WEIGHT);
        this.headBias = parameters.get(HEAD_BIAS);
    }

    /**
     * A model with PyTorch's default initialisation, drawn from {@code seed}: the recurrent stack as
     * {@link RecurrentNetwork#initialize}, the embedding N(0, 1), the head uniform in
     * {@code [-1/sqrt(D*H), 1/sqrt(D*H)]}.
     */
    public static SequenceModel initialize(SequenceModelConfig config, long seed) {
        requireConfig(config);
        DataType type = config.dataType();
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        if (config.input().kind() == InputEncoding.Kind.EMBEDDING) {
            tensors.put(EMBEDDING, gaussian(random, type, config.input().vocabulary(), config.input().features()));
        }
        RecurrentNetwork.initialize(config.recurrent(), seed).parameters().byTorchName()
                .forEach((name, tensor) -> tensors.put(RNN_PREFIX + name, tensor));
        double bound = 1.0 / Math.sqrt(config.headInputSize());
        tensors.put(HEAD_WEIGHT, uniform(random, type, bound, config.outputSize(), config.headInputSize()));
        tensors.put(HEAD_BIAS, uniform(random, type, bound, config.outputSize()));
        return new SequenceModel(config, ModelParameters.sharing(tensors));
    }

    /**
     * A model from a {@code state_dict} with exactly the names of {@link #expectedShapes}, in the config's data
     * type. The tensors are copied.
     *
     * @throws IllegalArgumentException for a missing or unexpected name, a wrong shape or data type
     */
    public static SequenceModel fromStateDict(SequenceModelConfig config, Map<String, INDArray> stateDict) {
        requireConfig(config);
        checkStateDict(config, stateDict, "stateDict");
        Map<String, INDArray> copies = new LinkedHashMap<>();
        expectedShapes(config).keySet().forEach(name -> copies.put(name, stateDict.get(name).dup('c')));
        return new SequenceModel(config, ModelParameters.sharing(copies));
    }

    /**
     * A model over these parameter arrays, without copying them: in-place updates are seen by the next forward.
     * For trainers and composed models that own their parameters.
     *
     * @throws IllegalArgumentException as {@link #fromStateDict}
     */
    public static SequenceModel sharing(SequenceModelConfig config, ModelParameters parameters) {
        requireConfig(config);
        checkStateDict(config, parameters == null ? null : parameters.byName(), "parameters");
        for (INDArray tensor : parameters.byName().values()) {
            if (tensor.ordering() != 'c' || tensor.isView()) {
                throw new IllegalArgumentException("parameters: expected 'c' order arrays that are not views");
            }
        }
        return new SequenceModel(config, parameters);
    }

    /** Every parameter name with its shape, in order: what {@link #fromStateDict} expects. */
    public static Map<String, long[]> expectedShapes(SequenceModelConfig config) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        if (config.input().kind() == InputEncoding.Kind.EMBEDDING) {
            shapes.put(EMBEDDING, new long[] {config.input().vocabulary(), config.input().features()});
        }
        shapes.putAll(recurrentShapes(config.recurrent(), RNN_PREFIX));
        shapes.put(HEAD_WEIGHT, new long[] {config.outputSize(), config.headInputSize()});
        shapes.put(HEAD_BIAS, new long[] {config.outputSize()});
        return shapes;
    }

    public SequenceModelConfig config() {
        return config;
    }

    /** The live parameter arrays (not copies); see the class comment on mutating them. */
    public ModelParameters parameters() {
        return parameters;
    }

    /** The recurrent stack, over the same live arrays as {@code rnn.*}. */
    public RecurrentNetwork network() {
        return network;
    }

    /**
     * A one-step executor for generation and decoding (token by token), with buffers for up to {@code maxBatch}
     * sequences. Unidirectional models with a per-step head only.
     */
    public ModelStepper newStepper(int maxBatch) {
        return new ModelStepper(this, maxBatch);
    }

    /** {@code [V, E]}, or {@code null} unless the input is an embedding; the live array. */
    INDArray embedding() {
        return embedding;
    }

    /** A copy of every parameter, ready for {@code SafeTensors.write}; loads back with {@link #fromStateDict}. */
    public Map<String, INDArray> toStateDict() {
        return parameters.toStateDict();
    }

    /** Forward in evaluation mode from a zero state. */
    public ModelForward forward(SequenceBatch batch) {
        return forward(batch, null, ForwardOptions.EVAL);
    }

    /**
     * Encodes the input, runs the recurrent network and the head.
     *
     * @param batch dense features {@code [T, B, I]} in the model's data type, or token ids in {@code 0..V-1}
     * @param initialState {@code [L*D, B, H]}, or {@code null} for zeros (e.g. the previous segment's final state)
     * @param options training (dropout) or evaluation
     * @throws IllegalArgumentException for input that does not fit the encoding, or the cases of
     *     {@link RecurrentNetwork#forward}
     */
    public ModelForward forward(SequenceBatch batch, RecurrentState initialState, ForwardOptions options) {
        Encoded encoded = encode(config.input(), embedding, batch, config.dataType());
        int steps = batch.steps();
        int size = batch.batch();
        int[] ids = encoded.ids();
        INDArray x = encoded.x();
        ForwardResult recurrent = network.forward(x, initialState, batch.lengths(),
                options == null ? ForwardOptions.EVAL : options);
        NativeBuffer.free(encoded.owned()); // the network keeps its own copy

        int features = config.headInputSize();
        if (config.head() == HeadKind.PER_STEP) {
            INDArray headInput = recurrent.output().reshape('c', (long) steps * size, features);
            INDArray mask = batch.isFull() ? null : validSteps(batch.lengths(), steps, config.dataType());
            INDArray y = Linear.forward(headInput, headWeight, headBias);
            if (mask != null) {
                y.muliColumnVector(mask);
            }
            return new ModelForward(y.reshape('c', steps, size, config.outputSize()), this, batch, recurrent, ids,
                    headInput, mask);
        }
        INDArray headInput = lastLayerHidden(recurrent.finalState().h());
        return new ModelForward(Linear.forward(headInput, headWeight, headBias), this, batch, recurrent, ids,
                headInput, null);
    }

    /**
     * Backpropagation through time, head and encoder included.
     *
     * @param forward what {@link #forward} returned, from this model
     * @param dOutput dL/d(output), the shape of {@link ModelForward#output()}, or {@code null}; entries at padded
     *     steps are ignored
     * @param dFinalState dL/d(final state) {@code [L*D, B, H]}, or {@code null}
     * @throws IllegalArgumentException for the result of another model or a wrong shape
     */
    public ModelGradients backward(ModelForward forward, INDArray dOutput, RecurrentState dFinalState) {
        return backward(forward, dOutput, dFinalState, 0);
    }

    /**
     * Truncated BPTT: as {@link #backward}, but gradients flow through the recurrent network's last {@code steps}
     * steps only (see {@link RecurrentNetwork#backwardTruncated}). The head still sees every step's dOutput; only
     * the recurrence is cut. Unidirectional networks only.
     *
     * @param steps k2, in {@code 1..T}
     */
    public ModelGradients backwardTruncated(ModelForward forward, INDArray dOutput, RecurrentState dFinalState,
            int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps: expected at least 1 but was " + steps);
        }
        return backward(forward, dOutput, dFinalState, steps);
    }

    private ModelGradients backward(ModelForward forward, INDArray dOutput, RecurrentState dFinalState,
            int truncation) {
        if (forward == null || forward.model != this) {
            throw new IllegalArgumentException("forward: expected the result of this model's forward but was "
                    + (forward == null ? "null" : "the result of another model"));
        }
        int steps = forward.batch.steps();
        int size = forward.batch.batch();
        ModelParameters gradients = parameters.zerosLike();
        INDArray dHeadWeight = gradients.get(HEAD_WEIGHT);
        INDArray dHeadBias = gradients.get(HEAD_BIAS);
        INDArray dRecurrentOutput = null;
        INDArray dHeadInput = null;
        RecurrentState dFinal = dFinalState;
        if (dOutput != null) {
            Shapes.requireShape("dOutput", dOutput, config.head() == HeadKind.PER_STEP
                    ? new String[] {"T", "B", "O"} : new String[] {"B", "O"}, forward.output().shape());
            Shapes.requireDataType("dOutput", dOutput, config.dataType());
            if (config.head() == HeadKind.PER_STEP) {
                INDArray dY = dOutput.reshape('c', (long) steps * size, config.outputSize()).dup('c');
                if (forward.mask != null) {
                    dY.muliColumnVector(forward.mask);
                }
                dHeadInput = Linear.backward(forward.headInput, headWeight, dY, dHeadWeight, dHeadBias);
                dY.close();
                dRecurrentOutput = dHeadInput.reshape('c', steps, size, config.headInputSize());
            } else {
                INDArray dHidden = Linear.backward(forward.headInput, headWeight, dOutput, dHeadWeight, dHeadBias);
                dFinal = addToLastLayer(dFinalState, dHidden, size);
                dHidden.close();
            }
        }
        Gradients g = truncation == 0 ? network.backward(forward.recurrent, dRecurrentOutput, dFinal)
                : network.backwardTruncated(forward.recurrent, dRecurrentOutput, dFinal, truncation);
        // this method's own arrays, which the network has read
        NativeBuffer.free(dHeadInput, dFinal != dFinalState ? dFinal.h() : null);
        g.byTorchName().forEach((name, d) -> gradients.get(RNN_PREFIX + name).assign(d));
        g.closeParameters(); // copied: their memory serves the next backward
        INDArray dInput = encodeBackward(config.input(), g.input(), forward.ids,
                embedding == null ? null : gradients.get(EMBEDDING));
        if (dInput == null) { // token input: dL/dx went into the embedding's gradient, if any
            g.input().close();
        }
        return new ModelGradients(gradients, g.initialState(), dInput);
    }


    /**
     * The encoded input: {@code x [T, B, I]} and, for token input, the {@code [T*B]} time-major ids and the array
     * {@code x} views, the encoder's own ({@code owned}, {@code null} for dense input: those are the caller's).
     */
    record Encoded(INDArray x, int[] ids, INDArray owned) {}

    /** Checks {@code batch} against {@code input} and encodes it into {@code [T, B, I]} features. */
    static Encoded encode(InputEncoding input, INDArray embedding, SequenceBatch batch, DataType type) {
        if (batch == null) {
            throw new IllegalArgumentException("batch: expected a SequenceBatch but was null");
        }
        if (!input.takesTokens()) {
            if (batch.hasTokens()) {
                throw new IllegalArgumentException("batch: expected features [T, B, I=" + input.features()
                        + "] for dense input but got token ids");
            }
            return new Encoded(batch.features(), null, null);
        }
        if (!batch.hasTokens()) {
            throw new IllegalArgumentException("batch: expected token ids for " + input + " but got features");
        }
        checkTokens(batch.tokens(), input.vocabulary());
        int[] ids = batch.timeMajorIds();
        INDArray rows = input.kind() == InputEncoding.Kind.EMBEDDING ? Embedding.forward(embedding, ids)
                : OneHot.encode(ids, input.vocabulary(), type);
        return new Encoded(rows.reshape('c', batch.steps(), batch.batch(), input.features()), ids, rows);
    }

    /**
     * The backward of {@link #encode}: accumulates the embedding's gradient into {@code dEmbedding}; returns
     * {@code dX} itself for dense input and {@code null} for token input.
     */
    static INDArray encodeBackward(InputEncoding input, INDArray dX, int[] ids, INDArray dEmbedding) {
        if (input.kind() == InputEncoding.Kind.EMBEDDING) {
            Embedding.backward(dX.reshape('c', (long) ids.length, input.features()), ids, dEmbedding);
            return null;
        }
        return input.kind() == InputEncoding.Kind.DENSE ? dX : null;
    }

    /** The recurrent parameters under {@code prefix} (e.g. {@code "rnn."}) as engine {@link Parameters}, shared. */
    static Parameters sharedRecurrent(RecurrentConfig rnn, ModelParameters parameters, String prefix) {
        List<CellWeights> cells = new ArrayList<>();
        for (int layer = 0; layer < rnn.numLayers(); layer++) {
            for (int direction = 0; direction < rnn.directions(); direction++) {
                cells.add(new CellWeights(
                        parameters.get(prefix + Parameters.name("weight_ih", layer, direction)),
                        parameters.get(prefix + Parameters.name("weight_hh", layer, direction)),
                        rnn.bias() ? parameters.get(prefix + Parameters.name("bias_ih", layer, direction)) : null,
                        rnn.bias() ? parameters.get(prefix + Parameters.name("bias_hh", layer, direction)) : null));
            }
        }
        return new Parameters(rnn, cells);
    }

    /** The recurrent stack's parameter shapes under {@code prefix}, in {@code state_dict} order. */
    static Map<String, long[]> recurrentShapes(RecurrentConfig rnn, String prefix) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (String name : Parameters.expectedNames(rnn)) {
            int layer = Integer.parseInt(name.replaceAll(".*_l(\\d+).*", "$1"));
            long columns = name.startsWith("weight_ih") ? rnn.layerInputSize(layer) : rnn.hiddenSize();
            shapes.put(prefix + name, name.startsWith("weight") ? new long[] {rnn.gateWidth(), columns}
                    : new long[] {rnn.gateWidth()});
        }
        return shapes;
    }

    /** {@code [B, D*H]}: the last layer's final hidden state, directions concatenated forward first. */
    private INDArray lastLayerHidden(INDArray h) {
        RecurrentConfig rnn = config.recurrent();
        int first = (rnn.numLayers() - 1) * rnn.directions();
        if (rnn.directions() == 1) {
            return h.slice(first).dup('c');
        }
        return Nd4j.concat(1, h.slice(first), h.slice(first + 1)).dup('c');
    }

    /** A copy of {@code dFinalState} (or zeros) with {@code dHidden [B, D*H]} added to the last layer's h. */
    private RecurrentState addToLastLayer(RecurrentState dFinalState, INDArray dHidden, int size) {
        RecurrentConfig rnn = config.recurrent();
        INDArray dH = dFinalState == null || dFinalState.h() == null
                ? Nd4j.zeros(config.dataType(), (long) rnn.numLayers() * rnn.directions(), size, rnn.hiddenSize())
                : dFinalState.h().dup('c');
        Shapes.requireShape("dFinalState.h", dH, new String[] {"L*D", "B", "H"},
                new long[] {(long) rnn.numLayers() * rnn.directions(), size, rnn.hiddenSize()});
        int first = (rnn.numLayers() - 1) * rnn.directions();
        int hidden = rnn.hiddenSize();
        for (int direction = 0; direction < rnn.directions(); direction++) {
            dH.slice(first + direction).addi(dHidden.get(NDArrayIndex.all(),
                    NDArrayIndex.interval((long) direction * hidden, (long) (direction + 1) * hidden)));
        }
        return new RecurrentState(dH, dFinalState == null ? null : dFinalState.c());
    }

    /** {@code [T*B, 1]}: 1 where {@code t < lengths[b]} (row {@code t*B + b}), else 0. */
    static INDArray validSteps(int[] lengths, int steps, DataType type) {
        int size = lengths.length;
        double[] mask = new double[steps * size];
        for (int b = 0; b < size; b++) {
            for (int t = 0; t < lengths[b]; t++) {
                mask[t * size + b] = 1.0;
            }
        }
        return Nd4j.create(mask, new long[] {(long) steps * size, 1}, 'c').castTo(type);
    }

    /** Checks every id against {@code 0..V-1}, naming the first bad one. */
    static void checkTokens(int[][] tokens, int vocabulary) {
        for (int b = 0; b < tokens.length; b++) {
            for (int t = 0; t < tokens[b].length; t++) {
                int id = tokens[b][t];
                if (id < 0 || id >= vocabulary) {
                    throw new IllegalArgumentException("tokens[" + b + "][" + t + "]: expected a token id in 0..V-1="
                            + (vocabulary - 1) + " but was " + id);
                }
            }
        }
    }

    private static void requireConfig(SequenceModelConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config: expected a SequenceModelConfig but was null");
        }
    }

    private static void checkStateDict(SequenceModelConfig config, Map<String, INDArray> tensors, String what) {
        checkTensors(expectedShapes(config), tensors, what, config.toString(), config.dataType());
    }

    /**
     * Checks that {@code tensors} has exactly the expected names, each with its shape and {@code type}.
     *
     * @throws IllegalArgumentException naming the missing and unexpected names, or the first bad tensor
     */
    static void checkTensors(Map<String, long[]> expected, Map<String, INDArray> tensors, String what,
            String architecture, DataType type) {
        if (tensors == null) {
            throw new IllegalArgumentException(what + ": expected a map of names to tensors but was null");
        }
        Set<String> missing = new LinkedHashSet<>(expected.keySet());
        missing.removeAll(tensors.keySet());
        Set<String> extra = new LinkedHashSet<>(tensors.keySet());
        extra.removeAll(expected.keySet());
        if (!missing.isEmpty() || !extra.isEmpty()) {
            throw new IllegalArgumentException(what + ": expected exactly " + expected.keySet() + " for "
                    + architecture + " but " + (missing.isEmpty() ? "" : "missing " + missing
                    + (extra.isEmpty() ? "" : " and ")) + (extra.isEmpty() ? "" : "unexpected " + extra));
        }
        expected.forEach((name, shape) -> {
            INDArray tensor = tensors.get(name);
            if (tensor == null || !java.util.Arrays.equals(tensor.shape(), shape)) {
                throw new IllegalArgumentException(what + "." + name + ": expected shape "
                        + java.util.Arrays.toString(shape) + " but was "
                        + (tensor == null ? "null" : java.util.Arrays.toString(tensor.shape())));
            }
            Shapes.requireDataType(what + "." + name, tensor, type);
        });
    }

    static INDArray gaussian(SplittableRandom random, DataType type, long... shape) {
        double[] values = new double[(int) (shape[0] * (shape.length > 1 ? shape[1] : 1))];
        for (int k = 0; k < values.length; k++) {
            values[k] = gaussian(random);
        }
        return Nd4j.create(values, shape, 'c').castTo(type);
    }

    static INDArray uniform(SplittableRandom random, DataType type, double bound, long... shape) {
        double[] values = new double[(int) (shape[0] * (shape.length > 1 ? shape[1] : 1))];
        for (int k = 0; k < values.length; k++) {
            values[k] = (2 * random.nextDouble() - 1) * bound;
        }
        return Nd4j.create(values, shape, 'c').castTo(type);
    }

    /** A standard normal draw (Box-Muller), so initialisation depends only on the seed, not on the backend. */
    static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
