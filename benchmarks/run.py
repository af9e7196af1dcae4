"""Benchmark: the same torch-style code on torch and on autograd_grad, plus a hand-written
`jax.jit` version of the same math, measured interleaved in one process.

    python benchmarks/run.py                        # quick run (all workloads)
    python benchmarks/run.py --reps 100 --only pinn,hvp
    python benchmarks/run.py --markdown results.md  # also write the table as markdown
    python benchmarks/run.py --memory-steps 1000    # RSS growth over N pinn steps
    python benchmarks/run.py --isolated-memory      # add peak RSS per impl (subprocesses)
    python benchmarks/run.py --all-threads          # torch's and XLA's default thread pools

What one "step" is and what is timed: see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

IMPLS = ("torch", "ag", "jax")
LABEL = {"torch": "torch", "ag": "autograd_grad", "jax": "jax.jit"}
# Every element: |a - b| <= RTOL * |b| + ATOL_SCALE * max|b|. The absolute part, scaled
# to the output's magnitude, covers float32 round-off on elements that are nearly zero
# (e.g. 1024-term dot products that cancel).
RTOL, ATOL_SCALE = 1e-3, 1e-5


# ---------------------------------------------------------------------------------------
# memory
# ---------------------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """Current resident set size (Linux /proc/self/statm)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE / 2**20


def peak_rss_mb() -> float:
    """High-water mark of the RSS since start or the last `reset_peak()` (VmHWM).

    Not getrusage's ru_maxrss: that one survives exec, so a child started by this big
    process would report the parent's peak."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _can_reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


CAN_RESET_PEAK = _can_reset_peak()


def reset_peak() -> None:
    """Linux >= 4.0: writing 5 to clear_refs resets VmHWM to the current RSS."""
    if CAN_RESET_PEAK:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")


# ---------------------------------------------------------------------------------------
# implementations
# ---------------------------------------------------------------------------------------

def _modules() -> dict[str, Any]:
    import jax
    import torch

    import autograd_grad

    return {"torch": torch, "ag": autograd_grad, "jax": jax}


Step = Callable[[], tuple[Any, ...]]


def make_steps(workload: Any, arrays: dict[str, np.ndarray], mods: dict[str, Any],
               impls: tuple[str, ...] = IMPLS) -> dict[str, Step]:  # fmt: skip
    """impl -> step(): runs one step and returns its outputs with their values forced.

    Forcing (part of the timed step):
      torch: nothing; CPU eager torch has finished computing when the call returns.
      autograd_grad: jax.block_until_ready on every output's `._data` (the jax.Array).
      jax.jit: jax.block_until_ready on the outputs.
    """
    import jax

    steps: dict[str, Step] = {}
    for impl in impls:
        if impl == "torch":
            steps[impl] = workload.torch_style(mods["torch"], arrays)
        elif impl == "ag":
            raw = workload.torch_style(mods["ag"], arrays)

            def ag_step(raw: Step = raw) -> tuple[Any, ...]:
                outs = raw()
                jax.block_until_ready([o._data for o in outs])
                return outs

            steps[impl] = ag_step
        else:
            raw = workload.jax_jit(arrays)

            def jax_step(raw: Step = raw) -> tuple[Any, ...]:
                return jax.block_until_ready(raw())

            steps[impl] = jax_step
    return steps


def to_numpy(impl: str, outs: tuple[Any, ...]) -> list[np.ndarray]:
    if impl == "torch":
        return [o.detach().numpy().copy() for o in outs]
    if impl == "ag":
        return [np.asarray(o.detach().numpy()).copy() for o in outs]
    return [np.asarray(o).copy() for o in outs]


def compare(got: list[np.ndarray], ref: list[np.ndarray]) -> tuple[bool, float]:
    """allclose on every output (see RTOL); also the worst max|a - b| / max|b| over outputs."""
    if len(got) != len(ref):
        return False, float("inf")
    ok, worst = True, 0.0
    for a, b in zip(got, ref):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False, float("inf")
        scale = float(np.max(np.abs(b))) if b.size else 0.0
        ok = ok and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL_SCALE * scale))
        err = float(np.max(np.abs(a - b))) if a.size else 0.0
        worst = max(worst, err / scale if scale else err)
    return ok, worst


def warm_up_process(mods: dict[str, Any]) -> None:
    """One-time process costs (backend init, first jit/lowering, torch autograd init), paid
    here so that they are charged to no workload: a tiny tanh MLP's grad in all three."""
    import jax
    import jax.numpy as jnp

    w = np.full((3, 3), 0.1, np.float32)
    jax.block_until_ready(jax.jit(jax.grad(lambda w: jnp.tanh(w @ w).sum()))(w))
    for impl in ("torch", "ag"):
        t = mods.get(impl)
        for _ in range(2 if t is not None else 0):
            wt = t.tensor(w, requires_grad=True)
            g, = t.autograd.grad(t.tanh(wt @ wt).sum(), wt)
            np.asarray(g.detach().numpy())


