package dev.recurrent4j.infer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Continuous batching: steps that many streams submit concurrently, each stream at its own position, are gathered
 * into one batched step of up to {@code maxBatch} rows ({@link dev.recurrent4j.model.StepSession#step}: one
 * recurrent GEMM per layer for all of them), run by one worker thread. Streams join and leave between steps: a
 * submission of n inputs holds a row for n consecutive rounds, a new submission takes a free row at the next round,
 * and a finished or cancelled one frees its row.
 *
 * <p>A round starts when {@code maxBatch} rows are waiting, or {@code maxWait} after it could first have started
 * (0: at once, with whatever is waiting; steps that arrive while a round runs form the next one). Rows are served
 * first come, first served, and a submission that needs more rounds goes to the back after each.
 *
 * <p>Each submission returns a {@link CompletableFuture}:
 * <ul>
 *   <li><b>backpressure</b>: at most {@code maxQueued} submissions are queued or running; past that the future
 *       fails at once with a {@link RejectedExecutionException} saying so, and nothing is held;</li>
 *   <li><b>timeouts</b>: a submission not done within its timeout fails with a
 *       {@link java.util.concurrent.TimeoutException};</li>
 *   <li><b>cancellation</b>: {@code cancel} (or any external completion, a timeout included) of a pending
 *       submission frees its stream and its place in the queue at once; a row already in a running round finishes
 *       that round and its result is dropped.</li>
 * </ul>
 * A submission is all or nothing for its stream: the stream's state advances when the future completes normally,
 * and a cancelled, timed-out or failed submission leaves it exactly as it was (the rows work on a copy that is
 * committed only on success). While a submission is pending its stream is busy: another step on it is an
 * {@link IllegalStateException}.
 *
 * <p>Numbers: OpenBLAS's GEMMs may round a row differently depending on how many rows the product has (its kernels
 * and blocking change with M), so a batched row can differ from the same row stepped alone in the last bits: about
 * 1e-15 relative in float64 and 1e-6 in float32 ({@code ContinuousBatcherTest} measures both against streams
 * replayed alone); the elementwise ops do not depend on the batch.
 */
public final class ContinuousBatcher implements AutoCloseable {

    /**
     * How the batcher batches.
     *
     * @param maxBatch the most rows in one step, at least 1
     * @param maxWait how long a round may wait for more rows once it could start; {@code Duration.ZERO} for never
     * @param maxQueued the most submissions queued or running at once, at least 1
     * @param timeout the default time a submission may take, queueing included; {@code Duration.ZERO} for none
     */
    public record Options(int maxBatch, Duration maxWait, int maxQueued, Duration timeout) {
        public Options {
            if (maxBatch < 1) {
                throw new IllegalArgumentException("maxBatch: expected at least 1 but was " + maxBatch);
            }
            if (maxWait == null || maxWait.isNegative()) {
                throw new IllegalArgumentException("maxWait: expected a duration >= 0 but was " + maxWait);
            }
            if (maxQueued < 1) {
                throw new IllegalArgumentException("maxQueued: expected at least 1 but was " + maxQueued);
            }
            if (timeout == null || timeout.isNegative()) {
                throw new IllegalArgumentException("timeout: expected a duration >= 0 but was " + timeout);
            }
        }

        /** Batches of up to {@code maxBatch}, no waiting, 1024 queued, no timeout. */
        public static Options of(int maxBatch) {
            return new Options(maxBatch, Duration.ZERO, 1024, Duration.ZERO);
        }

        public Options withMaxWait(Duration maxWait) {
            return new Options(maxBatch, maxWait, maxQueued, timeout);
        }

        public Options withMaxQueued(int maxQueued) {
            return new Options(maxBatch, maxWait, maxQueued, timeout);
        }

        public Options withTimeout(Duration timeout) {
            return new Options(maxBatch, maxWait, maxQueued, timeout);
        }
    }

    /** Counters since the batcher started: rounds run and rows stepped (so rows/rounds is the mean batch). */
    public record Stats(long rounds, long rows, int pending) {
        public double meanBatch() {
            return rounds == 0 ? 0 : (double) rows / rounds;
        }
    }

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final InferenceModel model;
    private final Options options;
    private final ConcurrentLinkedQueue<Request<?>> incoming = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final Thread worker;
    private volatile boolean closed;

    public ContinuousBatcher(InferenceModel model, Options options) {
        if (model == null || options == null) {
            throw new IllegalArgumentException("model and options: expected non-null values");
        }
        if (model.config().bidirectional()) {
            throw new IllegalArgumentException("model: expected a unidirectional network for streaming but "
                    + model.config() + " is bidirectional");
        }
        this.model = model;
        this.options = options;
        StepExecutor executor = new StepExecutor(model, options.maxBatch());
        this.worker = new Thread(() -> run(executor), "recurrent4j-batcher-" + THREADS.incrementAndGet());
        worker.setDaemon(true);
        worker.start();
    }

