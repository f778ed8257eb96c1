package dev.recurrent4j.model;

import dev.recurrent4j.cell.Cell;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.sequence.BatchLayout;
import dev.recurrent4j.sequence.BatchOrder;
import dev.recurrent4j.sequence.Direction;
import dev.recurrent4j.sequence.DirectionCache;
import dev.recurrent4j.sequence.DirectionGradients;
import dev.recurrent4j.sequence.DirectionRunner;
import dev.recurrent4j.tensor.NativeBuffer;
import dev.recurrent4j.tensor.Shapes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.api.ops.random.impl.UniformDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stack of recurrent layers (Elman RNN, LSTM or GRU), uni- or bidirectional, numerically and by parameter
 * names equivalent to PyTorch's {@code nn.RNN}/{@code nn.LSTM}/{@code nn.GRU}.
 *
 * <pre>{@code
 * RecurrentNetwork net = RecurrentNetwork.fromTorchStateDict(config, SafeTensors.read(path));
 * ForwardResult out = net.forward(x, null, lengths);          // x [T, B, I], lengths B values in 1..T
 * Gradients g = net.backward(out, dOutput, null);             // dOutput [T, B, D*H]
 * INDArray dWih = g.byTorchName().get("weight_ih_l0");
 * }</pre>
 *
 * <p>The network is immutable: its parameters are private copies, and forward and backward allocate their own
 * buffers, so one instance can serve many threads. Every argument is checked at this boundary; bad input gets an
 * {@link IllegalArgumentException} naming the argument, the expected and the actual shape, value or data type.
 */
public final class RecurrentNetwork {
    private static final Logger log = LoggerFactory.getLogger(RecurrentNetwork.class);
    private static final String[] SEQUENCE = {"T", "B", "I"};
    private static final String[] SEQUENCE_BATCH_FIRST = {"B", "T", "I"};
    private static final String[] STATE = {"L*D", "B", "H"};
    private static final String[] OUTPUT = {"T", "B", "D*H"};
    private static final String[] OUTPUT_BATCH_FIRST = {"B", "T", "D*H"};

    private final RecurrentConfig config;
    private final Parameters parameters;
    /**
     * Arrays {@link #backward} lends its runners for the pre-activation gradients, reused across calls (fresh native
     * memory costs a page fault per 4 KiB on first touch): at most two sets, for two threads at once.
     */
    private final ArrayBlockingQueue<Queue<INDArray>> gateGradientScratch = new ArrayBlockingQueue<>(2);
    /** The cache arrays of closed forward results, for the next {@link #forward} (see {@link ForwardResult#close}). */
    private final ArrayBlockingQueue<List<INDArray>> cacheScratch = new ArrayBlockingQueue<>(2);

    private RecurrentNetwork(RecurrentConfig config, Parameters parameters) {
        this.config = config;
        this.parameters = parameters;
    }