# ---------------------------------------------------------------------------------------
# one workload, interleaved
# ---------------------------------------------------------------------------------------

class Failed(Exception):
    pass


def bench_workload(workload: Any, mods: dict[str, Any], reps: int, warmup: int) -> dict[str, Any]:
    gc.collect()
    arrays = workload.setup(np.random.default_rng(0))
    steps = make_steps(workload, arrays, mods)
    row: dict[str, Any] = {"name": workload.name, "reps": reps, "errors": {}}
    grown = dict.fromkeys(IMPLS, 0.0)  # retained RSS growth attributed to each impl's calls
    peak = dict.fromkeys(IMPLS, 0.0)  # transient: max over timed steps of HWM - RSS before
    alive = set(IMPLS)

    def call(impl: str, timed: bool = False) -> tuple[float, tuple[Any, ...]]:
        reset_peak()
        before = rss_mb()
        t0 = time.perf_counter()
        try:
            outs = steps[impl]()
        except Exception as e:  # a library error: report it, keep benchmarking the others
            row["errors"][impl] = f"{type(e).__name__}: {e}".splitlines()[0][:200]
            row["errors"][impl + "_tb"] = traceback.format_exc()
            alive.discard(impl)
            raise Failed from e
        dt = time.perf_counter() - t0
        grown[impl] += rss_mb() - before
        if timed:
            peak[impl] = max(peak[impl], peak_rss_mb() - before)
        return dt, outs

    # Cold calls, one implementation after the other. autograd_grad's first call runs
    # eagerly (no compile); the second sees a repeated structure and compiles.
    results: dict[str, list[np.ndarray]] = {}
    cold: dict[str, float] = {}
    for impl, label in (("torch", "torch_1"), ("jax", "jax_1"), ("ag", "ag_1"), ("ag", "ag_2")):
        if impl not in alive:
            continue
        try:
            dt, outs = call(impl)
        except Failed:
            continue
        cold[label] = dt
        if label in ("torch_1", "jax_1", "ag_1"):
            results[label] = to_numpy(impl, outs)
    for _ in range(warmup):
        for impl in IMPLS:
            if impl in alive:
                try:
                    call(impl)
                except Failed:
                    pass

    # Timed: round-robin, the order rotated every repetition.
    times: dict[str, list[float]] = {impl: [] for impl in IMPLS}
    last: dict[str, tuple[Any, ...]] = {}
    for r in range(reps):
        order = IMPLS[r % 3:] + IMPLS[:r % 3]
        rep: dict[str, float] = {}
        for impl in order:
            if impl not in alive:
                continue
            try:
                dt, outs = call(impl, timed=True)
            except Failed:
                continue
            rep[impl] = dt
            last[impl] = outs
        for impl, dt in rep.items():
            times[impl].append(dt)
        if "ag" in rep:
            for other in ("torch", "jax"):
                if other in rep:
                    row.setdefault("ratios_" + other, []).append(rep["ag"] / rep[other])

    row["median"] = {impl: statistics.median(ts) for impl, ts in times.items() if ts}
    for other in ("torch", "jax"):
        rs = row.get("ratios_" + other)
        row["ratio_" + other] = (
            (statistics.median(rs), *np.percentile(rs, [25, 75])) if rs else None)
    row["cold"] = cold
    row["rss"] = grown
    row["peak"] = peak if CAN_RESET_PEAK else {}

    # Correctness against torch: autograd_grad eager (first call), autograd_grad compiled
    # (last timed call) and jax.jit.
    checks: dict[str, tuple[bool, float]] = {}
    ref = results.get("torch_1")
    if ref is not None:
        if "ag_1" in results:
            checks["ag_eager"] = compare(results["ag_1"], ref)
        if "ag" in last:
            checks["ag_jit"] = compare(to_numpy("ag", last["ag"]), ref)
        if "jax_1" in results:
            checks["jax"] = compare(results["jax_1"], ref)
    row["checks"] = checks
    return row


# ---------------------------------------------------------------------------------------
# isolated peak memory / RSS growth over many steps (child processes)
# ---------------------------------------------------------------------------------------

