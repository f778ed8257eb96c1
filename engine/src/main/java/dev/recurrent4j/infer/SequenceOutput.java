package dev.recurrent4j.infer;

import dev.recurrent4j.model.RecurrentState;
import dev.recurrent4j.tensor.NativeBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link InferenceModel#run} returns. Every array is new and owned by the caller.
 *
 * <p>Its arrays live in native memory, which the JVM frees only when its garbage collector finds them unreachable;
 * {@link #close()} frees it now, for a service that wants its native memory bounded by what it holds rather than by
 * when the collector runs, and usually a faster next call: memory the process has not touched before costs a page
 * fault per 4 KiB on first write (on the 2-core machine, writing a 2 MiB output took 1.25 ms into new memory and
 * 0.15 ms into memory just freed by a close). Calling {@link InferenceModel#run} over and over at B=32, T=64, H=256,
 * one JVM closing every output and one closing none, medians: Elman tanh 5.6-5.9 ms against 7.3-10.9, GRU 15.8-16.1
 * against 18.7-25.4, LSTM 19.1-19.9 against 20.1-20.2; at B=64, T=128, H=512 (LSTM) no difference beyond noise.
 * Closing is optional, and reading an array after its output was closed is an error.
 * <pre>{@code
 * try (SequenceOutput out = model.run(x, null, lengths)) {
 *     respond(out.logits());    // read, copy or serialise here
 * }
 * }</pre>
 *
 * @param output {@code [T, B, D*H]} (or {@code [B, T, D*H]} when batch-first) the last layer's outputs, directions
 *     concatenated forward first, exactly 0 at padded steps
 * @param finalState {@code [L*D, B, H]} each sequence's state after its own last step
 * @param logits {@code [T, B, O]} (or batch-first) the head applied to every step's output, exactly 0 at padded
 *     steps; {@code null} for a model without head
 */
public record SequenceOutput(INDArray output, RecurrentState finalState, INDArray logits) implements AutoCloseable {
    /** Frees the native memory of every array here now; closing again does nothing. */
    @Override
    public void close() {
        NativeBuffer.free(output, finalState.h(), finalState.c(), logits);
    }
}
