#!/usr/bin/env python3
"""Times two commands alternately (ABBA order, so drift on a shared machine hits both sides alike).

usage: alternate.py RUNS WARMUP 'reference command' 'candidate command' > result.json
Each command is split like a shell would (no shell runs); stdout/stderr go to /dev/null; a non-zero exit is an
error. Prints JSON: per side the median and quartiles in ms, and the median of the paired differences
(candidate - reference, each pair run back to back), which is what 'added' means.
"""
import json
import shlex
import statistics
import subprocess
import sys
import time


def run(argv):
    start = time.perf_counter_ns()
    code = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if code != 0:
        sys.exit(f"{' '.join(argv)} exited {code}")
    return elapsed


def quartiles(values):
    q = statistics.quantiles(values, n=4)
    return {"median": statistics.median(values), "q1": q[0], "q3": q[2]}


def main():
    runs, warmup = int(sys.argv[1]), int(sys.argv[2])
    reference, candidate = shlex.split(sys.argv[3]), shlex.split(sys.argv[4])
    for _ in range(warmup):
        run(reference)
        run(candidate)
    ref, cand, diffs = [], [], []
    for i in range(runs):
        if i % 2 == 0:
            a, b = run(reference), run(candidate)
        else:
            b, a = run(candidate), run(reference)
        ref.append(a)
        cand.append(b)
        diffs.append(b - a)
    print(json.dumps({"runs": runs, "reference": quartiles(ref), "candidate": quartiles(cand), "added": quartiles(diffs)}))


if __name__ == "__main__":
    main()