def child_main(name: str, impl: str, steps: int, sample: int, single_thread: bool) -> None:
    """Runs one implementation alone; prints JSON with RSS numbers (MiB)."""
    from workloads import BY_NAME

    mods = {}
    import jax

    mods["jax"] = jax
    if impl == "torch":
        import torch

        mods["torch"] = torch
        if single_thread:
            torch.set_num_threads(1)
    elif impl == "ag":
        import autograd_grad

        mods["ag"] = autograd_grad
    warm_up_process(mods)
    workload = BY_NAME[name]
    arrays = workload.setup(np.random.default_rng(0))
    gc.collect()
    reset_peak()
    base, base_peak = rss_mb(), peak_rss_mb()
    step = make_steps(workload, arrays, mods, (impl,))[impl]
    out: dict[str, Any] = {"base_rss": base}
    for i in range(1, steps + 1):
        step()
        if i == sample:
            out["rss_at_sample"] = rss_mb()
    out["rss_end"] = rss_mb()
    out["peak_growth"] = peak_rss_mb() - (base if CAN_RESET_PEAK else base_peak)
    out["rss_growth"] = out["rss_end"] - base
    print("RESULT " + json.dumps(out))


def run_child(name: str, impl: str, steps: int, sample: int, all_threads: bool) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--_child", name, impl,
           "--_steps", str(steps), "--_sample", str(sample)]  # fmt: skip
    if all_threads:
        cmd.append("--all-threads")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}


