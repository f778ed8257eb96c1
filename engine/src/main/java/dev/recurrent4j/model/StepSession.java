package dev.recurrent4j.model;

import dev.recurrent4j.tensor.Blas;
import dev.recurrent4j.cell.Cell;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.cell.StepTensors;
import dev.recurrent4j.tensor.Shapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One time step of a unidirectional network for up to {@code maxBatch} sequences at a time, for streaming: the
 * caller keeps each sequence's state and hands it in with each step. The same cells as
 * {@link RecurrentNetwork#forward} (same numbers), without any of the caches backward needs, working in buffers
 * allocated once when the session is created.
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
    /** Per layer: {@code [maxBatch, G*H]} gates, recurrent projection (GRU) and scratch. */
    private final INDArray[] gates;
    private final INDArray[] hiddenProjection;
    private final INDArray[] scratch;
    /** Per layer: {@code [maxBatch, H]} the new hidden state, the new cell state and tanh of it (LSTM). */
    private final INDArray[] hNext;
    private final INDArray[] cNext;
    private final INDArray[] tanhC;
    /** Per layer: the input-projection bias ({@code [G*H]}), or null without bias. */
    private final INDArray[] inputBias;

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
        gates = new INDArray[layers];
        hiddenProjection = new INDArray[layers];
        scratch = new INDArray[layers];
        hNext = new INDArray[layers];
        cNext = new INDArray[layers];
        tanhC = new INDArray[layers];
        inputBias = new INDArray[layers];
        for (int layer = 0; layer < layers; layer++) {
            gates[layer] = Nd4j.create(type, maxBatch, gateWidth);
            hiddenProjection[layer] = cell.separateRecurrentGradient() ? Nd4j.create(type, maxBatch, gateWidth) : null;
            scratch[layer] = Nd4j.create(type, maxBatch, gateWidth);
            hNext[layer] = Nd4j.create(type, maxBatch, hidden);
            cNext[layer] = lstm ? Nd4j.create(type, maxBatch, hidden) : null;
            tanhC[layer] = lstm ? Nd4j.create(type, maxBatch, hidden) : null;
            inputBias[layer] = cell.inputProjectionBias(network.parameters().get(layer, 0));
        }
    }

    /** The most sequences one {@link #step} takes. */
    public int maxBatch() {
        return maxBatch;
    }

    /**
     * Advances {@code b} sequences by one step.
     *
     * @param x {@code [b, I]} this step's inputs, {@code 1 <= b <= maxBatch}; not mutated
     * @param state {@code [L, b, H]} h (and c for the LSTM), 'c' order; read, then overwritten with the new state
     * @return {@code [b, H]} the last layer's output: a view of this session's buffer, valid until the next call
     * @throws IllegalArgumentException for a wrong shape or data type, or {@code b > maxBatch}
     */
    public INDArray step(INDArray x, RecurrentState state) {
        long b = checkArguments(x, state);
        INDArray layerInput = x;
        for (int layer = 0; layer < config.numLayers(); layer++) {
            CellWeights weights = network.parameters().get(layer, 0);
            INDArray layerGates = rows(gates[layer], b);
            Blas.gemm(layerInput, false, weights.weightIh(), true, 1.0, 0.0, layerGates);
            if (inputBias[layer] != null) {
                layerGates.addiRowVector(inputBias[layer]);
            }
            INDArray h = state.h().slice(layer);
            INDArray c = state.c() == null ? null : state.c().slice(layer);
            cell.forward(weights, new StepTensors(layerGates, rows(hiddenProjection[layer], b), h,
                    rows(hNext[layer], b), c, rows(cNext[layer], b), rows(tanhC[layer], b),
                    rows(scratch[layer], b)));
            h.assign(rows(hNext[layer], b));
            if (c != null) {
                c.assign(rows(cNext[layer], b));
            }
            layerInput = rows(hNext[layer], b);
        }
        return layerInput;
    }

    private long checkArguments(INDArray x, RecurrentState state) {
        Shapes.requireShape("x", x, INPUT, new long[] {-1, config.inputSize()});
        Shapes.requireDataType("x", x, config.dataType());
        long b = x.size(0);
        if (b < 1 || b > maxBatch) {
            throw new IllegalArgumentException("x: expected 1..maxBatch=" + maxBatch + " rows but was " + b);
        }
        if (state == null) {
            throw new IllegalArgumentException("state: expected h" + (config.cell().hasCellState() ? " and c" : "")
                    + " of [L=" + config.numLayers() + ", b=" + b + ", H=" + config.hiddenSize() + "] but was null");
        }
        long[] shape = {config.numLayers(), b, config.hiddenSize()};
        Shapes.requireShape("state.h", state.h(), STATE, shape);
        Shapes.requireDataType("state.h", state.h(), config.dataType());
        if (config.cell().hasCellState()) {
            Shapes.requireShape("state.c", state.c(), STATE, shape);
            Shapes.requireDataType("state.c", state.c(), config.dataType());
        } else if (state.c() != null) {
            throw new IllegalArgumentException("state.c: expected null for a " + config.cell() + " network but was "
                    + java.util.Arrays.toString(state.c().shape()));
        }
        if (state.h().ordering() != 'c' || (state.c() != null && state.c().ordering() != 'c')) {
            throw new IllegalArgumentException("state: expected 'c' order arrays (they are updated in place)");
        }
        return b;
    }

    /** Rows {@code [0, b)}: the buffer itself when full, else a contiguous view; {@code null} stays null. */
    private static INDArray rows(INDArray matrix, long b) {
        if (matrix == null || b == matrix.size(0)) {
            return matrix;
        }
        return matrix.get(NDArrayIndex.interval(0, b), NDArrayIndex.all());
    }
}
