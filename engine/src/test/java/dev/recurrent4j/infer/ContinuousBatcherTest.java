package dev.recurrent4j.infer;

import static dev.recurrent4j.testing.TensorAssert.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Continuous batching: concurrent streams get the single-threaded numbers; backpressure, timeouts, cancellation. */
class ContinuousBatcherTest {
    private static final Logger log = LoggerFactory.getLogger(ContinuousBatcherTest.class);

    /**
     * 32 threads, each stepping its own 4 streams in random order, one to three inputs per submission, 1000 steps per
     * thread: every output equals the same stream replayed alone in one thread (batch 1). Not bit for bit: OpenBLAS
     * rounds a GEMM row differently depending on the number of rows (its kernels and blocking change with M; the
     * elementwise ops do not), so a row stepped in a batch of 17 and alone can differ in the last bits. float64 must
     * agree within 1e-12 of max|expected| at every step of every stream.
     */
    @Test
    void thirtyTwoThreadsEqualTheSingleThreadedReferenceFloat64() throws Exception {
        RunSummary summary = hammer(DataType.DOUBLE, 32, Integer.getInteger("recurrent4j.concurrency.steps", 1000), 1e-12);
        log.info("float64 concurrency test: {} steps in {} rounds, mean batch {}, worst relative error {}, {} outputs"
                + " not bit for bit", summary.steps, summary.stats.rounds(),
                String.format("%.1f", summary.stats.meanBatch()), String.format("%.2e", summary.worstError),
                summary.differing);
        assertTrue(summary.stats.meanBatch() > 1.5, "batching happened: mean batch " + summary.stats.meanBatch());
    }

    /** float32: the same, within 1e-5 of max|expected| (about 100 float32 ulps, after hundreds of steps). */
    @Test
    void thirtyTwoThreadsEqualTheSingleThreadedReferenceFloat32() throws Exception {
        RunSummary summary = hammer(DataType.FLOAT, 32, 300, 1e-5);
        log.info("float32 concurrency test: {} steps, mean batch {}, worst relative error {}, {} outputs not bit for"
                + " bit", summary.steps, String.format("%.1f", summary.stats.meanBatch()),
                String.format("%.2e", summary.worstError), summary.differing);
    }

    private record RunSummary(long steps, ContinuousBatcher.Stats stats, double worstError, long differing) {}

    private static RunSummary hammer(DataType type, int threads, int stepsPerThread, double tolerance)
            throws Exception {
        InferenceModel model = InferTesting.model(CellType.LSTM, 6, 24, 2, 10, type, 21);
        int streamsPerThread = 4;
        List<List<double[]>> inputs = new ArrayList<>();
        List<List<double[]>> outputs = new ArrayList<>();
        List<Stream> streams = new ArrayList<>();
        for (int s = 0; s < threads * streamsPerThread; s++) {
            streams.add(model.openStream());
            inputs.add(new ArrayList<>());
            outputs.add(new ArrayList<>());
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, ContinuousBatcher.Options.of(32)
                .withTimeout(Duration.ofSeconds(60)))) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    Random random = new Random(thread);
                    int done = 0;
                    while (done < stepsPerThread) {
                        int s = thread * streamsPerThread + random.nextInt(streamsPerThread);
                        int n = Math.min(1 + random.nextInt(3), stepsPerThread - done);
                        if (n == 1) {
                            double[] x = InferTesting.randomVector(random, 6);
                            inputs.get(s).add(x);
                            outputs.get(s).add(batcher.step(streams.get(s), x).get());
                        } else {
                            INDArray x = Nd4j.create(new double[n][6]);
                            for (int k = 0; k < n; k++) {
                                double[] row = InferTesting.randomVector(random, 6);
                                inputs.get(s).add(row);
                                x.putRow(k, Nd4j.createFromArray(row));
                            }
                            INDArray y = batcher.steps(streams.get(s), x).get();
                            for (int k = 0; k < n; k++) {
                                outputs.get(s).add(y.getRow(k).toDoubleVector());
                            }
                        }
                        done += n;
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(5, TimeUnit.MINUTES);
            }
            ContinuousBatcher.Stats stats = batcher.stats();
            double worst = 0;
            long differing = 0;
            long steps = 0;
            for (int s = 0; s < streams.size(); s++) { // the reference: each stream alone, in this thread
                Stream alone = model.openStream();
                for (int k = 0; k < inputs.get(s).size(); k++) {
                    double[] expected = alone.step(inputs.get(s).get(k));
                    double[] actual = outputs.get(s).get(k);
                    steps++;
                    double error = InferTesting.relativeError(expected, actual);
                    differing += error == 0 ? 0 : 1;
                    worst = Math.max(worst, error);
                    assertTrue(error <= tolerance, "stream " + s + " step " + k + ": relative error " + error);
                }
                double stateError = InferTesting.relativeError(alone.state().h().ravel().toDoubleVector(),
                        streams.get(s).state().h().ravel().toDoubleVector());
                assertTrue(stateError <= tolerance, "stream " + s + " state: relative error " + stateError);
                assertEquals(inputs.get(s).size(), streams.get(s).steps());
            }
            assertEquals(threads * stepsPerThread, steps);
            assertEquals(threads * stepsPerThread, stats.rows());
            return new RunSummary(steps, stats, worst, differing);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A head that blocks the worker inside a round until released: makes queueing deterministic. */
    private static final class GateHead implements OutputHead {
        final LinearHead inner = LinearHead.of(Nd4j.rand(DataType.DOUBLE, 3, 4), null);
        volatile CountDownLatch entered = new CountDownLatch(1);
        volatile CountDownLatch open = new CountDownLatch(0);