    /**
     * One step of {@code stream}, batched with whatever else is submitted.
     *
     * @param x I input features; copied
     * @return the step's O outputs (head output, or the last layer's H features)
     * @throws IllegalArgumentException for a wrong length
     * @throws IllegalStateException if the stream is closed or already has a step in flight
     */
    public CompletableFuture<double[]> step(Stream stream, double[] x) {
        return step(stream, x, options.timeout());
    }

    /** {@link #step(Stream, double[])} with its own timeout ({@code Duration.ZERO} for none). */
    public CompletableFuture<double[]> step(Stream stream, double[] x, Duration timeout) {
        checkStream(stream);
        if (x == null || x.length != model.config().inputSize()) {
            throw new IllegalArgumentException("x: expected " + model.config().inputSize() + " values but was "
                    + (x == null ? "null" : x.length));
        }
        return submit(stream, x.clone(), 1, true, timeout, Function.identity());
    }

    /**
     * Several steps of {@code stream}, in order, each batched with whatever else runs in its round.
     *
     * @param x {@code [n, I]}, any floating-point data type; copied
     * @return {@code [n, O]} every step's outputs, in the model's data type
     */
    public CompletableFuture<INDArray> steps(Stream stream, INDArray x) {
        checkStream(stream);
        int inputSize = model.config().inputSize();
        if (x == null || x.rank() != 2 || x.size(1) != inputSize || x.size(0) < 1) {
            throw new IllegalArgumentException("x: expected [n, I=" + inputSize + "] with n >= 1 but was "
                    + (x == null ? "null" : java.util.Arrays.toString(x.shape())));
        }
        int n = (int) x.size(0);
        int outputs = model.outputSize();
        return submit(stream, x.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble(), n,
                true, options.timeout(), values -> Nd4j.create(values, new long[] {n, outputs}, 'c')
                        .castTo(model.config().dataType()));
    }

    /** Statistics so far. */
    public Stats stats() {
        return new Stats(rounds.get(), rows.get(), pending.get());
    }

    public Options options() {
        return options;
    }

