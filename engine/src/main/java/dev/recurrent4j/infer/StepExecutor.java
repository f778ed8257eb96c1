package dev.recurrent4j.infer;

import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentState;
import dev.recurrent4j.model.StepSession;
import dev.recurrent4j.tensor.MatrixRegion;
import dev.recurrent4j.tensor.NativeBuffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One {@link StepSession} of up to {@code maxBatch} rows, the native arrays it steps and the plumbing that moves
 * streams' Java-heap states and inputs in and their states and outputs out, by plain memory copies through NIO
 * views made once. Every array, view and region is made in the constructor: with the CPU fast paths a step
 * allocates nothing (see {@code SteadyStateMemoryTest}).
 *
 * <p>Layouts follow {@link StepSession}: for a step of {@code b} rows the state is {@code [L, b, H]} 'c' order, so
 * row {@code j} of layer {@code l} starts at element {@code (l*b + j)*H}; inputs are {@code [b, I]}.
 *
 * <p>Not thread-safe: one thread at a time (the model pools them; the batcher owns one).
 */
final class StepExecutor {
    private final StepSession session;
    private final OutputHead head;
    /** The head's allocation-free form when it is a {@link LinearHead}, else null. */
    private final LinearHead.Bound linearHead;
    /** Per b: the last layer's new h {@code [b, H]} and the logits {@code [b, O]} as regions, for {@link #linearHead}. */
    private final MatrixRegion[] lastHidden;
    private final MatrixRegion[] logitRegions;
    final int maxBatch;
    private final int layers;
    private final int hidden;
    private final int inputSize;
    private final int outputSize;
    private final int elementBytes;
    private final boolean lstm;
    private final boolean isFloat;

    /** Per b in 1..maxBatch: {@code [b, I]}, {@code [L, b, H]} h and c, {@code [b, O]} logits; views made once. */
    private final INDArray[] inputs;
    private final RecurrentState[] states;
    private final INDArray[] logits;
    /** NIO views of the whole buffers above, native order. */
    private final ByteBuffer inputBytes;
    private final ByteBuffer hBytes;
    private final ByteBuffer cBytes;
    private final FloatBuffer inputFloats;
    private final DoubleBuffer inputDoubles;
    private final FloatBuffer hFloats;
    private final DoubleBuffer hDoubles;
    private final FloatBuffer logitFloats;
    private final DoubleBuffer logitDoubles;

    StepExecutor(InferenceModel model, int maxBatch) {
        RecurrentConfig config = model.config();
        this.session = model.network().newStepSession(maxBatch);
        this.head = model.head().orElse(null);
        this.maxBatch = maxBatch;
        this.layers = config.numLayers();
        this.hidden = config.hiddenSize();
        this.inputSize = config.inputSize();
        this.outputSize = model.outputSize();
        DataType type = config.dataType();
        this.isFloat = type == DataType.FLOAT;
        this.elementBytes = type.width();
        this.lstm = config.cell().hasCellState();

        INDArray inputFlat = Nd4j.create(type, (long) maxBatch * inputSize);
        INDArray hFlat = Nd4j.create(type, (long) layers * maxBatch * hidden);
        INDArray cFlat = lstm ? Nd4j.create(type, (long) layers * maxBatch * hidden) : null;
        INDArray logitFlat = head == null ? null : Nd4j.create(type, (long) maxBatch * outputSize);
        inputs = new INDArray[maxBatch + 1];
        states = new RecurrentState[maxBatch + 1];
        logits = new INDArray[maxBatch + 1];
        for (int b = 1; b <= maxBatch; b++) {
            inputs[b] = prefix(inputFlat, b, inputSize);
            states[b] = new RecurrentState(prefix(hFlat, layers, b, hidden),
                    lstm ? prefix(cFlat, layers, b, hidden) : null);
            logits[b] = head == null ? null : prefix(logitFlat, b, outputSize);
        }
        linearHead = head instanceof LinearHead linear ? linear.bind(maxBatch) : null;
        lastHidden = new MatrixRegion[maxBatch + 1];
        logitRegions = new MatrixRegion[maxBatch + 1];
        if (linearHead != null) {
            NativeBuffer hMemory = NativeBuffer.of(hFlat);
            NativeBuffer logitMemory = NativeBuffer.of(logitFlat);
            for (int b = 1; b <= maxBatch; b++) {
                lastHidden[b] = MatrixRegion.block(hMemory, layers - 1, b, hidden);
                logitRegions[b] = new MatrixRegion(logitMemory, 0, b, outputSize);
            }
        }
        inputBytes = nio(inputFlat);
        hBytes = nio(hFlat);
        cBytes = lstm ? nio(cFlat) : null;
        ByteBuffer logitBytes = head == null ? null : nio(logitFlat);
        inputFloats = isFloat ? inputBytes.asFloatBuffer() : null;
        inputDoubles = isFloat ? null : inputBytes.asDoubleBuffer();
        hFloats = isFloat ? hBytes.asFloatBuffer() : null;
        hDoubles = isFloat ? null : hBytes.asDoubleBuffer();
        logitFloats = logitBytes != null && isFloat ? logitBytes.asFloatBuffer() : null;
        logitDoubles = logitBytes != null && !isFloat ? logitBytes.asDoubleBuffer() : null;
    }

