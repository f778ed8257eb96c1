package dev.recurrent4j.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeAll;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The PyTorch parity suite ({@link TorchParityTest}, every fixture, float64 within 1e-9 and float32 within 1e-4)
 * bound to ND4J's CUDA backend. Since the CPU backend passes the same suite, passing here means CUDA = CPU within
 * those tolerances on every fixture.
 *
 * <p>Skipped, with the reason, when ND4J did not load its CUDA backend: the default {@code cpu} profile, or
 * {@code -Pcuda} on a machine without a GPU that ND4J 1.0.0-M2.1 supports (sm_37 to sm_86; not Hopper).
 */
class CudaTorchParityTest extends TorchParityTest {

    @BeforeAll
    static void requireCudaBackend() {
        String backend = Nd4j.getBackend().getClass().getSimpleName();
        assumeTrue(backend.toLowerCase().contains("cuda"), () -> "ND4J backend is " + backend
                + ", not CUDA: build with ./mvnw -Pcuda on a machine with a supported NVIDIA GPU (sm_37..sm_86)");
    }
}
