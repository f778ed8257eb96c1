package dev.recurrent4j.infer;

import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.cell.ParallelStep;
import dev.recurrent4j.sequence.BatchOrder;
import dev.recurrent4j.io.SafeTensors;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import dev.recurrent4j.model.RecurrentState;
import dev.recurrent4j.sequence.BatchLayout;
import dev.recurrent4j.sequence.Direction;
import dev.recurrent4j.sequence.InferenceRunner;
import dev.recurrent4j.tensor.NativeBuffer;
import dev.recurrent4j.tensor.Shapes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A loaded model for serving: a {@link RecurrentNetwork} and an optional {@link OutputHead}, immutable and safe to
 * share between any number of threads. Calls from many threads give the same results as calls from one, bit for
 * bit on CPU: every call works in its own arrays, and the weights are never written.
 *
 * <pre>{@code
 * InferenceModel model = InferenceModel.of(network, LinearHead.of(weight, bias));
 * SequenceOutput out = model.run(x, null, lengths);      // whole sequences, no training caches
 * try (Stream s = model.openStream()) {                  // one conversation, step by step
 *     double[] logits = s.step(features);
 * }
 * }</pre>
 *
 * <p>Streams ({@link #openStream}) step in the calling thread with a batch-1 executor borrowed from a small pool
 * held by the model; {@link ContinuousBatcher} gathers the steps of many streams into one batched step. This class
 * does no training: the network's dropout is never applied.
 */
public final class InferenceModel {
    private static final String[] SEQUENCE = {"T", "B", "I"};
    private static final String[] SEQUENCE_BATCH_FIRST = {"B", "T", "I"};
    private static final String[] STATE = {"L*D", "B", "H"};
    /** How many idle batch-1 executors the model keeps for streams stepping in callers' threads. */
    private static final int POOLED_EXECUTORS = 4 * Runtime.getRuntime().availableProcessors();

    private final RecurrentNetwork network;
    private final OutputHead head;
    private final ArrayBlockingQueue<StepExecutor> executors = new ArrayBlockingQueue<>(POOLED_EXECUTORS);
    /** Memory {@link #run} lends its runners for the input projections, reused across calls (see InferenceRunner). */
    private final ArrayBlockingQueue<INDArray> projectionScratch = new ArrayBlockingQueue<>(POOLED_EXECUTORS);
    private volatile String fingerprint;
    /**
     * Each layer-direction's parallel steps made so far (at most one per kind: the small-batch one holds a packed
     * copy of W_hh), kept because this model's parameters never change.
     */
    private final ConcurrentHashMap<Integer, List<ParallelStep>> parallelSteps = new ConcurrentHashMap<>();

    private InferenceModel(RecurrentNetwork network, OutputHead head) {
        this.network = network;
        this.head = head;
    }

    /** A model without head: outputs are the last layer's {@code D*H} features. See {@link #of(RecurrentNetwork, OutputHead)}. */
    public static InferenceModel of(RecurrentNetwork network) {
        return of(network, null);
    }

    /**
     * A model over a private copy of {@code network}'s parameters (so a trainer updating its own network in place
     * cannot change it), with an optional head.
     *
     * @param head a head whose input size is {@code D*H}, or {@code null}
     * @throws IllegalArgumentException for a null network or a head of another input size
     */
    public static InferenceModel of(RecurrentNetwork network, OutputHead head) {
        if (network == null) {
            throw new IllegalArgumentException("network: expected a RecurrentNetwork but was null");
        }
        RecurrentConfig config = network.config();
        int features = config.directions() * config.hiddenSize();
        if (head != null && head.inputSize() != features) {
            throw new IllegalArgumentException("head: expected input size D*H=" + features + " but was "
                    + head.inputSize());
        }
        RecurrentNetwork copy = RecurrentNetwork.fromTorchStateDict(config, network.toTorchStateDict());
        return new InferenceModel(copy, head);
    }

    /**
     * A model from a PyTorch {@code state_dict} such as {@code SafeTensors.read} returns, e.g. of
     * <pre>{@code
     * class Model(nn.Module):     # state_dict: rnn.weight_ih_l0, ..., head.weight, head.bias
     *     def __init__(self): self.rnn = nn.LSTM(I, H); self.head = nn.Linear(H, V)
     * }</pre>
     * with {@code networkPrefix = "rnn."} and {@code headPrefix = "head."}. The network's names under
     * {@code networkPrefix} are checked as strictly as {@link RecurrentNetwork#fromTorchStateDict}; names under
     * neither prefix (an embedding, an optimizer's leftovers) are ignored.
     *
     * @param networkPrefix the prefix of the recurrent network's names, {@code ""} for a bare {@code nn.LSTM}
     * @param headPrefix the prefix of an {@code nn.Linear} head's {@code weight} and {@code bias}, or {@code null}
     *     for no head
     */
    public static InferenceModel fromTorchStateDict(RecurrentConfig config, Map<String, INDArray> stateDict,
            String networkPrefix, String headPrefix) {
        if (stateDict == null) {
            throw new IllegalArgumentException("stateDict: expected a map of PyTorch names to tensors but was null");
        }
        Map<String, INDArray> networkTensors = new LinkedHashMap<>();
        Map<String, INDArray> headTensors = new LinkedHashMap<>();
        stateDict.forEach((name, tensor) -> {
            if (headPrefix != null && name.startsWith(headPrefix)) {
                headTensors.put(name, tensor);
            } else if (name.startsWith(networkPrefix)
                    && (name.startsWith(networkPrefix + "weight_") || name.startsWith(networkPrefix + "bias_"))) {
                networkTensors.put(name.substring(networkPrefix.length()), tensor);
            }
        });
        RecurrentNetwork network = RecurrentNetwork.fromTorchStateDict(config, networkTensors);
        OutputHead head = headPrefix == null ? null : LinearHead.fromTorchStateDict(headTensors, headPrefix);
        if (head != null) {
            Shapes.requireDataType(headPrefix + "weight", head.parameters().get("weight"), config.dataType());
        }
        return of(network, head);
    }

    /**
     * {@link #fromTorchStateDict} over a safetensors file, e.g. one written by PyTorch's
     * {@code safetensors.torch.save_file(model.state_dict(), path)}.
     *
     * @throws IOException if the file cannot be read
     */
    public static InferenceModel fromSafeTensors(Path file, RecurrentConfig config, String networkPrefix,
            String headPrefix) throws IOException {
        return fromTorchStateDict(config, SafeTensors.read(file), networkPrefix, headPrefix);
    }

    public RecurrentConfig config() {
        return network.config();
    }

    /** The network (the model's private copy); do not mutate its parameters. */
    public RecurrentNetwork network() {
        return network;
    }

    public Optional<OutputHead> head() {
        return Optional.ofNullable(head);
    }

    /** O with a head, else {@code D*H}: the width of what a stream step returns. */
    public int outputSize() {
        return head != null ? head.outputSize() : config().directions() * config().hiddenSize();
    }

    /**
     * Runs whole sequences, batched and of variable lengths, keeping none of the caches backward needs (see
     * {@link InferenceRunner}). The numbers are those of {@link RecurrentNetwork#forward} in evaluation mode, bit
     * for bit. The input projections ({@code T*B*G*H} numbers per call) go into native memory the model keeps and
     * reuses across calls: up to one buffer per concurrent caller (at most four per core), each as large as the
     * largest call it served.
     *
     * @param x {@code [T, B, I]} (or {@code [B, T, I]} when batch-first) in the config's data type; not mutated
     * @param initialState {@code [L*D, B, H]} h0 (and c0 for the LSTM), or {@code null} for zeros; not mutated
     * @param lengths B lengths in {@code 1..T} in any order, or {@code null} when every sequence has T steps;
     *     steps past a sequence's length are padding, as in {@link RecurrentNetwork#forward}
     * @throws IllegalArgumentException for a wrong rank, size or data type, or a length outside {@code 1..T}
     */
    public SequenceOutput run(INDArray x, RecurrentState initialState, int[] lengths) {
        RecurrentConfig config = config();
        // Every array made here and not returned is freed before returning (see SequenceOutput on why it matters).
        List<INDArray> temporaries = new ArrayList<>();
        try {
            INDArray input = made(temporaries, x, timeMajor(x));
            long steps = input.size(0);
            int batch = (int) input.size(1);
            checkState(initialState, batch);
            int[] checkedLengths = checkLengths(lengths, steps, batch);
            BatchOrder order = BatchOrder.byDescendingLength(checkedLengths);
            BatchLayout layout = BatchLayout.ofSortedLengths(steps, order.sortedLengths());

            INDArray h = initialState == null ? null : initialState.h();
            INDArray c = initialState == null ? null : initialState.c();
            INDArray h0 = made(temporaries, h, order.sort(h));
            INDArray c0 = made(temporaries, c, order.sort(c));
            INDArray layerInput = made(temporaries, input, order.sort(input));
            boolean lstm = config.cell().hasCellState();
            INDArray finalH = Nd4j.create(config.dataType(), (long) config.numLayers() * config.directions(), batch,
                    config.hiddenSize());
            INDArray finalC = lstm ? finalH.ulike() : null;
            INDArray scratch = borrowScratch(steps * batch * config.gateWidth());
            INDArray output;
            try {
                output = runLayers(layerInput, h0, c0, layout, finalH, finalC, scratch);
            } finally {
                projectionScratch.offer(scratch); // when the pool is full, the buffer is dropped and collected
            }

            INDArray logits = null;
            if (head != null) { // [T*B, D*H] -> [T*B, O] in one call, then padded steps back to exactly 0
                long features = output.size(2);
                logits = Nd4j.create(config.dataType(), steps, batch, head.outputSize());
                head.apply(output.reshape(steps * batch, features), logits.reshape(steps * batch,
                        head.outputSize()));
                for (long t = 0; t < steps; t++) {
                    int active = layout.activeRows(t);
                    if (active < batch) {
                        logits.slice(t).get(NDArrayIndex.interval(active, batch), NDArrayIndex.all()).assign(0.0);
                    }
                }
            }
            return new SequenceOutput(callersLayout(temporaries, order, output),
                    new RecurrentState(replaced(temporaries, finalH, order.unsort(finalH)),
                            lstm ? replaced(temporaries, finalC, order.unsort(finalC)) : null),
                    logits == null ? null : callersLayout(temporaries, order, logits));
        } finally {
            temporaries.forEach(INDArray::close);
        }
    }

    /**
     * Every layer and direction over {@code input}, writing the final states; the last layer's output. Frees what it
     * made and does not return (the runners' final states once copied, each inner layer's output once read).
     */
    private INDArray runLayers(INDArray input, INDArray h0, INDArray c0, BatchLayout layout, INDArray finalH,
            INDArray finalC, INDArray scratch) {
        RecurrentConfig config = config();
        int batch = layout.batch();
        int directions = config.directions();
        boolean lstm = config.cell().hasCellState();
        // one zero state for every layer-direction that starts from zeros: the runners only read it
        INDArray zeros = h0 == null || (lstm && c0 == null)
                ? Nd4j.zeros(config.dataType(), batch, config.hiddenSize()) : null;
        INDArray layerInput = input;
        try {
            for (int layer = 0; layer < config.numLayers(); layer++) {
                INDArray[] outputs = new INDArray[directions];
                for (int direction = 0; direction < directions; direction++) {
                    int index = layer * directions + direction;
                    CellWeights weights = network.parameters().get(layer, direction);
                    InferenceRunner.Result result = InferenceRunner.forward(config.cell().cell(), weights,
                            layerInput, h0 == null ? zeros : h0.slice(index),
                            lstm ? (c0 == null ? zeros : c0.slice(index)) : null, layout,
                            direction == 0 ? Direction.FORWARD : Direction.REVERSE, scratch,
                            parallelStep(index, weights, batch));
                    outputs[direction] = result.output();
                    finalH.slice(index).assign(result.finalHidden());
                    result.finalHidden().close();
                    if (lstm) {
                        finalC.slice(index).assign(result.finalCell());
                        result.finalCell().close();
                    }
                }
                INDArray next = directions == 1 ? outputs[0] : Nd4j.concat(2, outputs);
                if (directions > 1) {
                    NativeBuffer.free(outputs);
                }
                if (layer > 0) {
                    layerInput.close(); // the previous layer's output, read by both directions
                }
                layerInput = next;
            }
        } finally {
            NativeBuffer.free(zeros);
        }
        return layerInput;
    }

    /** {@code result}, listed as temporary unless it is {@code source} itself (an array this call does not own). */
    private static INDArray made(List<INDArray> temporaries, INDArray source, INDArray result) {
        if (result != source) {
            temporaries.add(result);
        }
        return result;
    }

    /** {@code result}; {@code ours} listed as temporary when {@code result} is a new array made from it. */
    private static INDArray replaced(List<INDArray> temporaries, INDArray ours, INDArray result) {
        if (result != ours) {
            temporaries.add(ours);
        }
        return result;
    }

    /** A {@code [T, B, *]} array of ours in the caller's batch order and layout; what it was made from is freed. */
    private INDArray callersLayout(List<INDArray> temporaries, BatchOrder order, INDArray sorted) {
        INDArray unsorted = replaced(temporaries, sorted, order.unsort(sorted));
        return replaced(temporaries, unsorted, fromTimeMajor(unsorted));
    }

    /** Layer-direction {@code index}'s parallel step for {@code batch} rows, made once per kind; null if none. */
    private ParallelStep parallelStep(int index, CellWeights weights, int batch) {
        List<ParallelStep> kept = parallelSteps.getOrDefault(index, List.of());
        for (ParallelStep step : kept) {
            if (step.serves(batch)) {
                return step;
            }
        }
        ParallelStep made = config().cell().cell().parallelStep(weights, batch);
        if (made != null) {
            parallelSteps.merge(index, List.of(made), (old, added) -> {
                List<ParallelStep> all = new ArrayList<>(old);
                all.addAll(added);
                return List.copyOf(all);
            });
        }
        return made;
    }

    /** A pooled buffer of at least {@code elements}, or a new one sized to fit. */
    private INDArray borrowScratch(long elements) {
        INDArray scratch = projectionScratch.poll();
        return scratch != null && scratch.length() >= elements ? scratch
                : Nd4j.createUninitialized(config().dataType(), elements);
    }

    /** A new stream with a zero state. See {@link Stream}. */
    public Stream openStream() {
        return new Stream(this, null, Clock.systemUTC());
    }

    /**
     * A new stream in the state a {@link Stream#snapshot()} recorded, possibly on another instance of the service.
     *
     * @throws SnapshotException if the bytes are not a snapshot, are corrupted, or were taken from a model of another
     *     architecture or other weights
     */
    public Stream restoreStream(byte[] snapshot) {
        Stream stream = openStream();
        StreamSnapshots.restore(snapshot, stream);
        return stream;
    }

    /**
     * A hex SHA-256 of the architecture and every parameter's bytes (network and head): two models agree on it
     * exactly when they compute the same function. Snapshots carry it.
     */
    public String fingerprint() {
        String value = fingerprint;
        if (value == null) {
            value = computeFingerprint();
            fingerprint = value;
        }
        return value;
    }

    /** A batch-1 executor for a stream stepping in the caller's thread; give it back with {@link #release}. */
    StepExecutor borrow() {
        StepExecutor executor = executors.poll();
        return executor != null ? executor : new StepExecutor(this, 1);
    }

    void release(StepExecutor executor) {
        executors.offer(executor); // when the pool is full, the executor is dropped and collected
    }

    private String computeFingerprint() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(config().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Map<String, INDArray> tensors = new LinkedHashMap<>(network.parameters().byTorchName());
            if (head != null) {
                head.parameters().forEach((name, tensor) -> tensors.put("head." + name, tensor));
            }
            for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
                digest.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                INDArray tensor = e.getValue().castTo(DataType.DOUBLE).dup('c');
                ByteBuffer bytes = ByteBuffer.allocate((int) tensor.length() * 8).order(ByteOrder.LITTLE_ENDIAN);
                for (double v : tensor.data().asDouble()) {
                    bytes.putDouble(v);
                }
                digest.update(bytes.array());
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** {@code x} as {@code [T, B, I]} 'c' order: {@code x} itself when it already is (it is never written). */
    private INDArray timeMajor(INDArray x) {
        RecurrentConfig config = config();
        Shapes.requireShape("x", x, config.batchFirst() ? SEQUENCE_BATCH_FIRST : SEQUENCE,
                new long[] {-1, -1, config.inputSize()});
        Shapes.requireDataType("x", x, config.dataType());
        if (x.length() == 0) {
            throw new IllegalArgumentException("x: expected at least one step and one sequence but was "
                    + Arrays.toString(x.shape()));
        }
        if (config.batchFirst()) {
            return x.permute(1, 0, 2).dup('c');
        }
        return NativeBuffer.isContiguous(x) ? x : x.dup('c');
    }

    private INDArray fromTimeMajor(INDArray sequence) {
        return config().batchFirst() ? sequence.permute(1, 0, 2).dup('c') : sequence;
    }

    private void checkState(RecurrentState state, int batch) {
        if (state == null) {
            return;
        }
        RecurrentConfig config = config();
        long[] shape = {(long) config.numLayers() * config.directions(), batch, config.hiddenSize()};
        if (state.h() != null) {
            Shapes.requireShape("initialState.h", state.h(), STATE, shape);
            Shapes.requireDataType("initialState.h", state.h(), config.dataType());
        }
        if (state.c() != null) {
            if (!config.cell().hasCellState()) {
                throw new IllegalArgumentException("initialState.c: expected null for a " + config.cell()
                        + " network (only the LSTM has a cell state) but was " + Arrays.toString(state.c().shape()));
            }
            Shapes.requireShape("initialState.c", state.c(), STATE, shape);
            Shapes.requireDataType("initialState.c", state.c(), config.dataType());
        }
    }

    private static int[] checkLengths(int[] lengths, long steps, int batch) {
        if (lengths == null) {
            int[] full = new int[batch];
            Arrays.fill(full, (int) steps);
            return full;
        }
        if (lengths.length != batch) {
            throw new IllegalArgumentException("lengths: expected B=" + batch + " values but was " + lengths.length);
        }
        for (int b = 0; b < batch; b++) {
            if (lengths[b] < 1 || lengths[b] > steps) {
                throw new IllegalArgumentException("lengths[" + b + "]: expected 1..T=" + steps
                        + " but was " + lengths[b]);
            }
        }
        return lengths.clone();
    }
}