        void close() {
            open = new CountDownLatch(1);
            entered = new CountDownLatch(1);
        }

        @Override
        public int inputSize() {
            return 4;
        }

        @Override
        public int outputSize() {
            return 3;
        }

        @Override
        public void apply(INDArray hidden, INDArray out) {
            entered.countDown();
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inner.apply(hidden, out);
        }

        @Override
        public Map<String, INDArray> parameters() {
            return inner.parameters();
        }
    }

    private static InferenceModel gatedModel(GateHead head) {
        return InferenceModel.of(RecurrentNetwork.initialize(RecurrentConfig.of(CellType.GRU, 2, 4)
                .withDataType(DataType.DOUBLE), 3), head);
    }

    @Test
    void aFullQueueRejectsAtOnceAndTimeoutsAndCancellationLeaveStreamsUntouched() throws Exception {
        GateHead head = new GateHead();
        InferenceModel model = gatedModel(head);
        Stream blocker = model.openStream();
        Stream waiting = model.openStream();
        Stream cancelled = model.openStream();
        Stream third = model.openStream();
        double[] x = {0.3, -0.7};
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, ContinuousBatcher.Options.of(1)
                .withMaxQueued(3))) {
            head.close();
            CompletableFuture<double[]> first = batcher.step(blocker, x);
            assertTrue(head.entered.await(10, TimeUnit.SECONDS)); // the worker is stuck in round 1
            CompletableFuture<double[]> timesOut = batcher.step(waiting, x, Duration.ofMillis(300));
            CompletableFuture<double[]> toCancel = batcher.step(cancelled, x);
            // a second step on a stream in flight is a programming error, said at once
            IllegalStateException busy = assertThrows(IllegalStateException.class, () -> batcher.step(cancelled, x));
            assertTrue(busy.getMessage().contains("already stepping"), busy.getMessage());

            // backpressure: 3 queued or running, the 4th is refused at once
            CompletableFuture<double[]> refused = batcher.step(third, x);
            ExecutionException e = assertThrows(ExecutionException.class, () -> refused.get(1, TimeUnit.SECONDS));
            assertInstanceOf(RejectedExecutionException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("queue full: maxQueued=3"), e.getCause().getMessage());
            assertFalse(third.isBusy());

            e = assertThrows(ExecutionException.class, () -> timesOut.get(10, TimeUnit.SECONDS));
            assertInstanceOf(TimeoutException.class, e.getCause());
            assertFalse(waiting.isBusy()); // freed at once, state untouched
            assertEquals(0, waiting.steps());

            assertTrue(toCancel.cancel(false));
            assertThrows(CancellationException.class, toCancel::join);
            assertEquals(0, cancelled.steps());
            assertFalse(cancelled.isBusy());
            assertEquals(1, batcher.stats().pending(), "the timed-out and the cancelled submission left the queue at"
                    + " once; the running one holds its place until its round ends");

            // cancelling the step that is running: its result is dropped, its stream untouched
            assertTrue(first.cancel(false));
            head.open.countDown();
            double[] fresh = model.openStream().step(x);
            assertSameBits("a stream whose step was cancelled steps as new", fresh,
                    batcher.step(blocker, x).get(10, TimeUnit.SECONDS));
            assertEquals(1, blocker.steps());
            assertSameBits("the timed-out stream steps as new", fresh, batcher.step(waiting, x).get(10,
                    TimeUnit.SECONDS));
            assertEquals(0, batcher.stats().pending());
        } finally {
            head.open.countDown();
        }
    }

    @Test
    void maxWaitGathersARoundAndCloseRefusesLaterWork() throws Exception {
        InferenceModel model = InferTesting.model(CellType.RNN_TANH, 2, 3, 1, 0, DataType.DOUBLE, 5);
        List<Stream> streams = new ArrayList<>();
        ContinuousBatcher batcher = new ContinuousBatcher(model, ContinuousBatcher.Options.of(8)
                .withMaxWait(Duration.ofSeconds(5)));
        List<CompletableFuture<double[]>> futures = new ArrayList<>();
        long start = System.nanoTime();
        for (int s = 0; s < 8; s++) { // the 8th fills the batch: the round starts long before maxWait
            streams.add(model.openStream());
            futures.add(batcher.step(streams.get(s), new double[] {s, 1}));
        }
        for (CompletableFuture<double[]> f : futures) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4), "a full batch does not wait");
        assertEquals(1, batcher.stats().rounds());
        assertEquals(8, batcher.stats().rows());
        batcher.close();
        CompletableFuture<double[]> late = batcher.step(streams.get(0), new double[] {0, 0});
        ExecutionException e = assertThrows(ExecutionException.class, late::get);
        assertInstanceOf(RejectedExecutionException.class, e.getCause());
        assertFalse(streams.get(0).isBusy());
    }
}
