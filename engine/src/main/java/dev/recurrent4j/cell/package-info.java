/**
 * Cells: one time step of an Elman RNN, an LSTM or a GRU, with PyTorch's equations and gate packing.
 *
 * <p>A cell knows nothing of time, direction, lengths or truncation; those belong to {@code sequence}. Each cell
 * has two implementations: the in-place step used by the sequence runner ({@link dev.recurrent4j.cell.Cell},
 * which works on preallocated buffers with the gates packed in one {@code [B, G*H]} block), and the plain textbook
 * step in {@link dev.recurrent4j.cell.ReferenceCell}, which allocates freely and exists to be obviously right. An
 * equivalence test ties the two.
 */
package dev.recurrent4j.cell;
