package dev.recurrent4j.train;

import dev.recurrent4j.model.EncoderDecoder;
import dev.recurrent4j.model.ForwardOptions;
import dev.recurrent4j.model.ModelParameters;

/** Trains an {@link EncoderDecoder} with teacher forcing and per-step softmax cross-entropy on the outputs. */
public final class Seq2SeqObjective implements Objective<Seq2SeqBatch> {
    private final EncoderDecoder model;

    public Seq2SeqObjective(EncoderDecoder model) {
        if (model == null) {
            throw new IllegalArgumentException("model: expected an EncoderDecoder but was null");
        }
        this.model = model;
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
    public Step trainStep(Seq2SeqBatch batch, long seed) {
        // closed after backward: the next step's forward reuses the memory of its caches
        try (EncoderDecoder.Forward forward = model.forward(batch.source(), batch.decoderInput(),
                ForwardOptions.training(seed))) {
            LossResult loss = SoftmaxCrossEntropy.perStep(forward.output(), batch.targets());
            return new Step(model.backward(forward, loss.gradient()), loss.metrics(), batch.items());
        }
    }

    @Override
    public Metrics evaluate(Seq2SeqBatch batch) {
        try (EncoderDecoder.Forward forward = model.forward(batch.source(), batch.decoderInput(),
                ForwardOptions.EVAL)) {
            return SoftmaxCrossEntropy.perStep(forward.output(), batch.targets()).metrics();
        }
    }
}
