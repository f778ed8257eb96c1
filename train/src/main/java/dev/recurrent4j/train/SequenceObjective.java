package dev.recurrent4j.train;

import dev.recurrent4j.model.ForwardOptions;
import dev.recurrent4j.model.ModelForward;
import dev.recurrent4j.model.ModelGradients;
import dev.recurrent4j.model.ModelParameters;
import dev.recurrent4j.model.RecurrentState;
import dev.recurrent4j.model.SequenceModel;

/**
 * Trains a {@link SequenceModel} on {@link LabeledBatch}es: per-step or per-sequence softmax cross-entropy, or
 * mean squared error, by the batch's kind of target. With a {@link Tbptt}, the final state of each batch is the
 * next batch's initial state (reset by {@link #reset()}, at every epoch and evaluation) and backward is truncated
 * to k2 steps; batches must then come in stream order with the same B (a batch of another size starts from zero).
 */
public final class SequenceObjective implements Objective<LabeledBatch> {
    private final SequenceModel model;
    private final Tbptt tbptt;
    /** The state carried into the next segment (TBPTT only), or {@code null}. */
    private RecurrentState carried;

    /** Full backpropagation through time; every batch starts from a zero state. */
    public SequenceObjective(SequenceModel model) {
        this(model, null);
    }

    /** @param tbptt truncated BPTT with carried state, or {@code null} for full BPTT */
    public SequenceObjective(SequenceModel model, Tbptt tbptt) {
        if (model == null) {
            throw new IllegalArgumentException("model: expected a SequenceModel but was null");
        }
        if (tbptt != null && model.config().recurrent().bidirectional()) {
            throw new IllegalArgumentException("tbptt: expected a unidirectional model for truncated BPTT but "
                    + model.config().recurrent() + " is bidirectional");
        }
        this.model = model;
        this.tbptt = tbptt;
    }

    public SequenceModel model() {
        return model;
    }

    @Override
    public ModelParameters parameters() {
        return model.parameters();
    }

    @Override
    public Object architecture() {
        return model.config();
    }

    @Override
    public void reset() {
        carried = null;
    }

    @Override
    public Step trainStep(LabeledBatch batch, long seed) {
        // closed after backward: the next step's forward reuses the memory of its caches
        try (ModelForward forward = model.forward(batch.input(), initialState(batch), ForwardOptions.training(seed))) {
            LossResult loss = loss(forward, batch);
            ModelGradients g;
            if (tbptt == null) {
                g = model.backward(forward, loss.gradient(), null);
            } else {
                int steps = batch.input().steps();
                if (steps > tbptt.forwardSteps()) {
                    throw new IllegalArgumentException("batch: expected at most k1=" + tbptt.forwardSteps()
                            + " steps for truncated BPTT but was " + steps);
                }
                g = model.backwardTruncated(forward, loss.gradient(), null, Math.min(tbptt.backwardSteps(), steps));
                carried = forward.finalState();
            }
            return new Step(g.parameters(), loss.metrics(), batch.items());
        }
    }

    @Override
    public Metrics evaluate(LabeledBatch batch) {
        try (ModelForward forward = model.forward(batch.input(), initialState(batch), ForwardOptions.EVAL)) {
            if (tbptt != null) {
                carried = forward.finalState();
            }
            return loss(forward, batch).metrics();
        }
    }

    /** The loss of a forward against the batch's targets. */
    static LossResult loss(ModelForward forward, LabeledBatch batch) {
        if (batch.stepClasses() != null) {
            return SoftmaxCrossEntropy.perStep(forward.output(), batch.stepClasses());
        }
        if (batch.sequenceClasses() != null) {
            return SoftmaxCrossEntropy.perSequence(forward.output(), batch.sequenceClasses());
        }
        return MeanSquaredError.of(forward.output(), batch.values(),
                forward.output().rank() == 3 ? batch.input().lengths() : null);
    }

    private RecurrentState initialState(LabeledBatch batch) {
        if (tbptt == null || carried == null || carried.h().size(1) != batch.input().batch()) {
            return null;
        }
        return carried;
    }
}
