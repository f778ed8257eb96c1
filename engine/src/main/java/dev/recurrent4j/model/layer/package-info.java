/**
 * The non-recurrent layers that composed models put around a recurrent network: {@link
 * dev.recurrent4j.model.layer.Embedding} and {@link dev.recurrent4j.model.layer.OneHot} in front,
 * {@link dev.recurrent4j.model.layer.Linear} behind. Each is a pair of stateless functions, forward and backward,
 * over arrays the caller owns, with PyTorch's parameter layouts. Shapes are asserted here, checked by the callers
 * at the public boundary.
 */
package dev.recurrent4j.model.layer;
