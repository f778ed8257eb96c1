package dev.recurrent4j.infer;

import dev.recurrent4j.model.RecurrentState;
import dev.recurrent4j.tensor.NativeBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link InferenceModel#run} returns. Every array is new and owned by the caller.
 *
 * <p>Its arrays live in native memory, which the JVM frees only when its garbage collector finds them unreachable;
 * {@link #close()} frees it now, for a service that wants its native memory bounded by what it holds rather than by
 * when the collector runs. Closing is optional, and reading an array after its output was closed is an error.
 * (Memory the process has not touched before costs a page fault per 4 KiB on first write: on the 2-core machine,
 * writing a 2 MiB output took 1.25 ms into new memory and 0.15 ms into memory just freed by a close. In whole calls
 * of {@link InferenceModel#run} at B=32, T=64, H=256, closing each output made no difference beyond that machine's
 * noise, so this is not a speed promise.)
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
