package dev.recurrent4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which variables {@link NativeEnvironment} decides to set; what they do to a fresh JVM is
 * {@code NativeEnvironmentProcessTest}'s.
 */
class NativeEnvironmentTest {

    @Test
    void setsEveryDefaultTheEnvironmentLacks() {
        assertEquals(NativeEnvironment.DEFAULTS, NativeEnvironment.plan(Map.of("PATH", "/bin"), null));
        assertEquals(List.of("OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT"),
                List.copyOf(NativeEnvironment.plan(Map.of(), null).keySet()));
    }

    @Test
    void theUsersOwnValueWins() {
        Map<String, String> planned = NativeEnvironment.plan(Map.of("OMP_WAIT_POLICY", "ACTIVE"), null);
        String timeout = NativeEnvironment.DEFAULTS.get("OPENBLAS_THREAD_TIMEOUT");
        assertEquals(Map.of("OPENBLAS_THREAD_TIMEOUT", timeout), planned);
    }

    @Test
    void thePropertyTurnsItOff() {
        assertTrue(NativeEnvironment.plan(Map.of(), "false").isEmpty());
        assertTrue(NativeEnvironment.plan(Map.of(), "FALSE").isEmpty());
        assertEquals(NativeEnvironment.DEFAULTS, NativeEnvironment.plan(Map.of(), "true"));
    }
}
