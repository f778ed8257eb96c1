package dev.recurrent4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.systems.global.linux;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What a user's process gets without exporting anything: runs in a JVM of its own whose environment lacks both
 * variables (the surefire execution {@code native-environment} removes them), and touches ND4J for the first time
 * here, as an application would.
 */
@Tag("native-environment")
@EnabledOnOs(OS.LINUX)
class NativeEnvironmentProcessTest {

    @Test
    void ndLoadingSetsTheVariablesAndIdleNativeThreadsStopSpinning() throws InterruptedException {
        for (String name : NativeEnvironment.DEFAULTS.keySet()) {
            assertEquals(null, System.getenv(name), name + ": this test needs a JVM started without it");
        }
        assertEquals(Map.of(), NativeEnvironment.applied(), "nothing set before ND4J loads");

        INDArray a = Nd4j.rand(DataType.FLOAT, 512, 512); // ND4J loads its backend here, after the hook ran

        assertEquals(NativeEnvironment.DEFAULTS, NativeEnvironment.applied());
        for (Map.Entry<String, String> variable : NativeEnvironment.DEFAULTS.entrySet()) {
            BytePointer value = linux.getenv(new BytePointer(variable.getKey()));
            assertEquals(variable.getValue(), value == null ? null : value.getString(),
                    variable.getKey() + " in the C environment the native libraries read");
        }

        // The behaviour it is for: after an OpenBLAS product and OpenMP ops, the idle process burns no CPU. With
        // the libraries' defaults OpenBLAS's worker spins for 2^28 cycles after each product (about 100 ms of CPU
        // in a 300 ms pause; measured 80-110 ms on the 2-core CI machine). Best of five pauses, so that a JIT
        // compilation finishing in one of them does not count.
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long leastCpu = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            a.mmul(a).addi(1.0f).muli(0.5f);
            long before = os.getProcessCpuTime();
            Thread.sleep(300);
            leastCpu = Math.min(leastCpu, os.getProcessCpuTime() - before);
        }
        assertTrue(leastCpu < 30_000_000L, "an idle process used " + leastCpu / 1e6 + " ms of CPU in 300 ms");
    }
}
