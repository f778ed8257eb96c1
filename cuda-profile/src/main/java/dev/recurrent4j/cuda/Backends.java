package dev.recurrent4j.cuda;

import dev.recurrent4j.tensor.NativeEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the runner needs to know about the ND4J backend that loaded: its name, whether it is CUDA, a description of
 * its device, and the one call that waits for the device to finish.
 */
public final class Backends {
    private Backends() {}

    /** The backend class's simple name: {@code CpuBackend} or {@code JCublasBackend}. */
    public static String name() {
        return Nd4j.getBackend().getClass().getSimpleName();
    }

    /** Whether ND4J loaded its CUDA backend (the {@code cuda} Maven profile on a machine with a supported GPU). */
    public static boolean isCuda() {
        return name().toLowerCase().contains("cublas") || name().toLowerCase().contains("cuda");
    }

    /**
     * The major compute capability of this thread's CUDA device (8 for an A100, 9 for an H100), or -1 on CPU or
     * when ND4J does not say.
     */
    public static int computeCapabilityMajor() {
        if (!isCuda()) {
            return -1;
        }
        Object devices = Nd4j.getExecutioner().getEnvironmentInformation().get("cuda.devicesInformation");
        int device = Nd4j.getAffinityManager().getDeviceForCurrentThread();
        if (devices instanceof List<?> list && device >= 0 && device < list.size()
                && list.get(device) instanceof Map<?, ?> info && info.get("cuda.deviceMajor") instanceof Number n) {
            return n.intValue();
        }
        return -1;
    }

    /**
     * Blocks until every op this thread has queued has finished; call it before reading a clock. On CUDA, ND4J ops
     * return when their kernel is launched, not when it has run: in 1.0.0-M2.1 {@code CudaExecutioner.commit()}
     * synchronises the calling thread's two CUDA streams (its context's {@code syncOldStream()} and
     * {@code syncSpecialStream()}, each a {@code cudaStreamSynchronize}). On CPU ops return finished and
     * {@code commit()} does nothing, so the same call serves both backends.
     */
    public static void synchronize() {
        Nd4j.getExecutioner().commit();
    }

    /**
     * Lines describing the backend and its devices, from ND4J's environment information: on CUDA each device's
     * name, compute capability and memory; on CPU the cores and the BLAS library.
     */
    public static List<String> describe() {
        Properties info = Nd4j.getExecutioner().getEnvironmentInformation();
        List<String> lines = new ArrayList<>();
        lines.add("backend: " + name() + " (" + info.getOrDefault("backend", "?") + "), ND4J "
                + nd4jVersion() + ", default data type "
                + Nd4j.dataType());
        Object devices = info.get("cuda.devicesInformation");
        if (devices instanceof List<?> list) {
            for (int d = 0; d < list.size(); d++) {
                if (list.get(d) instanceof Map<?, ?> device) {
                    lines.add(String.format("device %d: %s, compute capability %s.%s, %s of %s MiB free", d,
                            device.get("cuda.deviceName"), device.get("cuda.deviceMajor"),
                            device.get("cuda.deviceMinor"), mebibytes(device.get("cuda.freeMemory")),
                            mebibytes(device.get("cuda.totalMemory"))));
                }
            }
        } else {
            lines.add("device: CPU, " + info.getOrDefault("cores", Runtime.getRuntime().availableProcessors())
                    + " cores, BLAS " + info.getOrDefault("blas.vendor", "?") + "; exported OMP_WAIT_POLICY="
                    + System.getenv("OMP_WAIT_POLICY") + ", OPENBLAS_THREAD_TIMEOUT="
                    + System.getenv("OPENBLAS_THREAD_TIMEOUT") + "; set by the engine: "
                    + NativeEnvironment.applied());
        }
        return lines;
    }

    /** The nd4j-api version, from its Maven metadata; {@code ?} if it is missing. */
    static String nd4jVersion() {
        try (InputStream in = Nd4j.class.getResourceAsStream("/META-INF/maven/org.nd4j/nd4j-api/pom.properties")) {
            if (in == null) {
                return "?";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "?");
        } catch (IOException e) {
            return "?";
        }
    }

    private static String mebibytes(Object bytes) {
        return bytes instanceof Number n ? Long.toString(n.longValue() >> 20) : String.valueOf(bytes);
    }
}
