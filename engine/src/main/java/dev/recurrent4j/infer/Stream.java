package dev.recurrent4j.infer;

import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Clock;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One conversation's hidden state: step it one input or several at a time, read what it produced, reset it,
 * snapshot it to bytes and restore it elsewhere ({@link InferenceModel#restoreStream}), close it.
 *
 * <p>The state lives on the Java heap ({@code [L, H]} h, and c for the LSTM, in the model's data type), not in
 * native memory: a stream costs {@code L*H*(1 or 2)} numbers and nothing to close, and an evicted or dropped stream
 * is ordinary garbage. A step copies it into a pooled executor's native buffers and back.
 *
 * <p>Steps of one stream are sequential: a stream steps either in the calling thread ({@link #step(double[])}) or
 * through a {@link ContinuousBatcher}, one call at a time. A second step while one is in flight, from any thread,
 * is an {@link IllegalStateException}, not a race; different streams step concurrently without limit. Inputs and
 * outputs are {@code double[]} whatever the model's data type (a float32 model rounds inputs to float, as
 * {@code castTo} does; its outputs widen exactly).
 *
 * <p>Only unidirectional networks can stream: the reverse direction needs the whole sequence.
 */
public final class Stream implements AutoCloseable {
    private static final int IDLE = 0;
    private static final int BUSY = 1;
    private static final int BUSY_CLOSING = 2;
    private static final int CLOSED = 3;

    private final InferenceModel model;
    private final String id;
    private final Clock clock;
    /** {@code [L, H]} hidden state, model data type, native byte order; guarded by {@link #status} (BUSY). */
    final ByteBuffer h;
    /** {@code [L, H]} LSTM cell state, or {@code null}; guarded like {@link #h}. */
    final ByteBuffer c;
    private long steps;
    private final AtomicInteger status = new AtomicInteger(IDLE);
    private volatile long lastUsedMillis;

    Stream(InferenceModel model, String id, Clock clock) {
        RecurrentConfig config = model.config();
        if (config.bidirectional()) {
            throw new IllegalArgumentException("model: expected a unidirectional network for streaming but "
                    + config + " is bidirectional; its reverse direction needs the whole sequence");
        }
        this.model = model;
        this.id = id;
        this.clock = clock;
        int bytes = config.numLayers() * config.hiddenSize() * config.dataType().width();
        this.h = ByteBuffer.allocate(bytes).order(ByteOrder.nativeOrder());
        this.c = config.cell().hasCellState() ? ByteBuffer.allocate(bytes).order(ByteOrder.nativeOrder()) : null;
        this.lastUsedMillis = clock.millis();
    }

    /** The name a {@link StreamRegistry} knows this stream by, or {@code null} for a stream opened directly. */
    public String id() {
        return id;
    }

    public InferenceModel model() {
        return model;
    }

    /**
     * One step in the calling thread.
     *
     * @param x I input features
     * @return a new array of O values (the head's output, or the last layer's H features without head)
     * @throws IllegalArgumentException for a wrong length
     * @throws IllegalStateException if the stream is closed or already stepping
     */
    public double[] step(double[] x) {
        double[] out = new double[model.outputSize()];
        step(x, out);
        return out;
    }

    /**
     * One step in the calling thread, writing into {@code out}: the allocation-free form.
     *
     * @param x I input features; not mutated
     * @param out O values, overwritten
     */
    public void step(double[] x, double[] out) {
        int inputSize = model.config().inputSize();
        requireLength("x", x, inputSize);
        requireLength("out", out, model.outputSize());
        steps(x, 1, out);
    }

    /**
     * Several steps in the calling thread, in order.
     *
     * @param x {@code [n, I]} (or {@code [I]} for one step), any floating-point data type; not mutated
     * @return {@code [n, O]} (or {@code [O]}) the output of each step, in the model's data type; new
     */
    public INDArray step(INDArray x) {
        int inputSize = model.config().inputSize();
        boolean vector = x != null && x.rank() == 1;
        if (x == null || x.rank() > 2 || x.size(x.rank() - 1) != inputSize || x.length() == 0) {
            throw new IllegalArgumentException("x: expected [n, I=" + inputSize + "] or [I=" + inputSize
                    + "] but was " + (x == null ? "null" : Arrays.toString(x.shape())));
        }
        int n = vector ? 1 : (int) x.size(0);
        double[] inputs = x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] outputs = new double[n * model.outputSize()];
        steps(inputs, n, outputs);
        INDArray result = Nd4j.create(outputs, vector ? new long[] {model.outputSize()}
                : new long[] {n, model.outputSize()}, 'c');
        return result.castTo(model.config().dataType());
    }

    private void steps(double[] inputs, int n, double[] outputs) {
        acquire();
        StepExecutor executor = model.borrow();
        try {
            executor.loadState(0, 1, h, c);
            int inputSize = model.config().inputSize();
            int outputSize = model.outputSize();
            for (int k = 0; k < n; k++) { // the state stays in the executor between the steps
                executor.loadInput(0, inputs, k * inputSize);
                executor.step(1);
                executor.readOutput(0, 1, outputs, k * outputSize);
            }
            executor.storeState(0, 1, h, c);
            steps += n;
        } finally {
            model.release(executor);
            release();
        }
    }

    /** The last layer's H features after the last step (its output without head); zeros before any step. */
    public double[] hidden() {
        RecurrentConfig config = model.config();
        return read(() -> {
            double[] out = new double[config.hiddenSize()];
            int at = (config.numLayers() - 1) * config.hiddenSize();
            for (int k = 0; k < out.length; k++) {
                out[k] = config.dataType() == DataType.FLOAT ? h.getFloat((at + k) * 4) : h.getDouble((at + k) * 8);
            }
            return out;
        });
    }

    /** A copy of the state, {@code [L, 1, H]} h (and c), in the model's data type: the layout of the engine's states. */
    public RecurrentState state() {
        RecurrentConfig config = model.config();
        return read(() -> new RecurrentState(toArray(h, config), c == null ? null : toArray(c, config)));
    }

    /** Steps taken since the stream was opened or last reset (restored streams keep their count). */
    public long steps() {
        return steps;
    }

    /** Back to the zero state, as if just opened. */
    public void reset() {
        acquire();
        try {
            Arrays.fill(h.array(), (byte) 0);
            if (c != null) {
                Arrays.fill(c.array(), (byte) 0);
            }
            steps = 0;
        } finally {
            release();
        }
    }

    /**
     * The state as bytes: a versioned, self-describing, checksummed record of the architecture, the model's
     * {@link InferenceModel#fingerprint}, the step count and the state. Works on a closed stream too, so an
     * eviction listener can persist what it evicts.
     */
    public byte[] snapshot() {
        return read(() -> StreamSnapshots.write(this));
    }

    /** When the stream last stepped (or was opened, restored or looked up in a registry), by its clock. */
    public long lastUsedMillis() {
        return lastUsedMillis;
    }

    public boolean isOpen() {
        int s = status.get();
        return s == IDLE || s == BUSY;
    }

    /** Whether a step is in flight (in the caller's thread or queued in a batcher). */
    public boolean isBusy() {
        int s = status.get();
        return s == BUSY || s == BUSY_CLOSING;
    }

    /** Closes the stream: later steps fail. A step in flight completes first. Idempotent. */
    @Override
    public void close() {
        while (true) {
            int s = status.get();
            if (s == CLOSED || s == BUSY_CLOSING
                    || status.compareAndSet(s, s == IDLE ? CLOSED : BUSY_CLOSING)) {
                return;
            }
        }
    }

    /**
     * Runs {@code reader} over the state between steps: on an idle stream (held busy meanwhile, not touched) or a
     * closed one.
     *
     * @throws IllegalStateException while a step is in flight
     */
    private <T> T read(java.util.function.Supplier<T> reader) {
        if (status.compareAndSet(IDLE, BUSY)) {
            try {
                return reader.get();
            } finally {
                if (!status.compareAndSet(BUSY, IDLE)) {
                    status.compareAndSet(BUSY_CLOSING, CLOSED);
                }
            }
        }
        if (status.get() == CLOSED) {
            return reader.get();
        }
        throw new IllegalStateException("stream" + (id == null ? "" : " " + id)
                + ": a step is in flight; read the state between steps");
    }

    /** Closes the stream if no step is in flight; for eviction. */
    boolean closeIfIdle() {
        return status.compareAndSet(IDLE, CLOSED);
    }

    void touch() {
        lastUsedMillis = clock.millis();
    }

    /** Marks the stream busy (one step at a time) and touches it. */
    void acquire() {
        if (!status.compareAndSet(IDLE, BUSY)) {
            int s = status.get();
            throw new IllegalStateException("stream" + (id == null ? "" : " " + id) + ": "
                    + (s == CLOSED ? "closed" : "already stepping; a stream takes one step call at a time"));
        }
        touch();
    }

    /** Ends the busy period that {@link #acquire} began; completes a close requested meanwhile. */
    void release() {
        touch();
        if (!status.compareAndSet(BUSY, IDLE)) {
            status.compareAndSet(BUSY_CLOSING, CLOSED);
        }
    }

    /** Replaces the state (under BUSY or before publication) and the step count. */
    void restoreState(ByteBuffer newH, ByteBuffer newC, long newSteps) {
        h.put(0, newH, 0, h.capacity());
        if (c != null) {
            c.put(0, newC, 0, c.capacity());
        }
        steps = newSteps;
    }

    void addSteps(long n) {
        steps += n;
    }

    private static INDArray toArray(ByteBuffer state, RecurrentConfig config) {
        int n = config.numLayers() * config.hiddenSize();
        double[] values = new double[n];
        for (int k = 0; k < n; k++) {
            values[k] = config.dataType() == DataType.FLOAT ? state.getFloat(k * 4) : state.getDouble(k * 8);
        }
        return Nd4j.create(values, new long[] {config.numLayers(), 1, config.hiddenSize()}, 'c')
                .castTo(config.dataType());
    }

    private static void requireLength(String name, double[] array, int expected) {
        if (array == null || array.length != expected) {
            throw new IllegalArgumentException(name + ": expected " + expected + " values but was "
                    + (array == null ? "null" : array.length));
        }
    }
}