    /**
     * A network with PyTorch's default initialisation, every weight and bias uniform in
     * {@code [-1/sqrt(H), 1/sqrt(H)]}, drawn from {@code seed}.
     */
    public static RecurrentNetwork initialize(RecurrentConfig config, long seed) {
        Random random = Nd4j.getRandomFactory().getNewRandomInstance(seed);
        double bound = 1.0 / Math.sqrt(config.hiddenSize());
        List<CellWeights> cells = new ArrayList<>();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            for (int direction = 0; direction < config.directions(); direction++) {
                cells.add(new CellWeights(
                        uniform(random, bound, config, config.gateWidth(), config.layerInputSize(layer)),
                        uniform(random, bound, config, config.gateWidth(), config.hiddenSize()),
                        config.bias() ? uniform(random, bound, config, config.gateWidth()) : null,
                        config.bias() ? uniform(random, bound, config, config.gateWidth()) : null));
            }
        }
        return new RecurrentNetwork(config, new Parameters(config, cells));
    }

    /**
     * A network from a PyTorch {@code state_dict} (e.g. read with {@code SafeTensors.read}): exactly the names
     * {@code weight_ih_l{k}[_reverse]}, {@code weight_hh_l{k}[_reverse]} and, with bias, {@code bias_ih_l{k}...},
     * {@code bias_hh_l{k}...}, in the config's data type. The tensors are copied.
     *
     * @throws IllegalArgumentException for a missing or unexpected name, a wrong shape or data type
     */
    public static RecurrentNetwork fromTorchStateDict(RecurrentConfig config, Map<String, INDArray> stateDict) {
        Parameters parameters = Parameters.fromTorchStateDict(config, stateDict);
        log.debug("Loaded {} tensors for {}", stateDict.size(), config);
        return new RecurrentNetwork(config, parameters);
    }

    /**
     * A network over these parameter arrays, without copying them: in-place updates to the arrays (an optimizer
     * step) are seen by the next forward. For trainers, which own their parameters; a network other threads may be
     * using must not be updated in place.
     */
    public static RecurrentNetwork sharing(Parameters parameters) {
        return new RecurrentNetwork(parameters.config(), parameters);
    }

    /**
     * The network's parameters, the live arrays, not copies. Read them freely; mutate them only for a network
     * created with {@link #sharing} that no other thread is using. {@link #toTorchStateDict()} gives copies.
     */
    public Parameters parameters() {
        return parameters;
    }

    /**
     * A single-step executor with buffers for up to {@code maxBatch} sequences, for streaming one step at a time.
     * See {@link StepSession}; unidirectional networks only.
     *
     * @throws IllegalArgumentException for a bidirectional network or {@code maxBatch < 1}
     */
    public StepSession newStepSession(int maxBatch) {
        return new StepSession(this, maxBatch);
    }

    /** A copy of every parameter under its PyTorch name, in {@code state_dict} order, ready for safetensors. */
    public Map<String, INDArray> toTorchStateDict() {
        Map<String, INDArray> copy = new java.util.LinkedHashMap<>();
        parameters.byTorchName().forEach((name, tensor) -> copy.put(name, tensor.dup()));
        return copy;
    }

    public RecurrentConfig config() {
        return config;
    }

    /** Forward in evaluation mode (no dropout). See {@link #forward(INDArray, RecurrentState, int[], ForwardOptions)}. */
    public ForwardResult forward(INDArray x, RecurrentState initialState, int[] lengths) {
        return forward(x, initialState, lengths, ForwardOptions.EVAL);
    }

    /**
     * Runs every layer and direction over a batch of sequences.
     *
     * @param x {@code [T, B, I]} (or {@code [B, T, I]} when batch-first) in the config's data type; copied
     * @param initialState {@code [L*D, B, H]} h0 (and c0 for the LSTM), or {@code null} for zeros; copied
     * @param lengths B lengths in {@code 1..T}, in any order, or {@code null} when every sequence has T steps.
     *     Steps past a sequence's length are padding: they do not affect anything, their outputs are exactly 0,
     *     the final state is taken at the sequence's own last step and the reverse direction starts there.
     * @param options training (dropout between layers, seeded) or evaluation
     * @return the outputs, the final state, and what {@link #backward} needs
     * @throws IllegalArgumentException for a wrong rank, size or data type, or a length outside {@code 1..T}
     */
    public ForwardResult forward(INDArray x, RecurrentState initialState, int[] lengths, ForwardOptions options) {
        INDArray input = timeMajorCopy("x", x, config.inputSize());
        long steps = input.size(0);
        int batch = (int) input.size(1);
        checkState("initialState", initialState, batch);
        BatchOrder order = BatchOrder.byDescendingLength(checkLengths(lengths, steps, batch));
        BatchLayout layout = BatchLayout.ofSortedLengths(steps, order.sortedLengths());

        // Arrays only this forward and its backward read: freed when the result is closed (see ForwardResult).
        List<INDArray> temporaries = new ArrayList<>();
        INDArray h0 = order.sort(initialState == null ? null : initialState.h());
        INDArray c0 = order.sort(initialState == null ? null : initialState.c());
        INDArray layerInput = sorted(order, input, temporaries);
        List<DirectionCache> caches = new ArrayList<>();
        List<INDArray> dropoutMasks = new ArrayList<>();
        int directions = config.directions();
        // The cache arrays of a closed result, reused in the order it took them (where the shapes match).
        List<INDArray> closedCaches = cacheScratch.poll();
        Queue<INDArray> reusable = closedCaches == null ? null : new ArrayDeque<>(closedCaches);
        for (int layer = 0; layer < config.numLayers(); layer++) {
            List<INDArray> outputs = new ArrayList<>();
            for (int direction = 0; direction < directions; direction++) {
                int index = layer * directions + direction;
                INDArray layerH0 = stateOrZeros(h0, index, batch);
                INDArray layerC0 = config.cell().hasCellState() ? stateOrZeros(c0, index, batch) : null;
                DirectionCache cache = DirectionRunner.forward(config.cell().cell(), parameters.get(layer, direction),
                        layerInput, layerH0, layerC0, layout, direction == 0 ? Direction.FORWARD : Direction.REVERSE,
                        reusable);
                // zeros made for this call, which the runner copied
                NativeBuffer.free(h0 == null ? layerH0 : null, c0 == null ? layerC0 : null);
                caches.add(cache);
                outputs.add(cache.output());
            }
            temporaries.addAll(outputs);
            INDArray layerOutput = outputs.get(0);
            if (directions == 2) {
                layerOutput = Nd4j.concat(2, outputs.get(0), outputs.get(1));
                temporaries.add(layerOutput);
            }
            if (layer < config.numLayers() - 1) {
                INDArray mask = options.training() && config.dropout() > 0
                        ? dropoutMask(layerOutput, options.seed(), layer) : null;
                dropoutMasks.add(mask);
                layerInput = mask == null ? layerOutput : layerOutput.mul(mask);
                if (mask != null) {
                    temporaries.add(mask);
                    temporaries.add(layerInput);
                }
            } else {
                layerInput = layerOutput;
            }
        }
        if (initialState != null) { // the sorted copies, where sorting made any
            NativeBuffer.free(h0 != initialState.h() ? h0 : null, c0 != initialState.c() ? c0 : null);
        }

        INDArray callersOrder = order.unsort(layerInput); // layerInput itself is among the temporaries
        INDArray output = fromTimeMajor(callersOrder);
        if (callersOrder != layerInput && callersOrder != output) {
            callersOrder.close();
        }
        temporaries.removeIf(array -> array == output); // the caller's
        RecurrentState finalState = new RecurrentState(unsorted(order, stack(caches, DirectionCache::finalHidden,
                batch)), config.cell().hasCellState() ? unsorted(order, stack(caches, DirectionCache::finalCell, batch))
                : null);
        return new ForwardResult(output, finalState, this, List.copyOf(caches), dropoutMasks, order, cacheScratch,
                temporaries);
    }

    /** {@code order.unsort(array)}, freeing {@code array} (the caller's own, or null) if unsorting copied it. */
    private static INDArray unsorted(BatchOrder order, INDArray array) {
        INDArray unsorted = order.unsort(array);
        if (unsorted != array) {
            array.close();
        }
        return unsorted;
    }

    /** {@code order.sort(array)}, freeing {@code array} if sorting copied it; the result goes to {@code owned}. */
    private static INDArray sorted(BatchOrder order, INDArray array, List<INDArray> owned) {
        INDArray sorted = order.sort(array);
        if (sorted != array) {
            array.close();
        }
        owned.add(sorted);
        return sorted;
    }

    /**
     * Backpropagation through time over every step.
     *
     * @param forward what {@link #forward} returned, from this network
     * @param dOutput dL/d(output), the shape of {@link ForwardResult#output()}, or {@code null}; entries at padded
     *     steps are ignored
     * @param dFinalState dL/d(final state) {@code [L*D, B, H]} (c only for the LSTM, either may be {@code null}),
     *     or {@code null}
     * @return dL/dx, dL/d(initial state) and dL/d(each parameter)
     * @throws IllegalArgumentException for a result of another network, or a wrong shape or data type
     */
    public Gradients backward(ForwardResult forward, INDArray dOutput, RecurrentState dFinalState) {
        checkForward(forward);
        return backward(forward, dOutput, dFinalState, 0);
    }

    /**
     * Truncated backpropagation through time: gradients flow only through the last {@code steps} time steps.
     * The state entering the window is treated as a constant (detached), so upstream gradients before the window
     * are ignored, dL/dx is 0 there and dL/d(initial state) is 0 unless the window covers every step. Continue a
     * long sequence by passing {@link ForwardResult#finalState()} as the next segment's initial state.
     *
     * @param steps k, in {@code 1..T}
     * @throws IllegalArgumentException for a bidirectional network (the reverse direction starts past the
     *     window), a {@code steps} outside {@code 1..T}, or the cases of {@link #backward}
     */
    public Gradients backwardTruncated(ForwardResult forward, INDArray dOutput, RecurrentState dFinalState,
            int steps) {
        checkForward(forward);
        if (config.bidirectional()) {
            throw new IllegalArgumentException("backwardTruncated: expected a unidirectional network but "
                    + config + " is bidirectional; truncated BPTT cuts the past, which the reverse direction needs");
        }
        if (steps < 1 || steps > forward.steps()) {
            throw new IllegalArgumentException("steps: expected 1.." + forward.steps() + " but was " + steps);
        }
        return backward(forward, dOutput, dFinalState, forward.steps() - steps);
    }

    private Gradients backward(ForwardResult forward, INDArray dOutput, RecurrentState dFinalState,
            long windowStart) {
        int batch = (int) forward.batch();
        int directions = config.directions();
        BatchOrder order = forward.order;
        if (dOutput != null) { // every dimension, B included: a larger B would otherwise be silently cut
            Shapes.requireShape("dOutput", dOutput, config.batchFirst() ? OUTPUT_BATCH_FIRST : OUTPUT,
                    forward.output().shape());
        }
        List<INDArray> owned = new ArrayList<>(1);
        INDArray dLayerOutput = dOutput == null ? null
                : sorted(order, timeMajorCopy("dOutput", dOutput, directions * config.hiddenSize()), owned);
        checkState("dFinalState", dFinalState, batch);
        INDArray dHFinal = order.sort(dFinalState == null ? null : dFinalState.h());
        INDArray dCFinal = order.sort(dFinalState == null ? null : dFinalState.c());

        DataType type = config.dataType();
        List<CellWeights> dCells = new ArrayList<>(java.util.Collections.nCopies(forward.caches.size(), null));
        INDArray dH0 = Nd4j.zeros(type, (long) config.numLayers() * directions, batch, config.hiddenSize());
        INDArray dC0 = config.cell().hasCellState() ? dH0.ulike().assign(0.0) : null;
        INDArray dLayerInput;
        Queue<INDArray> pooled = gateGradientScratch.poll();
        Queue<INDArray> scratch = pooled != null ? pooled : new ArrayDeque<>(2);
        try {
            dLayerInput = backwardLayers(forward, dLayerOutput, dHFinal, dCFinal, windowStart, dCells, dH0, dC0,
                    scratch);
        } finally {
            gateGradientScratch.offer(scratch); // when the pool is full, the arrays are dropped and collected
            NativeBuffer.free(owned.toArray(INDArray[]::new));
            if (dFinalState != null) { // the sorted copies, where sorting made any
                NativeBuffer.free(dHFinal != dFinalState.h() ? dHFinal : null,
                        dCFinal != dFinalState.c() ? dCFinal : null);
            }
        }
        INDArray dInputCallersOrder = unsorted(order, dLayerInput);
        INDArray dInput = fromTimeMajor(dInputCallersOrder);
        if (dInput != dInputCallersOrder) {
            dInputCallersOrder.close();
        }
        return new Gradients(dInput,
                new RecurrentState(unsorted(order, dH0), unsorted(order, dC0)),
                new Parameters(config, dCells));
    }

    /** Every layer and direction in reverse, writing {@code dCells}, {@code dH0} and {@code dC0}; returns dL/dx. */
    private INDArray backwardLayers(ForwardResult forward, INDArray dLayerOutput, INDArray dHFinal, INDArray dCFinal,
            long windowStart, List<CellWeights> dCells, INDArray dH0, INDArray dC0, Queue<INDArray> scratch) {
        int directions = config.directions();
        INDArray topOutput = dLayerOutput; // the caller's: freed by the caller
        INDArray dLayerInput = null;
        for (int layer = config.numLayers() - 1; layer >= 0; layer--) {
            dLayerInput = null;
            for (int direction = 0; direction < directions; direction++) {
                int index = layer * directions + direction;
                INDArray dY = dLayerOutput == null ? null : directions == 1 ? dLayerOutput
                        : dLayerOutput.get(NDArrayIndex.all(), NDArrayIndex.all(),
                                NDArrayIndex.interval((long) direction * config.hiddenSize(),
                                        (long) (direction + 1) * config.hiddenSize())).dup('c');
                DirectionGradients g = DirectionRunner.backward(forward.caches.get(index), dY,
                        dHFinal == null ? null : dHFinal.slice(index),
                        dCFinal == null ? null : dCFinal.slice(index), windowStart, scratch);
                if (dY != dLayerOutput) { // a direction's copy
                    dY.close();
                }
                dCells.set(index, g.weights());
                dH0.slice(index).assign(g.initialHidden());
                if (dC0 != null) {
                    dC0.slice(index).assign(g.initialCell());
                }
                NativeBuffer.free(g.initialHidden(), g.initialCell());
                if (dLayerInput == null) {
                    dLayerInput = g.input();
                } else { // sums the directions
                    dLayerInput.addi(g.input());
                    g.input().close();
                }
            }
            if (dLayerOutput != topOutput) { // made for this layer by the one above
                dLayerOutput.close();
            }
            if (layer > 0) {
                INDArray mask = forward.dropoutMasks.get(layer - 1);
                dLayerOutput = dLayerInput;
                if (mask != null) {
                    dLayerOutput = dLayerInput.mul(mask);
                    dLayerInput.close();
                }
            }
        }
        return dLayerInput;
    }

    /**
     * Checks {@code x} ({@code [T, B, features]}, or batch-first) and returns a time-major 'c' copy.
     */
    private INDArray timeMajorCopy(String name, INDArray x, long features) {
        Shapes.requireShape(name, x, config.batchFirst() ? SEQUENCE_BATCH_FIRST : SEQUENCE,
                new long[] {-1, -1, features});
        Shapes.requireDataType(name, x, config.dataType());
        if (x.length() == 0) {
            throw new IllegalArgumentException(name + ": expected at least one step and one sequence but was "
                    + Arrays.toString(x.shape()));
        }
        return config.batchFirst() ? x.permute(1, 0, 2).dup('c') : x.dup('c');
    }

    /** Time-major {@code [T, B, *]} to the caller's layout. */
    private INDArray fromTimeMajor(INDArray sequence) {
        return config.batchFirst() ? sequence.permute(1, 0, 2).dup('c') : sequence;
    }

    private void checkState(String name, RecurrentState state, int batch) {
        if (state == null) {
            return;
        }
        long[] shape = {(long) config.numLayers() * config.directions(), batch, config.hiddenSize()};
        if (state.h() != null) {
            Shapes.requireShape(name + ".h", state.h(), STATE, shape);
            Shapes.requireDataType(name + ".h", state.h(), config.dataType());
        }
        if (state.c() != null) {
            if (!config.cell().hasCellState()) {
                throw new IllegalArgumentException(name + ".c: expected null for a " + config.cell()
                        + " network (only the LSTM has a cell state) but was " + Arrays.toString(state.c().shape()));
            }
            Shapes.requireShape(name + ".c", state.c(), STATE, shape);
            Shapes.requireDataType(name + ".c", state.c(), config.dataType());
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
        return lengths;
    }

    private void checkForward(ForwardResult forward) {
        if (forward == null || forward.network != this) {
            throw new IllegalArgumentException("forward: expected the result of this network's forward but was "
                    + (forward == null ? "null" : "the result of another network"));
        }
        if (forward.isClosed()) {
            throw new IllegalArgumentException("forward: expected an open result but it was closed (close() hands "
                    + "its caches back for reuse); run forward again");
        }
    }

    /** Row block {@code index} of a {@code [L*D, B, H]} state, or zeros. */
    private INDArray stateOrZeros(INDArray state, int index, int batch) {
        return state == null ? Nd4j.zeros(config.dataType(), batch, config.hiddenSize()) : state.slice(index);
    }

    /** {@code [L*D, B, H]} from each cache's {@code [B, H]} state. */
    private INDArray stack(List<DirectionCache> caches, java.util.function.Function<DirectionCache, INDArray> part,
            int batch) {
        INDArray stacked = Nd4j.create(config.dataType(), caches.size(), batch, config.hiddenSize());
        for (int index = 0; index < caches.size(); index++) {
            stacked.slice(index).assign(part.apply(caches.get(index)));
        }
        return stacked;
    }

    /** Inverted dropout: each entry is 0 with probability p, else 1/(1-p); drawn from (seed, layer). */
    private INDArray dropoutMask(INDArray like, long seed, int layer) {
        Random random = Nd4j.getRandomFactory().getNewRandomInstance(seed * 31 + layer);
        INDArray mask = like.ulike();
        Nd4j.getExecutioner().exec(new BernoulliDistribution(mask, 1.0 - config.dropout()), random);
        return mask.muli(1.0 / (1.0 - config.dropout()));
    }

    private static INDArray uniform(Random random, double bound, RecurrentConfig config, long... shape) {
        INDArray array = Nd4j.create(config.dataType(), shape);
        Nd4j.getExecutioner().exec(new UniformDistribution(array, -bound, bound), random);
        return array;
    }
}
