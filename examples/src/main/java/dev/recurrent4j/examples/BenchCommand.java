package dev.recurrent4j.examples;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.model.ForwardResult;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: a quick throughput check of forward and forward+backward for one shape, after a warm-up. For
 * numbers to quote, use the JMH suite in {@code benchmarks/}, which forks, measures allocation and runs the peer
 * baseline in the same run.
 */
@Command(name = "bench", description = "Quick forward and forward+backward throughput for one shape (use the JMH"
        + " suite in benchmarks/ for numbers to quote).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--cell", defaultValue = "LSTM")
    CellType cell;
    @Option(names = "--input-size", defaultValue = "32")
    int inputSize;
    @Option(names = "--hidden", defaultValue = "128")
    int hidden;
    @Option(names = "--layers", defaultValue = "1")
    int layers;
    @Option(names = "--steps", defaultValue = "50", description = "T")
    int steps;
    @Option(names = "--batch", defaultValue = "16", description = "B")
    int batch;
    @Option(names = "--seconds", defaultValue = "3", description = "measured time per mode")
    double seconds;

    @Override
    public Integer call() {
        if (steps < 1 || batch < 1 || !(seconds > 0)) {
            throw new IllegalArgumentException("--steps, --batch and --seconds: expected positive values but were "
                    + steps + ", " + batch + ", " + seconds);
        }
        RecurrentConfig config = RecurrentConfig.of(cell, inputSize, hidden).withLayers(layers);
        RecurrentNetwork net = RecurrentNetwork.initialize(config, 1);
        INDArray x = Nd4j.rand(DataType.FLOAT, steps, batch, inputSize);
        INDArray dY = Nd4j.rand(DataType.FLOAT, steps, batch, hidden);
        System.out.printf("%s, T=%d, B=%d, float32, %d threads%n", config, steps, batch,
                Runtime.getRuntime().availableProcessors());
        for (boolean backward : new boolean[] {false, true}) {
            measure(net, x, dY, backward, Math.min(1.0, seconds)); // warm-up
            double perSecond = measure(net, x, dY, backward, seconds);
            System.out.printf("%-18s %8.1f batches/s  %10.0f steps/s  %8.3f ms/batch%n",
                    backward ? "forward+backward" : "forward", perSecond, perSecond * steps * batch,
                    1000 / perSecond);
        }
        return 0;
    }

    private static double measure(RecurrentNetwork net, INDArray x, INDArray dY, boolean backward, double seconds) {
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        int count = 0;
        while (System.nanoTime() < deadline || count == 0) {
            ForwardResult out = net.forward(x, null, null);
            if (backward) {
                net.backward(out, dY, null);
            }
            count++;
        }
        return count / ((System.nanoTime() - start) / 1e9);
    }
}
