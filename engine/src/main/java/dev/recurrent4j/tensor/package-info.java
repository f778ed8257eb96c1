/**
 * Tensor helpers shared by every layer above: shape checks at the public boundary and batch reordering.
 * Nothing here knows about cells or time.
 */
package dev.recurrent4j.tensor;
