package dev.recurrent4j.examples;

import dev.recurrent4j.cell.CellType;
import dev.recurrent4j.io.SafeTensors;
import dev.recurrent4j.model.ForwardResult;
import dev.recurrent4j.model.RecurrentConfig;
import dev.recurrent4j.model.RecurrentNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code import-torch}: loads a PyTorch {@code nn.RNN/LSTM/GRU} {@code state_dict} saved with safetensors into a
 * {@link RecurrentNetwork} of the stated architecture (strictly: every name, shape and dtype), runs a forward pass
 * as a smoke test, and optionally writes it back out (float32 or float64).
 */
@Command(name = "import-torch", description = "Load a PyTorch RNN/LSTM/GRU state_dict (safetensors) and check it.")
final class ImportTorchCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "the .safetensors file (torch: save_file(lstm.state_dict(), path))")
    Path file;
    @Option(names = "--cell", required = true, description = "RNN_TANH, RNN_RELU, LSTM or GRU")
    CellType cell;
    @Option(names = "--input-size", required = true)
    int inputSize;
    @Option(names = "--hidden", required = true)
    int hidden;
    @Option(names = "--layers", defaultValue = "1")
    int layers;
    @Option(names = "--bidirectional")
    boolean bidirectional;
    @Option(names = "--no-bias")
    boolean noBias;
    @Option(names = "--out", description = "write the checked state_dict here (same names)")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("file: expected a safetensors file but " + file + " is not a file");
        }
        Map<String, INDArray> tensors = SafeTensors.read(file);
        DataType type = tensors.values().stream().findFirst().map(INDArray::dataType).orElse(DataType.FLOAT);
        RecurrentConfig config = RecurrentConfig.of(cell, inputSize, hidden).withLayers(layers)
                .withBidirectional(bidirectional).withBias(!noBias)
                .withDataType(type == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT);
        RecurrentNetwork net = RecurrentNetwork.fromTorchStateDict(config, tensors);
        System.out.println("loaded " + file + " as " + config);
        net.toTorchStateDict().forEach((name, t) -> System.out.println("  " + name + " " + Arrays.toString(t.shape())));
        INDArray x = Nd4j.rand(config.dataType(), 5, 2, inputSize);
        ForwardResult result = net.forward(x, null, null);
        System.out.printf("forward on random [T=5, B=2, I=%d]: output %s, mean %.6f, final h %s%n", inputSize,
                Arrays.toString(result.output().shape()), result.output().meanNumber().doubleValue(),
                Arrays.toString(result.finalState().h().shape()));
        if (out != null) {
            SafeTensors.write(out, net.toTorchStateDict());
            System.out.println("wrote " + out);
        }
        return 0;
    }
}
