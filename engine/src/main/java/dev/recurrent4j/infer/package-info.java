/**
 * Inference for JVM services: a loaded model shared by any number of threads, whole-sequence inference without
 * training caches, stateful streams (one per conversation) with snapshots and idle eviction, continuous batching
 * of many streams' steps into one batched step, and generation (greedy, temperature, top-k, top-p, beam search).
 *
 * <p>Start at {@link dev.recurrent4j.infer.InferenceModel}. The pieces, from the bottom:
 * <ul>
 *   <li>{@link dev.recurrent4j.infer.InferenceModel}: immutable; {@code run} for whole sequences,
 *       {@code openStream}/{@code restoreStream} for streams;</li>
 *   <li>{@link dev.recurrent4j.infer.Stream}: one conversation's state, on the Java heap, stepped in the caller's
 *       thread or through a batcher;</li>
 *   <li>{@link dev.recurrent4j.infer.StreamRegistry}: streams by id, with idle eviction;</li>
 *   <li>{@link dev.recurrent4j.infer.ContinuousBatcher}: many streams' steps, one batched step;</li>
 *   <li>{@link dev.recurrent4j.infer.Generator}: token generation over streams.</li>
 * </ul>
 *
 * <p>This package uses {@code model}, {@code sequence}, {@code cell}, {@code tensor} and {@code io}; it never
 * imports {@code train}.
 */
package dev.recurrent4j.infer;
