"""benchmarks/rope_speed.py runs end to end at a tiny size and reports what it promises."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

TINY = ["--shape", "1", "2", "16", "8", "--seqs", "8", "16", "--rounds", "2", "--runs", "2", "--table-rounds", "1",
        "--device", "cpu"]
COPY, CLONE = "copy_ (into existing buffers)", "clone"


def checkout_env(root, *paths):
    """The environment for the script: this checkout's ropelab first on the path.

    A script's own folder (benchmarks/) is on its path, the repository root is not, so without
    this ``import ropelab`` finds whatever ``pip install -e`` points at, maybe another checkout.
    """
    path = os.pathsep.join(p for p in [*map(str, paths), str(root), os.environ.get("PYTHONPATH")] if p)
    return dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1", PYTHONPATH=path)


def run_script(root, tmp_path, *extra, hide=(), env_extra=None):
    out = tmp_path / "speed.json"
    env = dict(checkout_env(root, *hide), **(env_extra or {}))
    proc = subprocess.run([sys.executable, str(root / "benchmarks" / "rope_speed.py"), *TINY, *extra,
                           "--json", str(out)], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads(out.read_text())


def test_script_reports_ratios_to_each_floor_and_a_seq_table(root, tmp_path):
    proc, report = run_script(root, tmp_path)
    assert "ratio to copy_" in proc.stdout and "to clone()" in proc.stdout
    (main,) = report["main"]
    assert main["runs"] == 2 and main["rounds"] == 2
    ratio, floor, med = main["ratio"], main["floor"], main["median_seconds"]
    expected = {COPY, CLONE, "transformers eager", "rope_complex (Meta)", "rope_interleaved", "rope_half",
                "rope_matrix (dense)"}
    for layout in ("interleaved", "half"):
        for form in ("in place", "out="):
            expected |= {f"{form} {layout}", f"{form} {layout} (PyTorch)"}
            assert floor[f"{form} {layout}"] == floor[f"{form} {layout} (PyTorch)"] == COPY
        expected |= {f"new {layout}", f"new {layout} (PyTorch)", f"apply_rope (q, k apart) {layout}"}
        assert floor[f"new {layout}"] == CLONE
    assert expected <= set(ratio)
    assert floor["transformers eager"] == floor["rope_half"] == CLONE
    # every ratio is, run by run, the candidate's median over its floor's median, from the same run
    for name, r in ratio.items():
        assert len(r["median"]) == len(r["best"]) == 2
        assert r["median"] == pytest.approx([m / f for m, f in zip(med[name], med[floor[name]])])
        assert all(v > 0 for v in r["median"] + r["best"])
        sm = main["summary"][name]
        assert sm["min"] <= sm["median"] <= sm["max"]
    assert ratio[COPY]["median"] == ratio[CLONE]["median"] == [1.0, 1.0]
    assert main["transformers_over"]["transformers eager"] == pytest.approx(1.0)
    assert [row["shape"][2] for row in report["table"]] == [8, 16]
    for name in expected:
        assert name in proc.stdout
    # the optional comparison is timed exactly when it is installed
    installed = importlib.util.find_spec("rotary_embedding_torch") is not None
    assert ("rotary-embedding-torch" in ratio) == installed
    lines = proc.stdout.splitlines()
    seq_rows = [ln.split()[0] for ln in lines if ln.strip() and ln.split()[0] in ("8", "16")]
    assert seq_rows == ["8", "16", "8", "16"]          # the ratio table and the table against transformers
    assert "times faster than transformers" in proc.stdout
    assert "numba" in report and "available" in report["numba"]


def test_script_runs_without_numba(root, tmp_path):
    proc, report = run_script(root, tmp_path, env_extra={"ROPELAB_NUMBA": "0"})
    assert "numba: not used" in proc.stdout and not report["numba"]["available"]
    assert "in place half" in report["main"][0]["ratio"]


@pytest.mark.slow
def test_compile_times_are_measured_in_fresh_processes(root, tmp_path):
    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed")
    proc, report = run_script(root, tmp_path, "--compile-times", "--compile-repeats", "1")
    kinds = [kind for kind, _ in report["compile_times"]]
    assert kinds == ["cold", "warm", "warm"]
    for _, row in report["compile_times"]:
        assert row["status"]["available"] and all(v >= 0 for v in row["times"].values())
    assert "half in place, float32 (first loop)" in proc.stdout and "cold" in proc.stdout


def test_rotary_embedding_torch_is_optional(root, tmp_path):
    hidden = tmp_path / "hide"
    (hidden / "rotary_embedding_torch").mkdir(parents=True)
    (hidden / "rotary_embedding_torch" / "__init__.py").write_text("raise ImportError('not installed')\n")
    proc, report = run_script(root, tmp_path, hide=[hidden])
    assert "rotary-embedding-torch" not in report["main"][0]["ratio"]
    assert "rotary-embedding-torch" not in proc.stdout


def test_bad_shape_is_rejected(root, tmp_path):
    proc = subprocess.run([sys.executable, str(root / "benchmarks" / "rope_speed.py"), "--shape", "1", "2", "8", "7"],
                          cwd=root, env=checkout_env(root), capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "even D" in proc.stderr
