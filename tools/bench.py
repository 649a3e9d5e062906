"""Benchmark: wall time and peak memory of the offline plan of each stack, against a bare import.

    python -m tools.bench [--runs 3]

Each measurement is a fresh process (so imports are paid every time, as in `pulumi preview`); the
median of the runs is shown. The baseline is `python -c "import pulumi, pulumi_kubernetes"`: the
least any Kubernetes program under Pulumi costs. The goal is a plan at most 2x the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from tools.offline import ROOT, stack_names

GOAL = 2.0
# The least a Kubernetes program under the mock runtime costs: one Namespace and one Deployment through
# the SDK's typed classes (their modules are most of an import's cost; the bare baseline loads none).
FLOOR_PROGRAM = """
import pulumi, pulumi_kubernetes as k8s
from tools.offline import run_under_mocks
def program():
    ns = k8s.core.v1.Namespace("ns", metadata={"name": "x"})
    k8s.apps.v1.Deployment("d", metadata={"namespace": ns.metadata.name}, spec={
        "selector": {"matchLabels": {"a": "b"}},
        "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}})
run_under_mocks(program, preview=False)
"""


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {process.stderr.read().decode() if process.stderr else ''}")
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def median_of(command: list[str], runs: int) -> tuple[float, float]:
    samples = [measure(command) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args(argv)
    baseline = median_of([sys.executable, "-c", "import pulumi, pulumi_kubernetes"], options.runs)
    rows = [
        ("baseline: import pulumi, pulumi_kubernetes", *baseline),
        (
            "floor: 1 Namespace + 1 Deployment under mocks",
            *median_of([sys.executable, "-c", FLOOR_PROGRAM], options.runs),
        ),
    ]
    with tempfile.TemporaryDirectory() as out:
        for stack in stack_names():
            for mode in ("preview", "update"):
                command = [sys.executable, "-m", "tools.plan", "--stack", stack, "--mode", mode, "--out", out]
                rows.append((f"plan {stack} ({mode})", *median_of(command, options.runs)))
    print(f"{'what':<46} {'wall s':>8} {'x base':>7} {'peak MiB':>9} {'x base':>7}")
    worst = 0.0
    for label, seconds, mebibytes in rows:
        time_ratio, memory_ratio = seconds / baseline[0], mebibytes / baseline[1]
        if label.startswith("plan"):
            worst = max(worst, time_ratio, memory_ratio)
        print(f"{label:<46} {seconds:8.2f} {time_ratio:7.2f} {mebibytes:9.1f} {memory_ratio:7.2f}")
    print(f"median of {options.runs} runs each; worst plan/baseline ratio {worst:.2f} (goal <= {GOAL})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
