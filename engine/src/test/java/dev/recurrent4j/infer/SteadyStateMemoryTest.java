package dev.recurrent4j.infer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.cell.FusedCells;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory in the steady state of a stream stepping in its thread ({@link Stream#step(double[], double[])}), on the
 * CPU fast path (the fused float32 cells, which the test configuration enables).
 *
 * <p>Heap: once warmed up (the JIT has compiled the step; the executor has seen its arrays), a step allocates
 * nothing: the thread's allocated-bytes counter stays under one byte per step over 10,000 steps (it is 0 in most
 * runs; a rare recompilation can cost a kilobyte once). Native memory: JavaCPP's
 * tracked bytes stay flat over many steps. The long run (a million steps) is opt-in:
 * {@code -Drecurrent4j.soak.steps=1000000}; CI runs 20,000.
 *
 * <p>Runs in a JVM of its own (the {@code fresh-jvm} surefire execution), as a service would: in the shared test JVM
 * the kernels were compiled first under many other shapes and data types, and some of those compilations box
 * vectors until the JIT recompiles them.
 */
@Tag("fresh-jvm")
class SteadyStateMemoryTest {
    private static final Logger log = LoggerFactory.getLogger(SteadyStateMemoryTest.class);
    private static final int ROUND = 1_000;
    private static final int MAX_WARM_UP_ROUNDS = 100;

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"LSTM", "GRU", "RNN_TANH"})
    void aWarmedUpStepAllocatesNothingOnTheHeap(CellType cell) {
        assertTrue(FusedCells.available(), "the fused cells must be on: the tests run with --add-modules "
                + "jdk.incubator.vector on the CPU backend");
        InferenceModel model = InferTesting.model(cell, 16, 64, 2, 32, DataType.FLOAT, 1);
        Stream stream = model.openStream();
        double[] x = InferTesting.randomVector(new Random(1), 16);
        double[] out = new double[32];
        int warmUp = warmUp(stream, x, out);
        long allocated = allocatedBy(stream, x, out, 10 * ROUND);
        log.info("steady state, {} I=16 H=64 L=2 + head 32, float32: {} B heap over {} steps, after {} warm-up "
                + "steps", cell, allocated, 10 * ROUND, warmUp);
        // Under one byte per step: any object made per step (16 bytes at least) fails this; a one-off event of the
        // JIT (a method recompiled mid-run and a few steps interpreted) allocating a kilobyte once does not.
        assertTrue(allocated < 10 * ROUND, cell + ": heap bytes allocated by " + 10 * ROUND + " warmed-up steps: "
                + "expected none per step but was " + allocated + " in all");
    }

    @Test
    void nativeMemoryStaysFlatOverManySteps() {
        long steps = Long.getLong("recurrent4j.soak.steps", 20_000);
        InferenceModel model = InferTesting.model(CellType.LSTM, 16, 64, 2, 32, DataType.FLOAT, 1);
        Stream stream = model.openStream();
        double[] x = InferTesting.randomVector(new Random(1), 16);
        double[] out = new double[32];
        int warmUp = warmUp(stream, x, out);

        System.gc();
        long nativeStart = Pointer.totalBytes();
        long physicalStart = Pointer.physicalBytes();
        long nativePeak = nativeStart;
        long checkEvery = Math.max(1, steps / 20);
        long heapBefore = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
        long nanos = System.nanoTime();
        for (long k = 1; k <= steps; k++) {
            stream.step(x, out);
            if (k % checkEvery == 0) {
                nativePeak = Math.max(nativePeak, Pointer.totalBytes());
            }
        }
        double microsPerStep = (System.nanoTime() - nanos) / 1e3 / steps;
        long heap = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - heapBefore;
        System.gc();
        long nativeEnd = Pointer.totalBytes();
        long physicalEnd = Pointer.physicalBytes();
        log.info("soak, LSTM I=16 H=64 L=2 + head 32, float32, {} steps after {} warm-up steps ({} us/step): heap {} B"
                + " in all; JavaCPP tracked native {} -> {} KiB (peak {} KiB), process RSS {} -> {} MiB", steps, warmUp,
                String.format("%.1f", microsPerStep), heap, nativeStart / 1024, nativeEnd / 1024, nativePeak / 1024,
                physicalStart >> 20, physicalEnd >> 20);

        assertTrue(nativeEnd - nativeStart < 16L << 20, "native memory grew by " + (nativeEnd - nativeStart) + " B");
        assertTrue(nativePeak - nativeStart < 64L << 20, "native peak grew by " + (nativePeak - nativeStart) + " B");
    }

    /** Steps until three rounds in a row allocate nothing (at most 100 rounds); the steps taken. */
    private int warmUp(Stream stream, double[] x, double[] out) {
        int rounds = 0;
        int quietRounds = 0;
        while (quietRounds < 3 && rounds < MAX_WARM_UP_ROUNDS) {
            quietRounds = allocatedBy(stream, x, out, ROUND) == 0 ? quietRounds + 1 : 0;
            rounds++;
        }
        return rounds * ROUND;
    }

    /** The bytes this thread allocated over {@code steps} steps. */
    private long allocatedBy(Stream stream, double[] x, double[] out, int steps) {
        long thread = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(thread);
        for (int k = 0; k < steps; k++) {
            stream.step(x, out);
        }
        return threads.getThreadAllocatedBytes(thread) - before;
    }
}
