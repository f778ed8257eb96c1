package dev.recurrent4j.model;

import org.junit.jupiter.api.condition.EnabledIf;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.LoggerFactory;

/**
 * The PyTorch parity suite ({@link TorchParityTest}, every fixture, float64 within 1e-9 and float32 within 1e-4)
 * bound to ND4J's CUDA backend. Since the CPU backend passes the same suite, passing here means CUDA = CPU within
 * those tolerances on every fixture.
 *
 * <p>Skipped, with the reason, when ND4J did not load its CUDA backend: the default {@code cpu} profile, or
 * {@code -Pcuda} on a machine without a GPU that ND4J 1.0.0-M2.1 supports (sm_37 to sm_86; not Hopper).
 */
@EnabledIf(value = "cudaBackendLoaded", disabledReason = "ND4J did not load its CUDA backend (the default cpu"
        + " profile, or no supported GPU): run ./mvnw -Pcuda verify on a machine with an sm_37..sm_86 NVIDIA GPU")
class CudaTorchParityTest extends TorchParityTest {

    static boolean cudaBackendLoaded() {
        String backend = Nd4j.getBackend().getClass().getSimpleName();
        LoggerFactory.getLogger(CudaTorchParityTest.class).info("ND4J backend: {}", backend);
        return backend.toLowerCase().contains("cuda");
    }
}
