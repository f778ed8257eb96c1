/**
 * The public model: a stack of recurrent layers, uni- or bidirectional, with PyTorch's parameter names, shapes
 * and semantics ({@code torch.nn.RNN}, {@code LSTM}, {@code GRU}), forward over variable-length batches and
 * backpropagation through time.
 *
 * <p>Start at {@link dev.recurrent4j.model.RecurrentNetwork}. Shapes are checked here, once, at the public
 * boundary; bad input gets an {@link java.lang.IllegalArgumentException} naming the argument, what was expected
 * and what came.
 */
package dev.recurrent4j.model;
