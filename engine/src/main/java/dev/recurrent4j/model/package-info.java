/**
 * The public model: a stack of recurrent layers, uni- or bidirectional, with PyTorch's parameter names, shapes
 * and semantics ({@code torch.nn.RNN}, {@code LSTM}, {@code GRU}), forward over variable-length batches and
 * backpropagation through time.
 *
 * <p>Start at {@link dev.recurrent4j.model.RecurrentNetwork}. {@link dev.recurrent4j.model.SequenceModel} composes
 * a whole model around it: an input encoding (dense, embedding or one-hot), the recurrent stack and a linear head
 * per step or on each sequence's last step, with named {@link dev.recurrent4j.model.ModelParameters}; the layers it
 * uses are in {@code model.layer}. Losses, optimizers and the trainer belong to {@code train}, which builds on this
 * package and never the other way round. Shapes are checked here, once, at the public
 * boundary; bad input gets an {@link java.lang.IllegalArgumentException} naming the argument, what was expected
 * and what came.
 */
package dev.recurrent4j.model;
