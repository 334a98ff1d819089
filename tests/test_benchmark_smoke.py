"""benchmarks/rope_speed.py runs end to end at a tiny size and reports what it promises."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

TINY = ["--shape", "1", "2", "16", "8", "--seqs", "8", "16", "--rounds", "2", "--table-rounds", "1",
        "--device", "cpu"]


def checkout_env(root, *paths):
    """The environment for the script: this checkout's ropelab first on the path.

    A script's own folder (benchmarks/) is on its path, the repository root is not, so without
    this ``import ropelab`` finds whatever ``pip install -e`` points at, maybe another checkout.
    """
    path = os.pathsep.join(p for p in [*map(str, paths), str(root), os.environ.get("PYTHONPATH")] if p)
    return dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1", PYTHONPATH=path)


def run_script(root, tmp_path, *extra, hide=()):
    out = tmp_path / "speed.json"
    env = checkout_env(root, *hide)
    proc = subprocess.run([sys.executable, str(root / "benchmarks" / "rope_speed.py"), *TINY, *extra,
                           "--json", str(out)], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads(out.read_text())


def test_script_reports_ratios_to_clone_and_a_seq_table(root, tmp_path):
    proc, report = run_script(root, tmp_path)
    assert "ratio to clone" in proc.stdout
    (main,) = report["main"]
    ratios = main["ratio_to_clone"]
    assert ratios["clone"] == 1.0
    expected = {"apply_rope_qk interleaved", "apply_rope_qk half", "apply_rope (q, k apart) interleaved",
                "apply_rope (q, k apart) half", "rope_complex (Meta)", "rope_interleaved", "rope_half",
                "rope_matrix (dense)", "transformers eager"}
    assert expected <= set(ratios)
    assert all(v > 0 for v in ratios.values())
    # every ratio is its median over the median of clone, from the same run
    med = main["median_seconds"]
    for name, v in ratios.items():
        assert v == pytest.approx(med[name] / med["clone"])
    assert [row["shape"][2] for row in report["table"]] == [8, 16]
    for name in expected:
        assert name in proc.stdout
    # the optional comparison is timed exactly when it is installed
    installed = importlib.util.find_spec("rotary_embedding_torch") is not None
    assert ("rotary-embedding-torch" in ratios) == installed
    lines = proc.stdout.splitlines()
    seq_rows = [ln.split()[0] for ln in lines if ln.strip() and ln.split()[0] in ("8", "16")]
    assert seq_rows == ["8", "16"]


def test_rotary_embedding_torch_is_optional(root, tmp_path):
    hidden = tmp_path / "hide"
    (hidden / "rotary_embedding_torch").mkdir(parents=True)
    (hidden / "rotary_embedding_torch" / "__init__.py").write_text("raise ImportError('not installed')\n")
    proc, report = run_script(root, tmp_path, hide=[hidden])
    assert "rotary-embedding-torch" not in report["main"][0]["ratio_to_clone"]
    assert "rotary-embedding-torch" not in proc.stdout


def test_bad_shape_is_rejected(root, tmp_path):
    proc = subprocess.run([sys.executable, str(root / "benchmarks" / "rope_speed.py"), "--shape", "1", "2", "8", "7"],
                          cwd=root, env=checkout_env(root), capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "even D" in proc.stderr
