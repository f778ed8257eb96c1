package dev.recurrent4j.model;

import dev.recurrent4j.tensor.Blas;
import dev.recurrent4j.tensor.MatrixRegion;
import dev.recurrent4j.tensor.NativeBuffer;
import dev.recurrent4j.cell.Cell;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.cell.StepTensors;
import dev.recurrent4j.tensor.Shapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One time step of a unidirectional network for up to {@code maxBatch} sequences at a time, for streaming: the
 * caller keeps each sequence's state and hands it in with each step, and the session overwrites it with the next.
 * The same cells as {@link RecurrentNetwork#forward} (same numbers), without any of the caches backward needs,
 * working in buffers allocated once when the session is created: a step creates no ND4J array, and once a caller's
 * arrays have been seen (a few per row count), no Java object either.
 *
 * <p>A session is not thread-safe: use one per thread (the network itself is shared). Create with
 * {@link RecurrentNetwork#newStepSession(int)}.
 */
public final class StepSession {
    private static final String[] INPUT = {"b", "I"};
    private static final String[] STATE = {"L", "b", "H"};

    private final RecurrentNetwork network;
    private final RecurrentConfig config;
    private final Cell cell;
    private final int maxBatch;
    /** {@code [maxBatch, 1]} ones, to broadcast the bias rows with one product. */
    private final MatrixRegion ones;
    /** Per layer: {@code [maxBatch, G*H]} gates, recurrent projection (GRU) and scratch. */
    private final MatrixRegion[] gates;
    private final MatrixRegion[] hiddenProjection;
    private final MatrixRegion[] scratch;
    /** Per layer: {@code [maxBatch, H]} tanh of the new cell state (LSTM). */
    private final MatrixRegion[] tanhC;
    /** Per layer: {@code [1, G*H]} the input-projection bias, or null without bias. */
    private final MatrixRegion[] inputBias;
    /** The caller's recent arrays and their memory: callers that reuse their arrays allocate nothing here. */
    private final MemoryCache inputs;
    private final MemoryCache hiddenStates;
    private final MemoryCache cellStates;
    /** Per row count b: the input region, and per layer the step's tensors, for the state memory they were made for. */
    private final MatrixRegion[] inputRegions;
    private final MatrixRegion[] onesByRows;
    private final StepTensors[][] stepTensors;
    private INDArray lastStateH;
    private INDArray lastOutput;
    /** Per layer: the weights as regions. */
    private final MatrixRegion[] weightIh;
    private final MatrixRegion[] weightHh;
    private final MatrixRegion[] biasHh;

    StepSession(RecurrentNetwork network, int maxBatch) {
        this.network = network;
        this.config = network.config();
        if (config.bidirectional()) {
            throw new IllegalArgumentException("network: expected a unidirectional network for step-by-step use but "
                    + config + " is bidirectional; its reverse direction needs the whole sequence");
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch: expected at least 1 but was " + maxBatch);
        }
        this.cell = config.cell().cell();
        this.maxBatch = maxBatch;
        int layers = config.numLayers();
        DataType type = config.dataType();
        long gateWidth = config.gateWidth();
        long hidden = config.hiddenSize();
        boolean lstm = config.cell().hasCellState();
        ones = MatrixRegion.of(Nd4j.ones(type, maxBatch, 1));
        // one entry per row count, so that a batcher alternating between sizes (one array per size) reuses them all
        inputs = new MemoryCache(maxBatch + 1);
        hiddenStates = new MemoryCache(maxBatch + 1);
        cellStates = new MemoryCache(maxBatch + 1);
        inputRegions = new MatrixRegion[maxBatch + 1];
        onesByRows = new MatrixRegion[maxBatch + 1];
        stepTensors = new StepTensors[layers][maxBatch + 1];
        gates = new MatrixRegion[layers];
        hiddenProjection = new MatrixRegion[layers];
        scratch = new MatrixRegion[layers];
        tanhC = new MatrixRegion[layers];
        inputBias = new MatrixRegion[layers];
        weightIh = new MatrixRegion[layers];
        weightHh = new MatrixRegion[layers];
        biasHh = new MatrixRegion[layers];
        for (int layer = 0; layer < layers; layer++) {
            CellWeights weights = network.parameters().get(layer, 0);
            gates[layer] = MatrixRegion.of(Nd4j.create(type, maxBatch, gateWidth));
            hiddenProjection[layer] = cell.separateRecurrentGradient()
                    ? MatrixRegion.of(Nd4j.create(type, maxBatch, gateWidth)) : null;
            scratch[layer] = MatrixRegion.of(Nd4j.create(type, maxBatch, gateWidth));
            tanhC[layer] = lstm ? MatrixRegion.of(Nd4j.create(type, maxBatch, hidden)) : null;
            INDArray bias = cell.inputProjectionBias(weights);
            inputBias[layer] = bias == null ? null : MatrixRegion.of(bias);
            weightIh[layer] = MatrixRegion.of(weights.weightIh());
            weightHh[layer] = MatrixRegion.of(weights.weightHh());
            biasHh[layer] = weights.hasBias() ? MatrixRegion.of(weights.biasHh()) : null;
        }
    }

    /** The most sequences one {@link #step} takes. */
    public int maxBatch() {
        return maxBatch;
    }

    /**
     * Advances {@code b} sequences by one step.
     *
     * @param x {@code [b, I]} this step's inputs, {@code 1 <= b <= maxBatch}, contiguous 'c' order; not mutated
     * @param state {@code [L, b, H]} h (and c for the LSTM), contiguous 'c' order; read, then overwritten in place
     *     with the new state
     * @return {@code [b, H]} the last layer's new hidden state: a view of {@code state.h()}
     * @throws IllegalArgumentException for a wrong shape, order or data type, or {@code b > maxBatch}
     */
    public INDArray step(INDArray x, RecurrentState state) {
        int b = checkArguments(x, state);
        NativeBuffer h = hiddenStates.of(state.h());
        NativeBuffer c = state.c() == null ? null : cellStates.of(state.c());
        MatrixRegion layerInput = inputRegion(b, inputs.of(x));
        for (int layer = 0; layer < config.numLayers(); layer++) {
            StepTensors tensors = stepTensors(layer, b, h, c);
            MatrixRegion layerGates = tensors.gates();
            Blas.gemm(layerInput, false, weightIh[layer], true, 1.0, 0.0, layerGates);
            if (inputBias[layer] != null) { // + bias in every row, as a rank-1 product: x W^T + b, rounded once
                Blas.gemm(onesRows(b), false, inputBias[layer], false, 1.0, 1.0, layerGates);
            }
            cell.forward(network.parameters().get(layer, 0), tensors);
            layerInput = tensors.hNext();
        }
        if (state.h() != lastStateH) {
            lastStateH = state.h();
            lastOutput = state.h().slice(config.numLayers() - 1);
        }
        return lastOutput;
    }

    /** {@code [b, 1]} ones, made once per row count. */
    private MatrixRegion onesRows(int b) {
        MatrixRegion region = onesByRows[b];
        if (region == null) {
            region = ones.firstRows(b);
            onesByRows[b] = region;
        }
        return region;
    }

    private MatrixRegion inputRegion(int b, NativeBuffer x) {
        MatrixRegion region = inputRegions[b];
        if (region == null || region.buffer() != x) {
            region = new MatrixRegion(x, 0, b, config.inputSize());
            inputRegions[b] = region;
        }
        return region;
    }

    /**
     * Layer {@code layer}'s tensors for {@code b} rows over the state memory {@code h} (and {@code c}). The new state
     * is written over the old one (hPrev and hNext are the same region): each cell reads an element before writing it.
     */
    private StepTensors stepTensors(int layer, int b, NativeBuffer h, NativeBuffer c) {
        StepTensors tensors = stepTensors[layer][b];
        if (tensors != null && tensors.hPrev().buffer() == h && (c == null || tensors.cPrev().buffer() == c)) {
            return tensors;
        }
        long hiddenSize = config.hiddenSize();
        MatrixRegion layerH = MatrixRegion.block(h, layer, b, hiddenSize);
        MatrixRegion layerC = c == null ? null : MatrixRegion.block(c, layer, b, hiddenSize);
        tensors = new StepTensors(gates[layer].firstRows(b),
                hiddenProjection[layer] == null ? null : hiddenProjection[layer].firstRows(b),
                layerH, layerH, layerC, layerC, tanhC[layer] == null ? null : tanhC[layer].firstRows(b),
                scratch[layer].firstRows(b), weightHh[layer], biasHh[layer]);
        stepTensors[layer][b] = tensors;
        return tensors;
    }

    /** The memory of recently seen arrays, by identity; a new wrapper only for an array not among them. */
    private static final class MemoryCache {
        private final INDArray[] arrays;
        private final NativeBuffer[] memory;
        private int next;

        MemoryCache(int capacity) {
            arrays = new INDArray[capacity];
            memory = new NativeBuffer[capacity];
        }

        NativeBuffer of(INDArray candidate) {
            for (int k = 0; k < arrays.length; k++) {
                if (arrays[k] == candidate) {
                    return memory[k];
                }
            }
            int slot = next;
            next = (next + 1) % arrays.length;
            arrays[slot] = candidate;
            memory[slot] = NativeBuffer.of(candidate);
            return memory[slot];
        }
    }

    /** The row count b; the checks read ND4J's shape fields only, the descriptive messages are built on failure. */
    private int checkArguments(INDArray x, RecurrentState state) {
        if (x == null || x.rank() != 2 || x.size(1) != config.inputSize()) {
            Shapes.requireShape("x", x, INPUT, new long[] {-1, config.inputSize()});
        }
        Shapes.requireDataType("x", x, config.dataType());
        long b = x.size(0);
        if (b < 1 || b > maxBatch) {
            throw new IllegalArgumentException("x: expected 1..maxBatch=" + maxBatch + " rows but was " + b);
        }
        if (state == null) {
            throw new IllegalArgumentException("state: expected h" + (config.cell().hasCellState() ? " and c" : "")
                    + " of [L=" + config.numLayers() + ", b=" + b + ", H=" + config.hiddenSize() + "] but was null");
        }
        requireState("state.h", state.h(), b);
        if (config.cell().hasCellState()) {
            requireState("state.c", state.c(), b);
        } else if (state.c() != null) {
            throw new IllegalArgumentException("state.c: expected null for a " + config.cell() + " network but was "
                    + java.util.Arrays.toString(state.c().shape()));
        }
        requireContiguous("x", x);
        requireContiguous("state.h", state.h());
        if (state.c() != null) {
            requireContiguous("state.c", state.c());
        }
        return (int) b;
    }

    private void requireState(String name, INDArray array, long b) {
        if (array == null || array.rank() != 3 || array.size(0) != config.numLayers() || array.size(1) != b
                || array.size(2) != config.hiddenSize()) {
            Shapes.requireShape(name, array, STATE, new long[] {config.numLayers(), b, config.hiddenSize()});
        }
        Shapes.requireDataType(name, array, config.dataType());
    }

    private static void requireContiguous(String name, INDArray array) {
        if (array.ordering() != 'c' || (array.length() > 1 && array.elementWiseStride() != 1)) {
            throw new IllegalArgumentException(name + ": expected a contiguous 'c' order array (states are updated in"
                    + " place) but was order " + array.ordering() + " with element-wise stride "
                    + array.elementWiseStride());
        }
    }
}