def memory_steps(n: int, impls: tuple[str, ...], all_threads: bool) -> str:
    sample = min(100, n)
    lines = [f"RSS over {n} pinn steps, each implementation alone in a fresh process (MiB).",
             "base = after imports, backend init and data setup, before the first step.", "",
             f"| impl | base RSS | RSS after step {sample} | RSS after step {n} | "
             f"growth {sample}->{n} | per 1000 steps | peak growth over base |",
             "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for impl in impls:
        t0 = time.perf_counter()
        r = run_child("pinn", impl, n, sample, all_threads)
        if "error" in r:
            lines.append(f"| {LABEL[impl]} | error: {r['error']} |||||| ")
            continue
        growth = r["rss_end"] - r["rss_at_sample"]
        per_k = growth / max(n - sample, 1) * 1000
        lines.append(f"| {LABEL[impl]} | {r['base_rss']:.0f} | {r['rss_at_sample']:.1f} | "
                     f"{r['rss_end']:.1f} | {growth:+.1f} | {per_k:+.2f} | "
                     f"{r['peak_growth']:.0f} |")  # fmt: skip
        print(f"  [{LABEL[impl]} done in {time.perf_counter() - t0:.0f}s]", file=sys.stderr)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# table
# ---------------------------------------------------------------------------------------

def _ms(x: float | None) -> str:
    if x is None:
        return "—"
    ms = x * 1e3
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def _ratio(x: tuple[float, float, float] | None) -> str:
    """median of the paired ratios, and their interquartile range (a noise gauge)."""
    if x is None:
        return "—"
    med, q1, q3 = x
    return f"{med:.2f}x ({q1:.2f}-{q3:.2f})"


def _check(checks: dict[str, tuple[bool, float]], errors: dict[str, str]) -> str:
    parts = []
    for key, label in (("ag_eager", "ag eager"), ("ag_jit", "ag jit"), ("jax", "jax")):
        if key in checks:
            ok, err = checks[key]
            parts.append(f"{label} {'ok' if ok else 'FAIL'} {err:.0e}")
    for impl in IMPLS:
        if impl in errors:
            parts.append(f"{LABEL[impl]} ERROR")
    return "; ".join(parts) or "—"


HEADER = ["workload", "torch ms", "ag ms", "jax.jit ms", "ag/torch", "ag/jax",
          "ag 1st ms", "ag 2nd ms", "jax 1st ms", "step peak MiB t/ag/jax", "RSS+ MiB t/ag/jax",
          "check vs torch"]  # fmt: skip


def table_rows(rows: list[dict[str, Any]],
               peaks: dict[str, dict[str, Any]] | None) -> list[list[str]]:  # fmt: skip
    out = []
    for row in rows:
        med, cold = row.get("median", {}), row.get("cold", {})
        rss = row.get("rss", {})
        cells = [row["name"], _ms(med.get("torch")), _ms(med.get("ag")), _ms(med.get("jax")),
                 _ratio(row.get("ratio_torch")), _ratio(row.get("ratio_jax")),
                 _ms(cold.get("ag_1")), _ms(cold.get("ag_2")), _ms(cold.get("jax_1")),
                 "/".join(f"{row.get('peak', {}).get(i, float('nan')):.0f}" for i in IMPLS),
                 "/".join(f"{rss.get(i, 0.0):.0f}" for i in IMPLS),
                 _check(row.get("checks", {}), row.get("errors", {}))]  # fmt: skip
        if peaks is not None:
            p = peaks.get(row["name"], {})
            cells.insert(-1, "/".join(
                f"{p[i]['peak_growth']:.0f}" if i in p and "peak_growth" in p[i] else "?"
                for i in IMPLS))  # fmt: skip
        out.append(cells)
    return out


def format_text(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i in (0, len(cells) - 1) else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def format_markdown(header: list[str], rows: list[list[str]]) -> str:
    align = ["---" if i in (0, len(header) - 1) else "---:" for i in range(len(header))]
    return "\n".join("| " + " | ".join(r) + " |" for r in [header, align, *rows])


def environment(mods: dict[str, Any], reps_note: str) -> str:
    torch, jax = mods["torch"], mods["jax"]
    return (f"python {platform.python_version()}, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads), jax {jax.__version__} "
            f"({jax.devices()[0].platform}), {os.cpu_count()} CPU cores, {reps_note}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=None,
                   help="timed repetitions per workload (default: per workload, quick)")
    p.add_argument("--warmup", type=int, default=2, help="untimed warm calls after the cold ones")
    p.add_argument("--only", default=None, help="comma-separated workload names")
    p.add_argument("--markdown", default=None, help="also write the table as markdown to this file")
    p.add_argument("--all-threads", action="store_true",
                   help="keep torch's and XLA's default thread pools (default: one thread each, "
                        "the reproducible setting on a shared machine; see README)")
    p.add_argument("--memory-steps", type=int, default=None, metavar="N",
                   help="instead of timing: RSS after step 100 and after step N of pinn, per impl")
    p.add_argument("--isolated-memory", action="store_true",
                   help="add a column: peak RSS growth of each impl alone in a fresh process")
    p.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("--_steps", type=int, default=5, help=argparse.SUPPRESS)
    p.add_argument("--_sample", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args()

    single_thread = not args.all_threads
    if single_thread:  # before jax is imported; children inherit it
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   " --xla_cpu_multi_thread_eigen=false"
                                   " intra_op_parallelism_threads=1").strip()
    from workloads import BY_NAME, WORKLOADS  # imports jax: after XLA_FLAGS is set

    if args._child:
        child_main(args._child[0], args._child[1], args._steps, args._sample, single_thread)
        return
    if args.memory_steps is not None:
        text = memory_steps(args.memory_steps, IMPLS, args.all_threads)
        print(text)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(text + "\n")
        return

    names = args.only.split(",") if args.only else [w.name for w in WORKLOADS]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        p.error(f"unknown workload(s) {unknown}; choose from {list(BY_NAME)}")

    t_start = time.perf_counter()
    mods = _modules()
    if single_thread:
        mods["torch"].set_num_threads(1)
    warm_up_process(mods)
    rows = []
    for name in names:
        w = BY_NAME[name]
        reps = args.reps if args.reps is not None else w.reps
        t0 = time.perf_counter()
        row = bench_workload(w, mods, reps, args.warmup)
        rows.append(row)
        print(f"  [{name}: {time.perf_counter() - t0:.1f}s]", file=sys.stderr, flush=True)
        for impl in IMPLS:
            if impl in row["errors"]:
                print(f"  {LABEL[impl]} failed on {name}:\n{row['errors'][impl + '_tb']}",
                      file=sys.stderr)  # fmt: skip

    peaks = None
    header = list(HEADER)
    if args.isolated_memory:
        peaks = {}
        for name in names:
            peaks[name] = {impl: run_child(name, impl, 5, 0, args.all_threads) for impl in IMPLS}
        header.insert(-1, "alone peak MiB t/ag/jax")

    reps_note = (f"{args.reps} reps each" if args.reps is not None else
                 "reps " + ", ".join(f"{n} {BY_NAME[n].reps}" for n in names))  # fmt: skip
    env = environment(mods, reps_note + f", warmup {args.warmup}" +
                      (", XLA single-threaded" if single_thread else
                       ", default thread pools (--all-threads)"))
    body = table_rows(rows, peaks)
    print()
    print(env)
    print(format_text(header, body))
    print(f"\n(total {time.perf_counter() - t_start:.0f}s; times are medians; ratios are "
          f"medians of per-repetition ratios, interquartile range in parentheses; "
          f"see benchmarks/README.md)")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(env + "\n\n" + format_markdown(header, body) + "\n")


if __name__ == "__main__":
    main()
