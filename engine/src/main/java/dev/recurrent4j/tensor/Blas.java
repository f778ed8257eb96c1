package dev.recurrent4j.tensor;

import java.nio.ByteBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.LoggerFactory;

/**
 * Matrix products into preallocated outputs: {@code C = alpha * op(A) op(B) + beta * C}.
 *
 * <p>On ND4J's CPU backend, float32 and float64 products of row-major matrices go straight to the OpenBLAS that
 * nd4j-native loads ({@link OpenBlasGemm}), which costs a few microseconds of dispatch where {@code Nd4j.gemm} costs
 * tens, and a one-row product becomes a GEMV (ten times cheaper than a one-row GEMM). Anything else (another
 * backend, another layout) goes through {@code Nd4j.gemm}. Both give the same products up to rounding; the
 * engine's parity and equivalence tests run through here.
 */
public final class Blas {
    private static final boolean DIRECT = detect();
    /** The most bytes {@link #fillRows} doubles its first rows into before it copies them as a block. */
    private static final int BLOCK_BYTES = 32 * 1024;

    private Blas() {}

    /**
     * {@code c = alpha * op(a) op(b) + beta * c}.
     *
     * @param a {@code [M, K]} ({@code [K, M]} when {@code transposeA}); not mutated
     * @param b {@code [K, N]} ({@code [N, K]} when {@code transposeB}); not mutated
     * @param c {@code [M, N]}, element-wise stride 1; overwritten (accumulated into when {@code beta != 0})
     */
    public static void gemm(INDArray a, boolean transposeA, INDArray b, boolean transposeB, double alpha,
            double beta, INDArray c) {
        assert a.rank() == 2 && b.rank() == 2 && c.rank() == 2 : "gemm takes matrices";
        assert a.size(transposeA ? 0 : 1) == b.size(transposeB ? 1 : 0) : "inner dimensions differ";
        if (DIRECT && OpenBlasGemm.accepts(a, b, c)) {
            OpenBlasGemm.gemm(OpenBlasGemm.region(a), transposeA, OpenBlasGemm.region(b), transposeB, alpha, beta,
                    OpenBlasGemm.region(c));
        } else {
            Nd4j.gemm(a, b, c, transposeA, transposeB, alpha, beta);
        }
    }

    /**
     * {@code c = alpha * op(a) op(b) + beta * c} on regions: straight to OpenBLAS where it can, else through
     * {@code Nd4j.gemm} on views of the regions. Shapes as in {@link #gemm(INDArray, boolean, INDArray, boolean,
     * double, double, INDArray)}.
     */
    public static void gemm(MatrixRegion a, boolean transposeA, MatrixRegion b, boolean transposeB, double alpha,
            double beta, MatrixRegion c) {
        assert (transposeA ? a.rows() : a.cols()) == (transposeB ? b.cols() : b.rows()) : "inner dimensions differ";
        if (DIRECT && OpenBlasGemm.accepts(a, b, c)) {
            OpenBlasGemm.gemm(a, transposeA, b, transposeB, alpha, beta, c);
        } else {
            Nd4j.gemm(a.view(), b.view(), c.view(), transposeA, transposeB, alpha, beta);
        }
    }

    /**
     * {@code out = x weight^T + bias}, PyTorch's {@code F.linear}, into a preallocated output: the input projection
     * of a whole sequence. On the direct path {@code bias} is first copied into every row of {@code out} and the
     * product accumulated onto it ({@code beta = 1}); OpenBLAS clears the output of a {@code beta = 0} product in a
     * pass of its own, so the bias then costs no pass over {@code out} (an {@code addiRowVector} after the product
     * did: [2048, 128] x [128, 1024] with the bias took 3.25 ms this way against 3.83 on the 2-core VM of 2026-11-23).
     * Either way the sum is the same up to rounding: exactly the same where OpenBLAS sums the inner dimension in one
     * block.
     *
     * @param x {@code [M, K]}, 'c' order with rows packed; not mutated
     * @param weight {@code [N, K]}; not mutated
     * @param bias {@code [N]} (any shape of N elements, contiguous), or {@code null} for none
     * @param out {@code [M, N]}, 'c' order with rows packed; overwritten
     */
    public static void linear(INDArray x, INDArray weight, INDArray bias, INDArray out) {
        assert bias == null || bias.length() == out.size(1) : "bias length differs from the output's columns";
        long bytes = out.length() * out.dataType().width();
        if (bias == null || !DIRECT || !OpenBlasGemm.accepts(x, weight, out) || bias.dataType() != out.dataType()
                || !NativeBuffer.isContiguous(bias) || bytes > Integer.MAX_VALUE) {
            gemm(x, false, weight, true, 1.0, 0.0, out);
            if (bias != null) {
                out.addiRowVector(bias);
            }
            return;
        }
        fillRows(NativeBuffer.of(out), NativeBuffer.of(bias), out.size(0), out.size(1));
        gemm(x, false, weight, true, 1.0, 1.0, out);
    }

    /**
     * Copies {@code row} into each of the {@code rows} rows of {@code target}: the row once, then doubling the rows
     * written while they stay within 32 KiB (in the first-level cache), then that block over and over.
     */
    private static void fillRows(NativeBuffer target, NativeBuffer row, long rows, long cols) {
        if (rows == 0) {
            return;
        }
        ByteBuffer to = target.bytes();
        int start = target.byteIndex(0);
        int rowBytes = Math.toIntExact(cols * target.dataType().width());
        to.put(start, row.bytes(), row.byteIndex(0), rowBytes);
        long block = 1;
        while (2 * block <= rows && 2 * block * rowBytes <= BLOCK_BYTES) {
            to.put(Math.toIntExact(start + block * rowBytes), to, start, Math.toIntExact(block * rowBytes));
            block *= 2;
        }
        for (long done = block; done < rows; done += block) {
            long count = Math.min(block, rows - done);
            to.put(Math.toIntExact(start + done * rowBytes), to, start, Math.toIntExact(count * rowBytes));
        }
    }

    /**
     * Copies {@code source} into {@code target} (same shape and data type): a memory copy on the CPU backend, an
     * ND4J assign on views elsewhere.
     */
    public static void copy(MatrixRegion source, MatrixRegion target) {
        assert source.rows() == target.rows() && source.cols() == target.cols() : "copy between different shapes";
        if (source.length() == 0) {
            return;
        }
        if (DIRECT) {
            NativeBuffer from = source.buffer();
            NativeBuffer to = target.buffer();
            to.bytes().put(to.byteIndex(target.offset()), from.bytes(), from.byteIndex(source.offset()),
                    Math.toIntExact(source.length() * from.dataType().width()));
        } else {
            target.view().assign(source.view());
        }
    }

    /** Whether products go straight to OpenBLAS in this JVM. */
    public static boolean direct() {
        return DIRECT;
    }

    private static boolean detect() {
        if (!Boolean.parseBoolean(System.getProperty("recurrent4j.directBlas", "true"))) {
            return false;
        }
        if (!Nd4j.getBackend().getClass().getSimpleName().equals("CpuBackend")
                || !Nd4j.factory().blas().getBlasVendor().name().equals("OPENBLAS")) {
            return false;
        }
        try {
            return OpenBlasGemm.selfTest();
        } catch (LinkageError | RuntimeException e) {
            LoggerFactory.getLogger(Blas.class).info("Direct OpenBLAS calls unavailable ({}); using Nd4j.gemm", e.toString());
            return false;
        }
    }

    /** Types the direct path handles. */
    static boolean directType(DataType type) {
        return type == DataType.FLOAT || type == DataType.DOUBLE;
    }
}
