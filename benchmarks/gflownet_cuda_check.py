"""One-go CUDA check of the DAG-GFlowNet, for a session that is lent a GPU (issue 18).

Prepared on a CPU-only machine and not run there. In one run, CPU and GPU side
by side, each step writing its results as soon as it ends (a timeout keeps what
was done):

1. the GFlowNet tests (``tests/test_gflownet*.py``; on a CUDA machine their
   device-parametrized cases also run with ``device="cuda"``);
2. the d = 5 exact-JSD protocol on ``cpu`` and ``cuda`` with the same budget;
3. d = 20 (ER2, n = 100): structure MCMC as the reference, then the GFlowNet
   with default options on ``cpu`` and on ``cuda``, and on ``cuda`` the best CPU
   variant of ``benchmarks/RESULTS_gflownet.md`` (reward-guided exploration with
   tempering) with the default batch and with a 4x larger one, against the truth
   and the reference.

Writes ``OUT/gflownet_cuda.md`` (markdown tables) and ``OUT/gflownet_cuda.jsonl``;
``OUT`` is ``$OUT`` when set, else ``benchmarks/``. About 9 minutes with the
default budgets (tests <= 150 s, ``--d5-seconds 30 --d20-seconds 60``)::

    timeout 580 python benchmarks/gflownet_cuda_check.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gflownet_variants import markdown, reference_d20, run_d5, run_d20  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GUIDED = {"guide": 0.5, "temper_steps": 2000}
BIG_BATCH = {"batch_size": 512, "n_envs": 64}


def _environment() -> dict:
    cuda = torch.cuda.is_available()
    return {"torch": torch.__version__, "python": platform.python_version(),
            "cuda_available": cuda, "gpu": torch.cuda.get_device_name(0) if cuda else None,
            "cpu_count": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def _tests(limit: float) -> dict:
    """The GFlowNet tests (slow ones included), with the device each case ran on."""
    cmd = [sys.executable, "-m", "pytest", "tests/test_gflownet.py",
           "tests/test_gflownet_budget.py", "-q", "-m", "slow or not slow", "-p",
           "no:cacheprovider", "-rA"]
    tic = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=limit)
        tail, code = done.stdout.strip().splitlines()[-1:], done.returncode
        cuda_cases = sum("[cuda]" in line and "PASSED" in line
                         for line in done.stdout.splitlines())
    except subprocess.TimeoutExpired:
        tail, code, cuda_cases = [f"timed out after {limit:g} s"], None, 0
    return {"part": "tests", "returncode": code, "summary": tail[0] if tail else "",
            "cuda_cases_passed": cuda_cases, "seconds": round(time.perf_counter() - tic, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d5-seconds", type=float, default=30.0)
    parser.add_argument("--d20-seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-seconds", type=float, default=150.0)
    parser.add_argument("--skip-tests", action="store_true")
    args = parser.parse_args()
    out = Path(os.environ.get("OUT") or ROOT / "benchmarks")
    out.mkdir(parents=True, exist_ok=True)
    env = _environment()
    devices = ["cpu"] + (["cuda"] if env["cuda_available"] else [])
    rows: list[dict] = []
    notes = [f"- environment: {json.dumps(env)}"]

    def record(row: dict) -> None:
        rows.append(row)
        with open(out / "gflownet_cuda.jsonl", "a") as fh:
            fh.write(json.dumps({k: v for k, v in row.items() if not k.startswith("_")}) + "\n")
        body = markdown([r for r in rows if r["part"] in ("d5", "d20")],
                        f"## GFlowNet CPU vs CUDA (d5 {args.d5_seconds:g} s, d20 "
                        f"{args.d20_seconds:g} s per fit)")
        (out / "gflownet_cuda.md").write_text("\n".join(notes) + "\n\n" + body)
        print(json.dumps({k: v for k, v in row.items() if not k.startswith("_")}), flush=True)

    if not args.skip_tests:
        result = _tests(args.test_seconds)
        notes.append(f"- tests: {result['summary']} (return code {result['returncode']}, "
                     f"{result['cuda_cases_passed']} cuda cases passed, {result['seconds']} s)")
        record(result)
    for device in devices:
        row = run_d5(f"default, {device}", {"device": device}, args.seed, args.d5_seconds)
        record(row)
    ref = reference_d20(args.seed, args.d20_seconds)
    record(ref)
    runs = [(f"default, {d}", {"device": d}) for d in devices]
    runs.append((f"guided 0.5 + tempering, {devices[-1]}", {"device": devices[-1], **GUIDED}))
    if "cuda" in devices:
        runs.append(("guided 0.5 + tempering, batch 512, 64 envs, cuda",
                     {"device": "cuda", **GUIDED, **BIG_BATCH}))
    for name, options in runs:
        record(run_d20(name, options, args.seed, args.d20_seconds, ref))


if __name__ == "__main__":
    main()
