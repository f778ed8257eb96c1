/**
 * Training: losses and metrics, optimizers and learning-rate schedules, gradient clipping, the {@link
 * dev.recurrent4j.train.Trainer} (epochs, shuffled minibatches, validation, early stopping, truncated BPTT through
 * {@link dev.recurrent4j.train.SequenceObjective} and {@link dev.recurrent4j.train.Tbptt}), crash-safe
 * {@link dev.recurrent4j.train.Checkpoint}s (and {@link dev.recurrent4j.train.TrainedModel}, which loads one into an
 * inference model in one call), and feedback: a console progress bar, CSV curves and PNG charts.
 *
 * <p>Builds on {@code dev.recurrent4j.model} (the models and their backward passes); nothing in the engine, and in
 * particular nothing in inference, imports this package: it lives in its own module. Everything random derives
 * from the trainer's seed ({@link dev.recurrent4j.train.SeededRandom}); the same seed on the same backend gives the
 * same losses, bit for bit, on CPU.
 */
package dev.recurrent4j.train;
