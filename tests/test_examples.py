"""Every example runs as a test, and so does the README's quick start."""

from __future__ import annotations

import pathlib
import re
import runpy

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out  # examples print their progress


PORTABLE = [p for p in EXAMPLES if "Runs unchanged with `import torch`" in p.read_text()]


@pytest.mark.parametrize("path", PORTABLE, ids=[p.stem for p in PORTABLE])
def test_example_prints_the_same_under_torch(path: pathlib.Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """The same file with `import torch` (torch's own module names) prints the same."""
    pytest.importorskip("torch")
    runpy.run_path(str(path), run_name="__main__")
    ours = capsys.readouterr().out
    source = re.sub(r"^import autograd_grad as torch$", "import torch", path.read_text(), flags=re.M)
    source = re.sub(r"^from autograd_grad\.", "from torch.", source, flags=re.M)
    exec(compile(source, str(path), "exec"), {"__name__": "__main__"})  # noqa: S102
    theirs = capsys.readouterr().out
    # The same text; numbers equal to float32 round-off accumulated over a training run.
    number = r"-?\d+\.\d+(?:e[-+]\d+)?"
    assert re.sub(number, "#", ours) == re.sub(number, "#", theirs), (ours, theirs)
    a = [float(v) for v in re.findall(number, ours)]
    b = [float(v) for v in re.findall(number, theirs)]
    np.testing.assert_allclose(a, b, rtol=5e-3, atol=1e-3, err_msg=f"{ours}\n{theirs}")


def test_readme_quick_start_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme, re.S)
    assert block is not None
    namespace: dict[str, object] = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)  # noqa: S102
    assert tuple(namespace["g_w"].shape) == (1, 16)  # type: ignore[attr-defined]
