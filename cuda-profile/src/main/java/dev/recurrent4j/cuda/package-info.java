/**
 * What a GPU engineer runs against the engine: a profiling runner and a half-precision inference forward. Nothing
 * here is CUDA-only code; it runs under whatever ND4J backend loaded, which is CUDA under the {@code cuda} Maven
 * profile on a supported GPU and the CPU otherwise, so CI exercises all of it on the CPU.
 *
 * <ul>
 *   <li>{@link dev.recurrent4j.cuda.ProfileRunner}: the command ({@code forward}, {@code train}, {@code stream},
 *       {@code half}); per-phase min / median / p90 after a warm-up, every clock stopped after the device has
 *       finished, then a check against the float64 engine. Meant to run under {@code nsys profile}.</li>
 *   <li>{@link dev.recurrent4j.cuda.Workloads}: the four workloads, through the engine's public API only, over the
 *       JMH suite's shapes ({@link dev.recurrent4j.cuda.WorkloadShape}); {@link dev.recurrent4j.cuda.PhaseClock}
 *       times them.</li>
 *   <li>{@link dev.recurrent4j.cuda.HalfPrecisionForward}: FP16 / BF16 weights and GEMMs with float32 state and
 *       nonlinearities (mixed precision), from a model's parameters, outside the engine (whose API is float32 and
 *       float64 only).</li>
 *   <li>{@link dev.recurrent4j.cuda.Backends}: which backend loaded, its device, and the synchronisation call.</li>
 * </ul>
 *
 * <p>This package uses the engine's {@code model}, {@code infer}, {@code cell} (gate slicing) and {@code tensor}
 * (boundary checks); the engine does not know about it.
 */
package dev.recurrent4j.cuda;