    /** Copies a stream's {@code [L, H]} state into row {@code row} of a {@code b}-row step. */
    void loadState(int row, int b, ByteBuffer h, ByteBuffer c) {
        int rowBytes = hidden * elementBytes;
        for (int layer = 0; layer < layers; layer++) {
            int at = ((layer * b) + row) * rowBytes;
            hBytes.put(at, h, layer * rowBytes, rowBytes);
            if (lstm) {
                cBytes.put(at, c, layer * rowBytes, rowBytes);
            }
        }
    }

    /** Copies row {@code row} of the state after a {@code b}-row step into a stream's {@code [L, H]} state. */
    void storeState(int row, int b, ByteBuffer h, ByteBuffer c) {
        int rowBytes = hidden * elementBytes;
        for (int layer = 0; layer < layers; layer++) {
            int at = ((layer * b) + row) * rowBytes;
            h.put(layer * rowBytes, hBytes, at, rowBytes);
            if (lstm) {
                c.put(layer * rowBytes, cBytes, at, rowBytes);
            }
        }
    }

    /** Writes {@code x[offset .. offset+I)} as the input of row {@code row}, in the model's data type. */
    void loadInput(int row, double[] x, int offset) {
        int at = row * inputSize;
        if (isFloat) {
            for (int k = 0; k < inputSize; k++) {
                inputFloats.put(at + k, (float) x[offset + k]);
            }
        } else {
            inputDoubles.put(at, x, offset, inputSize);
        }
    }

    /** Runs one step of the first {@code b} rows (one recurrent GEMM per layer for all of them), and the head. */
    void step(int b) {
        assert b >= 1 && b <= maxBatch;
        INDArray output = session.step(inputs[b], states[b]);
        if (linearHead != null) {
            linearHead.apply(lastHidden[b], logitRegions[b]);
        } else if (head != null) {
            head.apply(output, logits[b]);
        }
    }

    /**
     * Copies row {@code row}'s output of the last {@code b}-row step (the head's O values, or the last layer's H)
     * into {@code out[offset ..)}.
     */
    void readOutput(int row, int b, double[] out, int offset) {
        if (head != null) {
            int at = row * outputSize;
            if (isFloat) {
                for (int k = 0; k < outputSize; k++) {
                    out[offset + k] = logitFloats.get(at + k);
                }
            } else {
                logitDoubles.get(at, out, offset, outputSize);
            }
        } else {
            int at = ((layers - 1) * b + row) * hidden; // the last layer's new h is the output
            if (isFloat) {
                for (int k = 0; k < hidden; k++) {
                    out[offset + k] = hFloats.get(at + k);
                }
            } else {
                hDoubles.get(at, out, offset, hidden);
            }
        }
    }

    /** A view {@code [rows, columns]} over the first elements of a flat 'c' buffer. */
    private static INDArray prefix(INDArray flat, long rows, long columns) {
        return Nd4j.create(flat.data(), new long[] {rows, columns}, new long[] {columns, 1}, 0, 'c',
                flat.dataType());
    }

    /** A view {@code [L, b, H]} over the first elements of a flat 'c' buffer. */
    private static INDArray prefix(INDArray flat, long layers, long rows, long columns) {
        return Nd4j.create(flat.data(), new long[] {layers, rows, columns},
                new long[] {rows * columns, columns, 1}, 0, 'c', flat.dataType());
    }

    private static ByteBuffer nio(INDArray flat) {
        assert !flat.isView() && flat.offset() == 0;
        ByteBuffer bytes = flat.data().asNio().order(ByteOrder.nativeOrder());
        assert bytes.capacity() >= flat.length() * flat.dataType().width();
        return bytes;
    }
}
