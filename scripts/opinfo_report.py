"""Write docs/opinfo_coverage.md: the OpInfo conformance results, op_db entry by entry.

Runs the cases of tests/test_opinfo.py (the same harness, imported, not copied) and prints
the totals, among them the number of op_db names whose every case passes forward, grad and
gradgrad: the figure the README quotes.

    python scripts/opinfo_report.py              # everything; writes the markdown file
    python scripts/opinfo_report.py add div -v   # only these ops (op_db or table names); no file
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import test_opinfo as harness

OUTPUT = os.path.join(ROOT, "docs", "opinfo_coverage.md")
PASS, FAIL, XFAIL, XPASS, NA = "pass", "fail", "xfail", "XPASS", "n/a"
CELL = {PASS: "✓", FAIL: "✗", XFAIL: "xfail", XPASS: "XPASS", NA: "—"}
GRADS = ("forward", "grad", "gradgrad")


def run(case: harness.Case) -> tuple[str, str]:
    """The case's outcome and a one-line message."""
    reason = case.xfail_reason()
    try:
        ran = harness.run_case(case)
    except Exception as e:  # noqa: BLE001 - a failing case is a result
        message = " ".join(str(e).split())[:160] or type(e).__name__
        return (XFAIL, reason) if reason else (FAIL, f"{type(e).__name__}: {message}")
    if reason:
        return XPASS, f"expected to fail ({reason}) but passes"
    return (PASS, "") if ran else (NA, "no sample with differentiable inputs and outputs")


def _cell(outcomes: list[tuple[str, str, str]]) -> str:
    """Outcomes (status, dtype, message) of one entry and phase across dtypes."""
    if not outcomes:
        return CELL[NA]
    statuses = {s for s, _, _ in outcomes}
    for status in (XPASS, FAIL, XFAIL):
        if status in statuses:
            dtypes = [d for s, d, _ in outcomes if s == status]
            every = len(dtypes) == len(outcomes)
            return CELL[status] + ("" if every else f" ({', '.join(dtypes)})")
    return CELL[PASS] if PASS in statuses else CELL[NA]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ops", nargs="*", help="only these ops (op_db names or table names)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every failure")
    parser.add_argument("--readme", action="store_true",
                        help="only copy the totals of the existing report into README.md")
    opts = parser.parse_args()
    if opts.readme:
        update_readme()
        return 0

    cases = [c for c in harness.CASES
             if not opts.ops or c.info.name in opts.ops or c.opdef.name in opts.ops]  # fmt: skip
    start = time.perf_counter()
    results: dict[str, dict[str, list[tuple[str, str, str]]]] = defaultdict(
        lambda: defaultdict(list))
    names: dict[str, str] = {}  # entry -> op_db name
    seconds: dict[str, float] = defaultdict(float)
    for case in cases:
        tic = time.perf_counter()
        status, message = run(case)
        seconds[case.phase] += time.perf_counter() - tic
        results[case.entry][case.phase].append((status, case.dtype_name, message))
        names[case.entry] = case.info.name
        if opts.verbose and status in (FAIL, XPASS):
            print(f"{status:5} {case.id}: {message}", flush=True)
    elapsed = time.perf_counter() - start

    rows = []
    for entry in sorted(results):
        phases = results[entry]
        notes: list[str] = []
        for phase in harness.PHASES:
            for status, dtype, message in phases.get(phase, []):
                if status != PASS and status != NA:
                    note = f"{phase} ({dtype}): {status}: {message}"
                    if note.split(": ", 1)[1] not in [n.split(": ", 1)[1] for n in notes]:
                        notes.append(note)
        cells = [_cell(phases.get(p, [])) for p in harness.PHASES]
        rows.append(f"| `{entry}` | " + " | ".join(cells) + " | " + "<br>".join(
            n.replace("|", "\\|") for n in notes) + " |")  # fmt: skip

    def passing(entry: str, which: tuple[str, ...]) -> bool:
        return all(s in (PASS, NA) for p in which for s, _, _ in results[entry].get(p, []))

    by_name: dict[str, list[str]] = defaultdict(list)
    for entry, name in names.items():
        by_name[name].append(entry)
    good_names = sorted(n for n, es in by_name.items() if all(passing(e, GRADS) for e in es))
    differentiable = [n for n in good_names
                      if any(results[e].get("grad") for e in by_name[n])]  # fmt: skip
    covered = f"{len(results)} ({len(by_name)} op_db names, {len(cases)} cases)"
    lines = [f"op_db entries covered: {covered}"]
    for phase in harness.PHASES:
        ran = [e for e in results if results[e].get(phase)]
        ok = [e for e in ran if passing(e, (phase,))]
        lines.append(f"{phase}: {len(ok)} of {len(ran)} entries pass")
    lines.append(f"op_db names passing forward+grad+gradgrad: {len(good_names)} of {len(by_name)} "
                 f"({len(differentiable)} of them differentiable)")  # fmt: skip
    counts = defaultdict(int)
    for phases in results.values():
        for outcomes in phases.values():
            for status, _, _ in outcomes:
                counts[status] += 1
    lines.append("cases: " + ", ".join(f"{counts[s]} {s}" for s in (PASS, FAIL, XFAIL, XPASS, NA)))
    print("\n".join(lines))
    per_phase = ", ".join(f"{p} {seconds[p]:.0f} s" for p in harness.PHASES)
    print(f"{elapsed:.0f} s; per phase: {per_phase}")

    if opts.ops:
        return 0
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w") as f:
        f.write(_markdown(lines, rows))
    print(f"wrote {os.path.relpath(OUTPUT, ROOT)}")
    update_readme()
    return 0


README = os.path.join(ROOT, "README.md")
BEGIN, END = "<!-- opinfo-figure -->", "<!-- /opinfo-figure -->"


def update_readme() -> None:
    """Copy the totals of docs/opinfo_coverage.md between the README's markers, so the
    README's figure is always the generated one (`--readme` does only this step)."""
    with open(OUTPUT) as f:
        totals = [line for line in f if line.startswith("- ")]
    with open(README) as f:
        text = f.read()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    with open(README, "w") as f:
        f.write(text[:start] + "\n" + "".join(totals) + text[end:])
    print(f"updated {os.path.relpath(README, ROOT)}")


def _markdown(totals: list[str], rows: list[str]) -> str:
    import torch

    header = [
        "# OpInfo coverage",
        "",
        "Generated by `python scripts/opinfo_report.py` from the cases of `tests/test_opinfo.py`",
        f"(PyTorch {torch.__version__}'s `op_db`); do not edit by hand.",
        "",
        "Each op in the op table with an `opinfo` entry runs its first OpInfo sample inputs",
        f"({', '.join(f'{n} for {p}' for p, n in harness.MAX_SAMPLES.items())}) through torch",
        "and autograd_grad, in float32 and float64 (gradgrad and batched: float64; forward: also",
        "one integer or bool dtype). `forward`: values, dtypes,",
        "shapes, `requires_grad`; `grad_fn`: node names; `grad`: `autograd.grad` with random",
        "cotangents; `gradgrad`: second order through `create_graph=True`; `batched`:",
        "`is_grads_batched=True`. ✓ passes, ✗ fails (dtypes in brackets when not all),",
        "xfail: an expected failure recorded in the op table, — not applicable.",
        "",
        *(f"- {line}" for line in totals),
        "",
        "| op | " + " | ".join(harness.PHASES) + " | notes |",
        "|---|" + "---|" * len(harness.PHASES) + "---|",
    ]
    return "\n".join(header + rows) + "\n"


if __name__ == "__main__":
    sys.exit(main())
