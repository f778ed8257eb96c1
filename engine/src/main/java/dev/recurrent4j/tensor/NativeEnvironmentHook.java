package dev.recurrent4j.tensor;

import org.nd4j.common.io.Resource;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4jBackend;

/**
 * Not a backend: the earliest moment this library gets to run code before ND4J loads native libraries. ND4J
 * ({@code Nd4jBackend.load}) first instantiates every {@code Nd4jBackend} provider listed in
 * {@code META-INF/services}, then sorts them by priority and only then asks each whether it is available, which
 * is when the real backend loads its natives. This provider's constructor runs in the first phase and calls
 * {@link NativeEnvironment#apply()}; it reports itself unavailable, with the lowest priority, so ND4J never picks it
 * (and asks it only if no real backend could load).
 */
public final class NativeEnvironmentHook extends Nd4jBackend {

    /** Called by {@link java.util.ServiceLoader}. */
    public NativeEnvironmentHook() {
        NativeEnvironment.apply();
    }

    @Override
    public int getPriority() {
        return BACKEND_PRIORITY_CPU - 100; // below every real backend (ND4J subtracts priorities: no extreme values)
    }

    @Override
    public boolean isAvailable() {
        return false;
    }

    @Override
    public boolean canRun() {
        return false;
    }

    @Override
    public boolean allowsOrder() {
        return false;
    }

    @Override
    public Resource getConfigurationResource() {
        throw notABackend();
    }

    @Override
    public Class getNDArrayClass() {
        throw notABackend();
    }

    @Override
    public Environment getEnvironment() {
        throw notABackend();
    }

    @Override
    public String buildInfo() {
        return "not a backend: sets ND4J's native environment before the real backend loads";
    }

    @Override
    public void logBackendInit() {
        // nothing to log: not a backend
    }

    private static UnsupportedOperationException notABackend() {
        return new UnsupportedOperationException(NativeEnvironmentHook.class.getSimpleName()
                + " is not a backend (it is never available); ND4J should have picked a real one");
    }
}
