package dev.recurrent4j.sequence;

import dev.recurrent4j.cell.CellWeights;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gradients of one layer in one direction.
 *
 * @param input {@code [T, B, I]} dL/dx; exactly 0 at padded steps and at steps outside a truncation window
 * @param initialHidden {@code [B, H]} dL/dh0; 0 when truncation cut the graph before the first step
 * @param initialCell {@code [B, H]} dL/dc0 for the LSTM, else {@code null}
 * @param weights dL/d(each parameter), same shapes as the parameters
 */
public record DirectionGradients(INDArray input, INDArray initialHidden, INDArray initialCell, CellWeights weights) {}
