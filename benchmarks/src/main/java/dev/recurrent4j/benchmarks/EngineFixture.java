package dev.recurrent4j.benchmarks;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.infer.InferenceModel;
import dev.recurrent4j.infer.SequenceOutput;
import dev.recurrent4j.model.ForwardResult;
import dev.recurrent4j.model.Gradients;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import dev.recurrent4j.model.RecurrentState;
import dev.recurrent4j.model.StepSession;
import dev.recurrent4j.tensor.NativeEnvironment;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Our engine set up for one benchmark shape: a single-layer unidirectional float32 network with bias (PyTorch's
 * default initialisation), its inputs, and the checks run once before timing. This is the engine's public API and
 * nothing else, so the benchmarks measure whatever the engine does when they run.
 */
final class EngineFixture {
    final CellType cell;
    final Shape shape;
    final RecurrentNetwork network;
    /** The same network for inference (a private copy of its parameters). */
    final InferenceModel inference;
    /** {@code [T, B, I]}, 'c' order, uniform in [-1, 1); never mutated. */
    final INDArray x;
    /** {@code [T, B, H]} upstream gradient dL/d(output), as from a loss; never mutated. */
    final INDArray dOutput;

    EngineFixture(CellType cell, Shape shape, long seed) {
        this.cell = cell;
        this.shape = shape;
        network = RecurrentNetwork.initialize(RecurrentConfig.of(cell, shape.inputSize, shape.hiddenSize), seed);
        inference = InferenceModel.of(network);
        Nd4j.getRandom().setSeed(seed + 1);
        x = Nd4j.rand(DataType.FLOAT, shape.steps, shape.batch, shape.inputSize).muli(2).subi(1);
        dOutput = Nd4j.rand(DataType.FLOAT, shape.steps, shape.batch, shape.hiddenSize).subi(0.5);
        System.out.println("recurrent4j " + cell + " runs " + cell.cell().getClass().getName() + "; OMP_WAIT_POLICY="
                + System.getenv("OMP_WAIT_POLICY") + ", OPENBLAS_THREAD_TIMEOUT="
                + System.getenv("OPENBLAS_THREAD_TIMEOUT") + "; set by the engine: " + NativeEnvironment.applied());
    }

    /** The training forward: outputs plus the caches backward needs. */
    ForwardResult forward() {
        return network.forward(x, null, null);
    }

    /** The inference forward ({@link InferenceModel#run}): outputs and final states, no caches. */
    SequenceOutput infer() {
        return inference.run(x, null, null);
    }

    /**
     * Forward, full BPTT, then the forward result closed, as a training loop does (its caches' memory reused), and
     * its output and final state freed: a training step is done with them once the loss has read them.
     */
    Gradients forwardBackward() {
        try (ForwardResult forward = network.forward(x, null, null)) {
            Gradients gradients = network.backward(forward, dOutput, null);
            forward.output().close();
            forward.finalState().h().close();
            return gradients;
        }
    }

    /** The same without closing the forward result: every forward takes new memory for its caches. */
    Gradients forwardBackwardUnclosed() {
        return network.backward(network.forward(x, null, null), dOutput, null);
    }

    /** The inference output equals the training forward's, bit for bit (the engine promises it). */
    void validateInference() {
        Checks.close("recurrent4j inference output vs training forward", forward().output(), infer().output(), 0.0);
    }

    /**
     * Output {@code [T, B, H]}, finite, bounded by 1 (every benchmarked cell squashes h), and the final state equal
     * to the last step's output.
     */
    void validateForward() {
        ForwardResult result = forward();
        INDArray y = result.output();
        Checks.shape("recurrent4j output", y, shape.steps, shape.batch, shape.hiddenSize);
        Checks.finite("recurrent4j output", y);
        if (cell != CellType.RNN_RELU) {
            Checks.bounded("recurrent4j output", y, 1.0);
        }
        Checks.shape("recurrent4j final h", result.finalState().h(), 1, shape.batch, shape.hiddenSize);
        Checks.close("recurrent4j final h vs output[T-1]", result.finalState().h().slice(0),
                y.slice(shape.steps - 1), 0.0);
    }

    /** dL/dx {@code [T, B, I]} and every parameter gradient: the parameter's shape, finite and not all zero. */
    void validateForwardBackward() {
        Gradients gradients = forwardBackward();
        Checks.shape("recurrent4j dx", gradients.input(), shape.steps, shape.batch, shape.inputSize);
        Checks.finite("recurrent4j dx", gradients.input());
        Map<String, INDArray> parameters = network.parameters().byTorchName();
        gradients.byTorchName().forEach((name, gradient) -> {
            Checks.shape("recurrent4j d" + name, gradient, parameters.get(name).shape());
            Checks.finite("recurrent4j d" + name, gradient);
            if (gradient.amaxNumber().doubleValue() == 0.0) {
                throw new IllegalStateException("recurrent4j d" + name + ": expected a non-zero gradient");
            }
        });
        if (gradients.byTorchName().size() != parameters.size()) {
            throw new IllegalStateException("recurrent4j gradients: expected " + parameters.keySet() + " but was "
                    + gradients.byTorchName().keySet());
        }
    }

    /**
     * A streaming session for one sequence, checked once: 8 steps from a zero state must give the same outputs as
     * {@code forward} over those 8 steps (batch 1). Returns the session with its state reset to zeros.
     */
    Stream newStream() {
        StepSession session = network.newStepSession(1);
        RecurrentState state = zeroState();
        int checkSteps = 8;
        Nd4j.getRandom().setSeed(7);
        INDArray sequence = Nd4j.rand(DataType.FLOAT, checkSteps, 1, shape.inputSize).muli(2).subi(1);
        INDArray expected = network.forward(sequence, null, null).output();
        for (int t = 0; t < checkSteps; t++) {
            INDArray y = session.step(sequence.slice(t).reshape(1, shape.inputSize).dup(), state);
            Checks.shape("recurrent4j step output", y, 1, shape.hiddenSize);
            Checks.close("recurrent4j step " + t + " vs forward", y, expected.slice(t).reshape(1, shape.hiddenSize),
                    1e-5);
        }
        INDArray input = sequence.slice(0).reshape(1, shape.inputSize).dup();
        return new Stream(session, input, zeroState());
    }

    private RecurrentState zeroState() {
        INDArray h = Nd4j.zeros(DataType.FLOAT, 1, 1, shape.hiddenSize);
        return new RecurrentState(h, cell.hasCellState() ? h.dup() : null);
    }

    /** A session, this step's input {@code [1, I]} and the state {@code [L=1, 1, H]} it updates in place. */
    record Stream(StepSession session, INDArray input, RecurrentState state) {
        INDArray step() {
            return session.step(input, state);
        }
    }
}
