package dev.recurrent4j.infer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recurrent4j.cell.CellType;
import java.lang.management.ManagementFactory;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory in the steady state of a stream stepping in its thread ({@link Stream#step(double[], double[])}).
 *
 * <p>Measured, not wished: the inference code around a step (pooled executor, NIO copies of the state, inputs and
 * outputs) allocates nothing, but the ND4J ops inside {@code StepSession.step} and the cells allocate Java objects
 * (op descriptors, views) on every call, and views allocate small JavaCPP-tracked native structs that the garbage
 * collector frees. So the test asserts what holds: a bounded heap allocation per step, and native memory (JavaCPP's
 * tracked bytes) that stays flat over many steps rather than growing. The long run (a million steps) is opt-in:
 * {@code -Drecurrent4j.soak.steps=1000000}; CI runs 20,000.
 */
class SteadyStateMemoryTest {
    private static final Logger log = LoggerFactory.getLogger(SteadyStateMemoryTest.class);

    @Test
    void aStepAllocatesABoundedHeapAndNoGrowingNativeMemory() {
        long steps = Long.getLong("recurrent4j.soak.steps", 20_000);
        InferenceModel model = InferTesting.model(CellType.LSTM, 16, 64, 2, 32, DataType.FLOAT, 1);
        Stream stream = model.openStream();
        double[] x = InferTesting.randomVector(new java.util.Random(1), 16);
        double[] out = new double[32];
        for (int k = 0; k < 2_000; k++) { // warm up: JIT, pools, ND4J's shape-info caches
            stream.step(x, out);
        }
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();

        long measured = Math.min(steps, 5_000);
        long before = threads.getThreadAllocatedBytes(thread);
        for (long k = 0; k < measured; k++) {
            stream.step(x, out);
        }
        long heapPerStep = (threads.getThreadAllocatedBytes(thread) - before) / measured;

        System.gc();
        long nativeStart = Pointer.totalBytes();
        long physicalStart = Pointer.physicalBytes();
        long nativePeak = nativeStart;
        long checkEvery = Math.max(1, steps / 20);
        long nanos = System.nanoTime();
        for (long k = 1; k <= steps; k++) {
            stream.step(x, out);
            if (k % checkEvery == 0) {
                nativePeak = Math.max(nativePeak, Pointer.totalBytes());
            }
        }
        double microsPerStep = (System.nanoTime() - nanos) / 1e3 / steps;
        System.gc();
        long nativeEnd = Pointer.totalBytes();
        long physicalEnd = Pointer.physicalBytes();
        log.info("steady state, LSTM I=16 H=64 L=2 + head 32, float32: {} B heap/step; over {} steps ({} us/step): "
                + "JavaCPP tracked native {} -> {} KiB (peak {} KiB), process RSS {} -> {} MiB", heapPerStep, steps,
                String.format("%.1f", microsPerStep), nativeStart / 1024, nativeEnd / 1024, nativePeak / 1024,
                physicalStart >> 20, physicalEnd >> 20);

        assertTrue(heapPerStep < 200_000, "heap per step " + heapPerStep + " B");
        assertTrue(nativeEnd - nativeStart < 16L << 20, "native memory grew by " + (nativeEnd - nativeStart) + " B");
        assertTrue(nativePeak - nativeStart < 64L << 20, "native peak grew by " + (nativePeak - nativeStart) + " B");
    }
}
