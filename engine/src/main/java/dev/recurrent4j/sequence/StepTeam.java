package dev.recurrent4j.sequence;

import dev.recurrent4j.cell.Cell;
import dev.recurrent4j.cell.CellWeights;
import dev.recurrent4j.cell.ParallelStep;
import dev.recurrent4j.cell.StepGradients;
import dev.recurrent4j.cell.StepTensors;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the time steps of one layer-direction, forward or backward, each step split between the calling thread and
 * helper threads when the cell offers a {@link ParallelStep} and the step is big enough to share; otherwise the
 * caller runs {@link Cell#forward} or {@link Cell#backward} alone. Both sequence runners step through a team, so
 * they make the same choice and get the same bits; how many threads share a step changes no bit either.
 *
 * <p>Why threads of our own: a step is one small product and its elementwise update, on the critical path of the
 * next step. OpenBLAS's pool splits the product only; the update then runs on the caller's core alone. Shared a
 * chunk of {@code [0, H)} at a time, each thread updates exactly its chunk (for small batches, those hidden units,
 * computing their columns of the product first; for larger ones, the same share of the rows), so the only
 * synchronisation is one barrier per step.
 *
 * <p>The helpers: {@code availableProcessors - 1} daemon threads, or {@code -Drecurrent4j.stepThreads=N} threads
 * in all ({@code 1}: none), started on first use. A team claims the helpers that are free when it starts (none when
 * another team holds them: concurrent callers then run alone, which is what a loaded machine wants) and releases
 * them on {@link #close}, so a team is held only for one time loop. A waiting thread yields rather than spins
 * (see {@link #pause}); a helper nobody holds parks.
 */
public final class StepTeam implements AutoCloseable {
    /**
     * Multiply-adds per step a thread must get for a helper to be taken: about 1 µs of the Java product on one core,
     * the order of a hand-off's cost. Chosen, not tuned: the measured shapes lie far above or below it.
     */
    private static final long MIN_WORK_PER_THREAD = 1 << 15;
    /**
     * Chunks per thread in a step: enough that a thread slowed by the rest of the machine takes fewer of them (on
     * this project's 2-core VM one core ran the same code 1.5 times slower than the other for seconds at a time),
     * few enough that each chunk's elementwise work runs over whole vectors.
     */
    private static final int CHUNKS_PER_THREAD = 4;
    private static final Helper[] HELPERS = helpers(Integer.getInteger("recurrent4j.stepThreads",
            Runtime.getRuntime().availableProcessors()) - 1);

    private final Cell cell;
    private final CellWeights weights;
    private final ParallelStep parallel;
    private final Helper[] members;
    /** The width of a chunk of {@code [0, H)}: a step is shared out a chunk at a time, to whichever thread is free. */
    private final int chunk;
    /** The next chunk of the current step to run. */
    private final AtomicInteger next = new AtomicInteger();

    private StepTeam(Cell cell, CellWeights weights, ParallelStep parallel, Helper[] members) {
        this.cell = cell;
        this.weights = weights;
        this.parallel = parallel;
        this.members = members;
        if (parallel == null) {
            this.chunk = 0;
        } else {
            int blocks = parallel.hiddenSize() / parallel.blockSize();
            int perThread = CHUNKS_PER_THREAD * (members.length + 1);
            this.chunk = parallel.blockSize() * Math.max(1, (blocks + perThread - 1) / perThread);
        }
    }

    /**
     * A team for the steps of one call: the cell's parallel step when it has one for {@code batch} rows, shared with
     * as many free helpers as the work of a full step pays for.
     */
    public static StepTeam of(Cell cell, CellWeights weights, int batch) {
        return of(cell, weights, cell.parallelStep(weights, batch), batch);
    }

    /**
     * {@link #of(Cell, CellWeights, int)} with a parallel step the caller kept ({@code null}: none), which must be
     * what {@code cell.parallelStep(weights, batch)} would give.
     */
    public static StepTeam of(Cell cell, CellWeights weights, ParallelStep parallel, int batch) {
        assert parallel == null || parallel.serves(batch) : "the kept step does not serve this batch";
        long work = parallel == null ? 0 : parallel.work(batch);
        int wanted = parallel == null ? 0 : (int) Math.min(HELPERS.length, Math.min(
                work / MIN_WORK_PER_THREAD - 1, parallel.hiddenSize() / parallel.blockSize() - 1));
        Helper[] claimed = new Helper[Math.max(wanted, 0)];
        int count = 0;
        for (Helper helper : HELPERS) {
            if (count == claimed.length) {
                break;
            }
            if (helper.claim()) {
                claimed[count++] = helper;
            }
        }
        Helper[] members = count == claimed.length ? claimed : Arrays.copyOf(claimed, count);
        return new StepTeam(cell, weights, parallel, members);
    }

    /** How many threads share each step, the caller included. */
    public int threads() {
        return parallel == null ? 1 : members.length + 1;
    }

    /** One forward step: {@link ParallelStep#forward} shared by the team, or {@link Cell#forward} by the caller. */
    public void step(StepTensors s) {
        if (parallel == null) {
            cell.forward(weights, s);
            return;
        }
        parallel.begin(s);
        if (members.length == 0) {
            parallel.forward(s, 0, parallel.hiddenSize());
        } else {
            share(s, null);
        }
    }

    /**
     * One backward step: {@link ParallelStep#backward} shared by the team, then {@link ParallelStep#endBackward} by
     * the caller; or {@link Cell#backward} by the caller. The same bits either way.
     */
    public void backwardStep(StepTensors s, StepGradients g) {
        if (parallel == null) {
            cell.backward(weights, s, g);
            return;
        }
        if (members.length == 0) {
            parallel.backward(s, g, 0, parallel.hiddenSize());
        } else {
            share(s, g);
        }
        parallel.endBackward(s, g);
    }

    /** The parts of a forward step ({@code g == null}) or of a backward one, run by every member; then the barrier. */
    private void share(StepTensors s, StepGradients g) {
        next.set(0);
        for (Helper helper : members) {
            helper.post(this, s, g);
        }
        Throwable failure = null;
        try {
            runChunks(s, g);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Helper helper : members) {
            Throwable helperFailure = helper.await();
            if (failure == null) {
                failure = helperFailure;
            }
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    /** Runs chunks of the current step until none is left; called by every member of the team. */
    private void runChunks(StepTensors s, StepGradients g) {
        int hidden = parallel.hiddenSize();
        int from;
        while ((from = next.getAndIncrement() * chunk) < hidden) {
            int to = Math.min(hidden, from + chunk);
            if (g == null) {
                parallel.forward(s, from, to);
            } else {
                parallel.backward(s, g, from, to);
            }
        }
    }

    /** Releases the helpers. */
    @Override
    public void close() {
        for (Helper helper : members) {
            helper.release();
        }
    }

    private static Helper[] helpers(int count) {
        Helper[] helpers = new Helper[Math.max(count, 0)];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new Helper(i + 1);
        }
        return helpers;
    }

    /**
     * One turn of a wait loop: a yield, which returns at once when nothing else wants the core and otherwise hands
     * it over, so that a waiting thread never spins out the time slice of the thread it waits for, or of
     * OpenBLAS's worker computing the caller's product.
     */
    private static void pause() {
        Thread.yield();
    }

    /**
     * A helper thread. One team at a time holds it ({@link #claim}); the holder posts a part of a step and waits
     * for it. The posting fields are written before the volatile {@code posted} and read after it; parts are
     * numbered by the helper's own count, so a new holder's first part never looks like an old one.
     */
    private static final class Helper implements Runnable {
        /**
         * How long a held helper waits for the next step before it parks: longer than any step's product on the
         * caller (yielding costs the others nothing), short enough that a caller gone elsewhere is not waited for.
         */
        private static final long WAIT_NANOS = 10_000_000;
        private final int index;
        private final AtomicBoolean held = new AtomicBoolean();
        private volatile Thread thread;
        private volatile boolean parked;
        private volatile long posted;
        private volatile long finished;
        /** The number of the last part posted; written by the holder only. */
        private long count;
        private StepTeam team;
        private StepTensors tensors;
        private StepGradients gradients;
        private Throwable failure;

        Helper(int index) {
            this.index = index;
        }

        boolean claim() {
            if (!held.compareAndSet(false, true)) {
                return false;
            }
            if (thread == null) {
                Thread started = new Thread(this, "recurrent4j-step-" + index);
                started.setDaemon(true);
                thread = started;
                started.start();
            }
            return true;
        }

        void release() {
            team = null;
            tensors = null;
            gradients = null;
            held.set(false);
        }

        void post(StepTeam team, StepTensors tensors, StepGradients gradients) {
            this.team = team;
            this.tensors = tensors;
            this.gradients = gradients;
            this.failure = null;
            this.posted = ++count;
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        /** Waits for the part posted last to finish; what it threw, or {@code null}. */
        Throwable await() {
            while (finished != count) {
                pause();
            }
            return failure;
        }

        @Override
        public void run() {
            long done = 0;
            while (true) {
                long waitStart = System.nanoTime();
                long turns = 0;
                long next;
                while ((next = posted) == done) {
                    pause();
                    if ((++turns & 255) == 0 && (!held.get() || System.nanoTime() - waitStart > WAIT_NANOS)) {
                        parked = true;
                        if (posted == done) {
                            LockSupport.park(this);
                        }
                        parked = false;
                        waitStart = System.nanoTime();
                    }
                }
                try {
                    team.runChunks(tensors, gradients);
                } catch (RuntimeException | Error e) {
                    failure = e;
                }
                done = next;
                finished = next;
            }
        }
    }
}
