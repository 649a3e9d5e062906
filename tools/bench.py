"""Benchmark: the offline plan of each stack and the test suite, in wall time, CPU time and peak memory.

    python -m tools.bench [--runs 3] [--no-tests]

Each measurement is a fresh process (so imports are paid every time, as in `pulumi preview`); the median of the
runs is shown. Two references:

- `import pulumi, pulumi_kubernetes`: the least any Kubernetes program under Pulumi costs (goal: every plan at most
  2x its time and memory);
- importing exactly the third-party modules the plan of prod-aws loads (listed by a plan run first): what the plan
  cannot avoid. The plan's own cost is its time over that; the goal is at most 1.15x. CPU time is the figure to
  judge: on a machine other people load, wall time also counts the time spent waiting for a core.

The test suite runs once as `make test` runs it (every core); its wall and CPU time are shown with the load average
of the machine around it, the figure that explains a slow run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from tools.offline import ROOT, stack_names

GOAL = 2.0
OWN_COST_GOAL = 1.15
OWN_COST_STACK = "prod-aws"
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
# Plans a stack, then prints the modules it loaded from site-packages (importing one imports its packages first).
# Read through object.__getattribute__: the SDKs' lazily imported modules would load themselves on any other access.
LOADED_MODULES_PROGRAM = """
import contextlib, io, json, sys, sysconfig
from tools.plan import main
with contextlib.redirect_stdout(io.StringIO()):
    main(["--stack", sys.argv[1], "--mode", "update", "--out", sys.argv[2]])
site = tuple({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
def location(module):
    spec = object.__getattribute__(module, "__dict__").get("__spec__")
    if spec is None:
        return ""
    if spec.origin not in (None, "built-in", "frozen", "namespace"):
        return spec.origin
    return next(iter(spec.submodule_search_locations or []), "")
print(json.dumps([name for name, module in list(sys.modules.items()) if location(module).startswith(site)]))
"""
IMPORT_PROGRAM = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
IMPORT_WITH_PLAN_COLLECTOR = "from tools import heap\nheap.collect_less_often()\n" + IMPORT_PROGRAM


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
    """User and system seconds of the process and the children it waited for."""
    peak_mib: float


def measure(command: list[str]) -> Sample:
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:6])} failed: {process.stderr.read().decode() if process.stderr else ''}"
        )
    return Sample(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)  # ru_maxrss is KiB on Linux


def median_of(command: list[str], runs: int) -> Sample:
    samples = [measure(command) for _ in range(runs)]
    return Sample(*(statistics.median(getattr(s, field) for s in samples) for field in ("wall", "cpu", "peak_mib")))


def loaded_modules(stack: str, out: str) -> list[str]:
    """The third-party modules (site-packages) the plan of `stack` loads."""
    completed = subprocess.run(
        [sys.executable, "-c", LOADED_MODULES_PROGRAM, stack, out], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def _row(label: str, sample: Sample, base: Sample) -> str:
    return (
        f"{label:<52} {sample.wall:7.2f} {sample.cpu:7.2f} {sample.cpu / base.cpu:6.2f} "
        f"{sample.peak_mib:8.1f} {sample.peak_mib / base.peak_mib:6.2f}"
    )


def plan_rows(runs: int) -> None:
    baseline = median_of([sys.executable, "-c", "import pulumi, pulumi_kubernetes"], runs)
    print(f"{'what':<52} {'wall s':>7} {'cpu s':>7} {'x base':>6} {'peak MiB':>8} {'x base':>6}")
    print(_row("baseline: import pulumi, pulumi_kubernetes", baseline, baseline))
    print(
        _row(
            "floor: 1 Namespace + 1 Deployment under mocks",
            median_of([sys.executable, "-c", FLOOR_PROGRAM], runs),
            baseline,
        )
    )
    worst = 0.0
    plans: dict[tuple[str, str], Sample] = {}
    with tempfile.TemporaryDirectory() as out:
        for stack in stack_names():
            for mode in ("preview", "update"):
                command = [sys.executable, "-m", "tools.plan", "--stack", stack, "--mode", mode, "--out", out]
                plans[stack, mode] = median_of(command, runs)
                worst = max(
                    worst, plans[stack, mode].cpu / baseline.cpu, plans[stack, mode].peak_mib / baseline.peak_mib
                )
                print(_row(f"plan {stack} ({mode})", plans[stack, mode], baseline))
        modules = loaded_modules(OWN_COST_STACK, out)
    print(f"median of {runs} runs each; worst plan/baseline ratio {worst:.2f} (goal <= {GOAL})")

    plan = plans[OWN_COST_STACK, "update"]
    imports = median_of([sys.executable, "-c", IMPORT_PROGRAM, *modules], runs)
    same_collector = median_of([sys.executable, "-c", IMPORT_WITH_PLAN_COLLECTOR, *modules], runs)
    print()
    print(f"the plan's own cost: plan {OWN_COST_STACK} (update) against importing the {len(modules)} third-party")
    print("modules it loads")
    print(f"{'':<52} {'wall s':>7} {'cpu s':>7} {'plan x':>6}")
    for label, sample in (
        (f"import the modules of plan {OWN_COST_STACK}", imports),
        ("  the same, with the plan's collector (tools/heap.py)", same_collector),
    ):
        print(f"{label:<52} {sample.wall:7.2f} {sample.cpu:7.2f} {plan.cpu / sample.cpu:6.2f}")
    ratio = plan.cpu / imports.cpu
    print(
        f"plan/imports: {ratio:.2f} in CPU time, {plan.wall / imports.wall:.2f} in wall time "
        f"(goal <= {OWN_COST_GOAL} in CPU time)"
    )


def test_suite_row() -> None:
    before = load()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "auto", "--dist", "loadscope"]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, _, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    outcome = output.strip().splitlines()[-1].strip("= ") if output.strip() else "no output"
    print()
    print(
        f"test suite (pytest -n auto, as make test runs it): {elapsed:.1f} s wall, "
        f"{usage.ru_utime + usage.ru_stime:.1f} s CPU: {outcome}"
    )
    print(f"  {before} before, {load()} after")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-tests", action="store_true", help="skip the test suite's run")
    options = parser.parse_args(argv)
    print(load())
    plan_rows(options.runs)
    if not options.no_tests:
        test_suite_row()
    return 0


if __name__ == "__main__":
    sys.exit(main())
