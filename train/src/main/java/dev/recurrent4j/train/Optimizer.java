package dev.recurrent4j.train;

import dev.recurrent4j.model.ModelParameters;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Updates a model's parameters in place from their gradients, PyTorch's {@code torch.optim} semantics. Owns its
 * state (moments, accumulators), one {@link ModelParameters} per kind of state, so params, grads and moments are
 * distinct objects of one type. Create from an {@link OptimizerConfig}.
 *
 * <p>The learning rate is an argument of each step (it comes from a {@link LearningRateSchedule}); so is the
 * gradient, which the step may overwrite (weight decay is added into it, as in PyTorch).
 */
public abstract class Optimizer {
    protected final ModelParameters parameters;
    /** Kind of state (e.g. {@code exp_avg}) → one array per parameter. */
    private final Map<String, ModelParameters> state = new LinkedHashMap<>();
    private long steps;

    protected Optimizer(ModelParameters parameters, String... stateKinds) {
        this.parameters = parameters;
        for (String kind : stateKinds) {
            state.put(kind, parameters.zerosLike());
        }
    }

    /**
     * One update of every parameter.
     *
     * @param gradients dL/d(each parameter), the parameters' names and shapes; may be overwritten
     * @param learningRate a positive number
     * @throws IllegalArgumentException for gradients of other parameters or a learning rate that is not positive
     */
    public final void step(ModelParameters gradients, double learningRate) {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate: expected a positive number but was " + learningRate);
        }
        if (gradients == null || !gradients.names().equals(parameters.names())) {
            throw new IllegalArgumentException("gradients: expected " + parameters.names() + " but was "
                    + (gradients == null ? "null" : gradients.names()));
        }
        steps++;
        for (String name : parameters.names()) {
            update(name, parameters.get(name), gradients.get(name), learningRate);
        }
    }

    /**
     * Updates one parameter in place; {@link #steps()} already counts this step (1 on the first).
     *
     * @param parameter the parameter, mutated
     * @param gradient its gradient, may be overwritten
     */
    protected abstract void update(String name, INDArray parameter, INDArray gradient, double learningRate);

    /** The state array of {@code kind} for parameter {@code name}. */
    protected INDArray state(String kind, String name) {
        return state.get(kind).get(name);
    }

    /** The number of steps taken (PyTorch's {@code state['step']}). */
    public long steps() {
        return steps;
    }

    /** Every state array, named {@code kind/parameter} (e.g. {@code exp_avg/rnn.weight_ih_l0}); live arrays. */
    public Map<String, INDArray> stateDict() {
        Map<String, INDArray> named = new LinkedHashMap<>();
        state.forEach((kind, arrays) -> arrays.forEach((name, array) -> named.put(kind + "/" + name, array)));
        return named;
    }

    /**
     * Restores the state saved by {@link #stateDict()} after {@code steps} steps.
     *
     * @throws IllegalArgumentException for a state of another optimizer or other parameters
     */
    public void loadState(Map<String, INDArray> saved, long steps) {
        Map<String, INDArray> current = stateDict();
        ModelParameters.sharing(current).requireSameLayout("optimizer state", saved);
        current.forEach((name, array) -> array.assign(saved.get(name)));
        this.steps = steps;
    }
}
