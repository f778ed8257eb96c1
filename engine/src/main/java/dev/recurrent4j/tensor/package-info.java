/**
 * Tensor helpers shared by every layer above: shape checks at the public boundary ({@link
 * dev.recurrent4j.tensor.Shapes}), matrix products into preallocated outputs ({@link dev.recurrent4j.tensor.Blas},
 * straight to OpenBLAS on the CPU backend), and sub-matrices addressed by offset instead of ND4J views
 * ({@link dev.recurrent4j.tensor.MatrixRegion} over a {@link dev.recurrent4j.tensor.NativeBuffer}). Nothing here
 * knows about cells or time.
 */
package dev.recurrent4j.tensor;
