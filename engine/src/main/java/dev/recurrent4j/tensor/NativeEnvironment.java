package dev.recurrent4j.tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets, for this process, the environment variables that ND4J's CPU libraries read once when they load, so that a
 * user who never heard of them still gets thread pools that sleep when idle. It sets only what the environment
 * lacks: a value the user exported always wins.
 *
 * <p>Why. nd4j-native runs its own ops on libgomp's OpenMP pool and its matrix products on a bundled pthreads
 * OpenBLAS, and both pools spin after each parallel call: libgomp for a while, OpenBLAS for 2^28 cycles (about 0.1 s
 * at 2.5 GHz). On a small machine the spinning threads of one pool take the cores the other pool, the JVM's
 * threads or the service itself need; the measured cost on a 2-core machine was 2 to 7 times for ND4J-based code
 * (see the README's "The fast CPU path"). {@code OMP_WAIT_POLICY=PASSIVE} makes libgomp's idle threads sleep at
 * once; {@code OPENBLAS_THREAD_TIMEOUT=18} makes OpenBLAS's sleep after 2^18 cycles (about 0.1 ms), long enough to
 * stay awake between the products of one stream step, short enough that an idle process burns nothing. Measured on
 * the 2-core machine (JMH, one run each; OpenBLAS timeout 4 / 18 / the libraries' defaults): LSTM stream step
 * 28.3 / 21.5 / 18.7 µs, LSTM S2 forward 28.0 / 30.3 / 34.2 ms, DL4J's forward on the same shape 101 / 88 / 182 ms.
 *
 * <p>How. Both libraries read the variables in their load-time initialisation, so they must be in the C
 * environment before ND4J loads its backend: {@link NativeEnvironmentHook}, registered as an ND4J backend provider,
 * calls {@link #apply()} while ND4J is still listing its backends, before any of them loads native code. The
 * variables are set with the C library's {@code setenv} (JavaCPP's {@code systems} bindings); Java's own
 * {@link System#getenv()} keeps showing the environment the process started with. Linux and macOS only; on Windows
 * nothing is set. {@code -Drecurrent4j.nativeEnvironment=false} turns it off.
 *
 * <p>What it cannot do: once ND4J has loaded (for instance by a class loader that does not see this jar's service
 * file), changing the variables has no effect, and {@link #apply()} run that late sets nothing that matters.
 */
public final class NativeEnvironment {
    /** The system property that, set to {@code false}, leaves the process environment alone. */
    public static final String PROPERTY = "recurrent4j.nativeEnvironment";

    /** The variables set when absent, with their values, in the order set. */
    public static final Map<String, String> DEFAULTS = defaults();

    private static final Logger log = LoggerFactory.getLogger(NativeEnvironment.class);
    private static Map<String, String> applied;

    private NativeEnvironment() {}

    private static Map<String, String> defaults() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("OMP_WAIT_POLICY", "PASSIVE");
        values.put("OPENBLAS_THREAD_TIMEOUT", "18");
        return Collections.unmodifiableMap(values);
    }

    /**
     * Sets the {@link #DEFAULTS} that the process environment lacks, once per process (later calls return the first
     * call's result). Never throws: a platform without {@code setenv} bindings logs a warning and sets nothing.
     *
     * @return what was set, in order; empty when nothing was (all present, turned off, or not supported)
     */
    public static synchronized Map<String, String> apply() {
        if (applied != null) {
            return applied;
        }
        Map<String, String> planned = plan(System.getenv(), System.getProperty(PROPERTY));
        Map<String, String> set = new LinkedHashMap<>();
        String platform = Loader.getPlatform();
        if (!planned.isEmpty() && !platform.startsWith("linux") && !platform.startsWith("macosx")) {
            log.debug("Not setting {} on {}: no setenv binding used there", planned.keySet(), platform);
            planned = Map.of();
        }
        try {
            for (Map.Entry<String, String> variable : planned.entrySet()) {
                int status = platform.startsWith("linux")
                        ? org.bytedeco.systems.global.linux.setenv(variable.getKey(), variable.getValue(), 0)
                        : org.bytedeco.systems.global.macosx.setenv(variable.getKey(), variable.getValue(), 0);
                if (status == 0) {
                    set.put(variable.getKey(), variable.getValue());
                }
            }
        } catch (LinkageError | RuntimeException e) {
            log.warn("Could not set {} for ND4J's native thread pools ({}); export them yourself on a small "
                    + "machine", planned, e.toString());
        }
        if (!set.isEmpty()) {
            log.info("Set {} for ND4J's native thread pools (idle threads sleep instead of spinning for up to 0.1 s);"
                    + " your own values or -D{}=false override this", set, PROPERTY);
        }
        applied = Collections.unmodifiableMap(set);
        return applied;
    }

    /** What {@link #apply()} set in this process; empty before it ran or when it set nothing. */
    public static synchronized Map<String, String> applied() {
        return applied == null ? Map.of() : applied;
    }

    /**
     * The variables to set: the defaults missing from {@code environment}, or none when {@code property} is
     * {@code "false"} (any case).
     *
     * @param environment the process environment as Java sees it
     * @param property the value of {@link #PROPERTY}, or {@code null} when unset
     */
    static Map<String, String> plan(Map<String, String> environment, String property) {
        if ("false".equalsIgnoreCase(property)) {
            return Map.of();
        }
        Map<String, String> missing = new LinkedHashMap<>();
        DEFAULTS.forEach((name, value) -> {
            if (environment.get(name) == null) {
                missing.put(name, value);
            }
        });
        return missing;
    }
}
