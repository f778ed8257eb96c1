package dev.recurrent4j.cuda;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One workload the profiling runner times: built by a {@link Workloads} factory (its setup phases timed there),
 * then run iteration by iteration, each phase of an iteration timed on a {@link PhaseClock}. See {@link Workloads}
 * for the four modes.
 */
public interface Workload {

    /** What an iteration runs, e.g. {@code "InferenceModel.run (inference forward), float32"}. */
    String description();

    /** One iteration; every phase of it is one sample on {@code clock}. */
    void iterate(PhaseClock clock);

    /** {@code [T, B, I]} float32, the input every iteration runs on (a stream steps through row 0); not a copy. */
    INDArray input();

    /**
     * What the last iteration produced, as float32: {@code [T, B, H]} the last layer's output, or {@code [1, H]}
     * the last stream step's; {@code null} before the first iteration.
     */
    INDArray lastOutput();

    /**
     * Runs the workload's API once more on the fixture's input and compares what it returned with the engine's
     * float64 forward (and backward) on the same weights. Not timed.
     */
    Check check();

    /**
     * A comparison with the float64 engine.
     *
     * @param what what was compared, for the report
     * @param maxError the largest absolute difference divided by the largest absolute reference value
     * @param tolerance the largest {@code maxError} accepted
     */
    record Check(String what, double maxError, double tolerance) {
        public boolean ok() {
            return maxError <= tolerance; // false for NaN
        }

        /** {@code "output vs ...: max error 2.1e-07 of max|reference| <= 1.0e-04: ok"}. */
        public String describe() {
            return String.format("%s: max error %.2e of max|reference| %s %.1e: %s", what, maxError,
                    ok() ? "<=" : ">", tolerance, ok() ? "ok" : "FAILED");
        }
    }
}
