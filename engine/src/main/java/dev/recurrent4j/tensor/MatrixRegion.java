package dev.recurrent4j.tensor;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A row-major {@code [rows, cols]} matrix inside a {@link NativeBuffer}, starting at element {@code offset}, rows
 * {@code cols} apart: a sub-matrix addressed by arithmetic, with no ND4J view behind it until {@link #view()} is
 * asked for. The sequence runner's per-step tensors are regions, so a time step creates no ND4J object.
 *
 * @param buffer the memory
 * @param offset the first element, counted from the buffer's first element
 * @param rows the number of rows
 * @param cols the number of columns, which is also the row stride
 */
public record MatrixRegion(NativeBuffer buffer, long offset, long rows, long cols) {

    /** A whole contiguous matrix, or a {@code [N]} vector as {@code [1, N]}. */
    public static MatrixRegion of(INDArray matrix) {
        long rows = matrix.rank() == 1 ? 1 : matrix.size(0);
        long cols = matrix.rank() == 1 ? matrix.length() : matrix.size(1);
        return new MatrixRegion(NativeBuffer.of(matrix), 0, rows, cols);
    }

    /** The {@code [rows, cols]} block {@code index} of a buffer holding such blocks back to back, e.g. a step. */
    public static MatrixRegion block(NativeBuffer buffer, long index, long rows, long cols) {
        return new MatrixRegion(buffer, index * rows * cols, rows, cols);
    }

    /** The first {@code count} rows. */
    public MatrixRegion firstRows(long count) {
        assert count <= rows;
        return count == rows ? this : new MatrixRegion(buffer, offset, count, cols);
    }

    /** Rows {@code [from, rows)}. */
    public MatrixRegion rowsFrom(long from) {
        assert from <= rows;
        return new MatrixRegion(buffer, offset + from * cols, rows - from, cols);
    }

    /** The number of elements. */
    public long length() {
        return rows * cols;
    }

    /** An ND4J view of this region (writes go to the buffer); costs a native call, so not for hot loops. */
    public INDArray view() {
        INDArray flat = buffer.array().reshape(buffer.array().length());
        return flat.get(NDArrayIndex.interval(offset, offset + length())).reshape(rows, cols);
    }
}
