#!/usr/bin/env python3
"""Samples this machine's load while a benchmark runs: every PERIOD seconds, one line
"epoch load1 busy_cores ours_cores others_cores", where busy_cores is the CPU time all processes used over the
period (in cores), ours_cores the part used by ROOT_PID and its descendants (the JMH runner and its forks), and
others_cores the rest: what other tenants of the machine took while we measured. Linux /proc only.

usage: load-sampler.py ROOT_PID [PERIOD]   (stops when ROOT_PID exits)
"""
import os
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def busy_jiffies():
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]) - idle  # user..steal, without guest (already in user)


def tree_jiffies(root):
    children, times = {}, {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        ppid = int(fields[1])
        children.setdefault(ppid, []).append(int(pid))
        # utime + stime, plus cutime + cstime: the time of children already exited and reaped (a finished fork)
        times[int(pid)] = sum(int(v) for v in fields[11:15])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += times.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def main():
    root = int(sys.argv[1])
    period = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    last_busy, last_ours, last_time = busy_jiffies(), tree_jiffies(root), time.time()
    seen_ours = {}
    while os.path.exists(f"/proc/{root}"):
        time.sleep(period)
        busy, ours, now = busy_jiffies(), tree_jiffies(root), time.time()
        if not os.path.exists(f"/proc/{root}"):
            break  # the run ended during this period: a partial sample, its time no longer attributable
        elapsed = now - last_time
        busy_cores = (busy - last_busy) / HZ / elapsed
        ours_cores = max(0.0, (ours - last_ours) / HZ / elapsed)
        with open("/proc/loadavg") as f:
            load1 = f.read().split()[0]
        print(f"{int(now)} {load1} {busy_cores:.2f} {ours_cores:.2f} {max(0.0, busy_cores - ours_cores):.2f}",
              flush=True)
        last_busy, last_ours, last_time = busy, ours, now


if __name__ == "__main__":
    main()