    /**
     * Stops the worker after its current round; submissions not yet done fail with a
     * {@link RejectedExecutionException}, and later ones are refused. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(worker);
        try {
            worker.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failAll(incoming, null);
    }

    /**
     * Submits {@code n} inputs ({@code inputs} is {@code n*I} values, owned by the request from now on); the future
     * completes with {@code result(outputs)}, {@code outputs} holding every step's O values ({@code keepAll}) or only
     * the last step's.
     */
    <T> CompletableFuture<T> submit(Stream stream, double[] inputs, int n, boolean keepAll, Duration timeout,
            Function<double[], T> result) {
        if (closed) {
            return CompletableFuture.failedFuture(new RejectedExecutionException("batcher closed"));
        }
        stream.acquire(); // a closed or busy stream is the caller's error: thrown, not queued
        if (pending.incrementAndGet() > options.maxQueued()) {
            pending.decrementAndGet();
            stream.release();
            return CompletableFuture.failedFuture(new RejectedExecutionException("queue full: maxQueued="
                    + options.maxQueued() + " submissions are queued or running; retry later"));
        }
        Request<T> request = new Request<>(this, stream, inputs, n, keepAll ? n * model.outputSize()
                : model.outputSize(), keepAll, result);
        incoming.add(request);
        LockSupport.unpark(worker);
        if (closed) { // close() may have drained the queue before this request arrived
            request.future.completeExceptionally(new RejectedExecutionException("batcher closed"));
        }
        if (!timeout.isZero()) {
            request.future.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        return request.future;
    }

    private void checkStream(Stream stream) {
        if (stream == null) {
            throw new IllegalArgumentException("stream: expected a stream but was null");
        }
        if (stream.model() != model) {
            throw new IllegalArgumentException("stream: expected a stream of this batcher's model");
        }
    }

    /** The worker: gather, step, scatter, until closed. */
    private void run(StepExecutor executor) {
        ArrayDeque<Request<?>> ready = new ArrayDeque<>();
        Request<?>[] batch = new Request<?>[options.maxBatch()];
        long maxWait = options.maxWait().toNanos();
        int inputSize = model.config().inputSize();
        int outputSize = model.outputSize();
        while (!closed) {
            drain(ready);
            if (ready.isEmpty()) {
                LockSupport.park(this);
                continue;
            }
            if (maxWait > 0 && ready.size() < batch.length) {
                long deadline = System.nanoTime() + maxWait;
                for (long left = maxWait; left > 0 && ready.size() < batch.length && !closed;
                        left = deadline - System.nanoTime()) {
                    LockSupport.parkNanos(this, left);
                    drain(ready);
                }
            }
            int b = 0;
            while (b < batch.length && !ready.isEmpty()) {
                Request<?> request = ready.poll();
                if (request.future.isDone()) { // cancelled or timed out while waiting: its row goes to others
                    request.releaseSlot();
                } else {
                    batch[b++] = request;
                }
            }
            if (b == 0) {
                continue;
            }
            try {
                for (int j = 0; j < b; j++) {
                    Request<?> r = batch[j];
                    executor.loadState(j, b, r.h, r.c);
                    executor.loadInput(j, r.inputs, r.next * inputSize);
                }
                executor.step(b);
                for (int j = 0; j < b; j++) {
                    Request<?> r = batch[j];
                    executor.storeState(j, b, r.h, r.c);
                    executor.readOutput(j, b, r.outputs, r.keepAll ? r.next * outputSize : 0);
                    r.next++;
                }
            } catch (RuntimeException | Error e) {
                for (int j = 0; j < b; j++) {
                    batch[j].releaseSlot();
                    batch[j].fail(e);
                    batch[j] = null;
                }
                continue;
            }
            rounds.incrementAndGet();
            rows.addAndGet(b);
            for (int j = 0; j < b; j++) {
                Request<?> r = batch[j];
                batch[j] = null;
                if (r.future.isDone()) {
                    r.releaseSlot(); // cancelled or timed out during the round: the result is dropped
                } else if (r.next == r.n) {
                    r.releaseSlot(); // before the future completes, so its callers see the slot free
                    r.succeed();
                } else {
                    ready.addLast(r);
                }
            }
        }
        failAll(ready, null);
        failAll(incoming, null);
    }

    private void drain(ArrayDeque<Request<?>> ready) {
        for (Request<?> r = incoming.poll(); r != null; r = incoming.poll()) {
            ready.addLast(r);
        }
    }

    private void failAll(java.util.Queue<Request<?>> queue, Throwable cause) {
        for (Request<?> r = queue.poll(); r != null; r = queue.poll()) {
            r.releaseSlot();
            r.fail(cause != null ? cause : new RejectedExecutionException("batcher closed"));
        }
    }

    /** One submission: its inputs, its outputs, and a working copy of its stream's state. */
    private static final class Request<T> {
        final Stream stream;
        final double[] inputs;
        final int n;
        final double[] outputs;
        final boolean keepAll;
        final ByteBuffer h;
        final ByteBuffer c;
        final Function<double[], T> result;
        final StepFuture<T> future;
        /** The next input to step; only the worker touches it. */
        int next;
        /** Whether this submission still counts against {@code maxQueued}; given up once, by whoever is first. */
        private final AtomicBoolean holdsSlot = new AtomicBoolean(true);
        private final AtomicInteger pending;

        Request(ContinuousBatcher batcher, Stream stream, double[] inputs, int n, int outputs, boolean keepAll,
                Function<double[], T> result) {
            this.stream = stream;
            this.inputs = inputs;
            this.n = n;
            this.outputs = new double[outputs];
            this.keepAll = keepAll;
            this.h = copy(stream.h);
            this.c = stream.c == null ? null : copy(stream.c);
            this.result = result;
            this.pending = batcher.pending;
            this.future = new StepFuture<>(stream, this::releaseSlot);
        }

        /** Commits the working state to the stream, frees it, then completes the future. */
        void succeed() {
            if (!future.claim()) {
                return;
            }
            T value;
            try {
                value = result.apply(outputs);
                stream.restoreState(h, c, stream.steps() + n);
            } catch (RuntimeException e) {
                stream.release();
                future.failClaimed(e);
                return;
            }
            stream.release();
            future.completeClaimed(value);
        }

        void fail(Throwable cause) {
            future.completeExceptionally(cause);
        }

        /** Gives up the submission's place in the queue, once. */
        void releaseSlot() {
            if (holdsSlot.getAndSet(false)) {
                pending.decrementAndGet();
            }
        }

        private static ByteBuffer copy(ByteBuffer state) {
            ByteBuffer copy = ByteBuffer.allocate(state.capacity()).order(state.order());
            copy.put(0, state, 0, state.capacity());
            return copy;
        }
    }

    /**
     * A future whose outside completion (cancel, timeout, complete, completeExceptionally) and the worker's success
     * exclude each other: whichever comes first wins, so a successful cancel guarantees the step did not happen.
     */
    private static final class StepFuture<T> extends CompletableFuture<T> {
        private static final int PENDING = 0;
        private static final int CLAIMED = 1;
        private static final int ABANDONED = 2;
        private final AtomicInteger phase = new AtomicInteger(PENDING);
        private final Stream stream;
        private final Runnable onAbandon;

        StepFuture(Stream stream, Runnable onAbandon) {
            this.stream = stream;
            this.onAbandon = onAbandon;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return abandon() ? super.cancel(mayInterruptIfRunning) : isCancelled();
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            return abandon() && super.completeExceptionally(ex);
        }

        @Override
        public boolean complete(T value) {
            return abandon() && super.complete(value);
        }

        /** The submission will not happen: its stream and its queue place are freed, its state untouched. */
        private boolean abandon() {
            if (phase.compareAndSet(PENDING, ABANDONED)) {
                stream.release();
                onAbandon.run();
                return true;
            }
            return false;
        }

        boolean claim() {
            return phase.compareAndSet(PENDING, CLAIMED);
        }

        void completeClaimed(T value) {
            super.complete(value);
        }

        void failClaimed(Throwable e) {
            super.completeExceptionally(e);
        }
    }
}
