"""How fast is RoPE? Every implementation side by side, as a ratio to the floor it must beat.

RoPE reads q and k once and writes a result of the same size once: nothing can do less.
What that costs depends on where the result goes:

* **into memory that already exists** (in place, ``apply_rope_qk_``, or ``out=``): the floor
  is ``copy_`` of q and k into buffers that already exist;
* **into new tensors** (``apply_rope_qk``, the readable forms, ``transformers``): the floor
  is ``clone()``, which also pays for fresh memory. On the CPU a large new tensor is
  mapped fresh from the operating system, one page fault per page on first touch, and at
  (1, 32, 2048, 128) float32 that costs more than the copy itself.

So in-place and ``out=`` candidates are reported as ratios to ``copy_``, out-of-place ones
as ratios to ``clone``, all timed in one process, in alternation (each round runs every
candidate once, in rotating order, so a slow moment of a shared machine hits all alike).
Within a run a ratio is the candidate's median over the rounds divided by its floor's
median ("median") and the same for the best round ("best"). The run is repeated
``--runs`` times; the report gives the min / median / max of each ratio over the runs.
Ratios, not absolute times: those differ from machine to machine.

    python benchmarks/rope_speed.py                       # (1, 32, 2048, 128) fp32; seq 512, 2048, 8192
    python benchmarks/rope_speed.py --runs 5 --dtype bfloat16
    python benchmarks/rope_speed.py --compile             # also torch.compile the rotate_half formula
    python benchmarks/rope_speed.py --compile-times       # numba's cold and warm start, in fresh processes
    python benchmarks/rope_speed.py --shape 1 4 64 32 --seqs 32 64 --rounds 3 --runs 1 --json out.json

Candidates: the floors ``copy_`` and ``clone``; for each layout ``ropelab.apply_rope_qk_``
(in place), ``apply_rope_qk(..., out=)`` and ``apply_rope_qk`` (new tensors), with the numba
loops and again on the PyTorch fallback ("(PyTorch)", numba off); ``apply_rope`` on q and k
apart; the readable forms ``rope_complex`` (Meta's complex multiply), ``rope_interleaved``,
``rope_half`` and ``rope_matrix`` (the dense matrix, only at small sizes); ``transformers``'
eager ``apply_rotary_pos_emb`` (with cos/sin precomputed, as the Llama model does once per
forward); and ``rotary-embedding-torch`` where installed. On a machine with CUDA the main
comparison runs there too (where the caching allocator makes ``clone`` cost what ``copy_`` does).
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

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch

import ropelab
from ropelab import _kernels
from ropelab.common import hf as rl_hf
from ropelab.common.timing import measure

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
MATRIX_MAX_BYTES = 64 * 2 ** 20   # the dense (seq, dim, dim) rotation table, at most this big
COPY, CLONE = "copy_ (into existing buffers)", "clone"


def _hf_apply():
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    return apply_rotary_pos_emb


def _rotary_embedding_torch(dim: int, device):
    """``rotary_embedding_torch.RotaryEmbedding`` if installed, else None (it is optional)."""
    try:
        from rotary_embedding_torch import RotaryEmbedding
    except ImportError:
        return None
    return RotaryEmbedding(dim=dim).to(device)


def _off(fn):
    """``fn`` with the numba loops turned off: the PyTorch fallback."""
    def call():
        with _kernels.numba_off():
            return fn()
    return call


def candidates(q: torch.Tensor, k: torch.Tensor, *, full: bool, compile_: bool = False) -> tuple[dict, dict]:
    """``({name: fn}, {name: floor})`` for one pair q, k ``(B, H, S, D)``; each fn rotates q and k.

    The floor is ``COPY`` for candidates that write into memory that exists, ``CLONE`` for
    those that return new tensors. In-place candidates rotate q and k themselves, round
    after round (a rotation keeps every value bounded, so that is harmless); ``out=``
    candidates write into the buffers ``copy_`` writes into.
    """
    seq, dim = q.shape[-2], q.shape[-1]
    pos = torch.arange(seq, device=q.device)
    cos, sin = rl_hf.hf_cos_sin(torch.arange(seq), dim, dtype=q.dtype)
    cos, sin = cos[None].to(q.device), sin[None].to(q.device)         # (1, S, D), as the model has them
    hf = _hf_apply()
    q_buf, k_buf = torch.empty_like(q), torch.empty_like(k)
    c = {COPY: lambda: (q_buf.copy_(q), k_buf.copy_(k)), CLONE: lambda: (q.clone(), k.clone())}
    floor = {COPY: COPY, CLONE: CLONE}
    for layout in ("interleaved", "half"):
        forms = {
            f"in place {layout}": (COPY, lambda lay=layout: ropelab.apply_rope_qk_(q, k, pos, layout=lay)),
            f"out= {layout}": (COPY, lambda lay=layout: ropelab.apply_rope_qk(q, k, pos, layout=lay,
                                                                               out=(q_buf, k_buf))),
            f"new {layout}": (CLONE, lambda lay=layout: ropelab.apply_rope_qk(q, k, pos, layout=lay)),
        }
        for name, (base, fn) in forms.items():
            c[name], floor[name] = fn, base
        if full:
            for name, (base, fn) in forms.items():
                c[f"{name} (PyTorch)"], floor[f"{name} (PyTorch)"] = _off(fn), base
            c[f"apply_rope (q, k apart) {layout}"] = lambda lay=layout: (ropelab.apply_rope(q, pos, layout=lay),
                                                                          ropelab.apply_rope(k, pos, layout=lay))
            floor[f"apply_rope (q, k apart) {layout}"] = CLONE
    readable = {"rope_complex (Meta)": lambda: (ropelab.rope_complex(q, pos), ropelab.rope_complex(k, pos))}
    if full:
        readable["rope_interleaved"] = lambda: (ropelab.rope_interleaved(q, pos), ropelab.rope_interleaved(k, pos))
    readable["rope_half"] = lambda: (ropelab.rope_half(q, pos), ropelab.rope_half(k, pos))
    if seq * dim * dim * 4 <= MATRIX_MAX_BYTES:
        readable["rope_matrix (dense)"] = lambda: (ropelab.rope_matrix(q, pos), ropelab.rope_matrix(k, pos))
    readable["transformers eager"] = lambda: hf(q, k, cos, sin)
    ret = _rotary_embedding_torch(dim, q.device)
    if ret is not None:
        readable["rotary-embedding-torch"] = lambda: (ret.rotate_queries_or_keys(q), ret.rotate_queries_or_keys(k))
    if compile_:
        from transformers.models.llama.modeling_llama import rotate_half

        def formula(q, k, cos, sin):
            cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
            return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin

        compiled = torch.compile(formula, dynamic=False)
        t0 = time.perf_counter()
        compiled(q, k, cos, sin)
        floor["_compile_seconds"] = time.perf_counter() - t0
        readable["torch.compile(rotate_half formula)"] = lambda: compiled(q, k, cos, sin)
    for name, fn in readable.items():
        c[name], floor[name] = fn, CLONE
    return c, floor


def _spread(values: list) -> dict:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def run(shape, dtype, device, rounds: int, runs: int, full: bool, compile_: bool = False) -> dict:
    """Time every candidate for q, k of ``shape``, ``runs`` times ``rounds`` alternating rounds."""
    g = torch.Generator().manual_seed(0)
    q = torch.randn(shape, generator=g).to(device=device, dtype=dtype)
    k = torch.randn(shape, generator=g).to(device=device, dtype=dtype)
    c, floor = candidates(q, k, full=full, compile_=compile_)
    compile_seconds = floor.pop("_compile_seconds", None)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    med = {n: [] for n in c}
    best = {n: [] for n in c}
    for _ in range(runs):
        times = measure(c, rounds=rounds, sync=sync, stat="all")
        for n, v in times.items():
            med[n].append(statistics.median(v))
            best[n].append(min(v))
    ratio = {n: {"median": [m / f for m, f in zip(med[n], med[floor[n]])],
                 "best": [b / f for b, f in zip(best[n], best[floor[n]])]} for n in c}
    hf = "transformers eager"
    out = {"shape": list(shape), "dtype": str(dtype).replace("torch.", ""), "device": str(device),
           "rounds": rounds, "runs": runs, "floor": floor, "median_seconds": med, "best_seconds": best,
           "ratio": ratio, "summary": {n: _spread(r["median"]) for n, r in ratio.items()},
           "summary_best": {n: _spread(r["best"]) for n, r in ratio.items()},
           # how many times faster than transformers' eager code (per run, median times; then the median)
           "transformers_over": {n: statistics.median(h / m for h, m in zip(med[hf], med[n])) for n in c}}
    if compile_seconds is not None:
        out["compile_seconds"] = compile_seconds
    return out


def print_main(res: dict) -> None:
    b, h, s, d = res["shape"]
    mib = b * h * s * d * torch.tensor([], dtype=getattr(torch, res["dtype"])).element_size() / 2 ** 20
    print(f"\nq and k of shape ({b}, {h}, {s}, {d}) {res['dtype']} ({mib:.1f} MiB each) on {res['device']}"
          + (f", {torch.get_num_threads()} threads" if res["device"] == "cpu" else "")
          + f"; {res['runs']} runs x {res['rounds']} alternating rounds")
    sec = {n: statistics.median(v) for n, v in res["median_seconds"].items()}
    print(f"  {COPY}: {sec[COPY] * 1e3:.2f} ms, clone: {sec[CLONE] * 1e3:.2f} ms "
          f"(clone / copy_ = {sec[CLONE] / sec[COPY]:.2f}: the price of fresh memory)")
    print(f"{'implementation':38s} {'floor':>6s} {'ratio (median of rounds)':>25s} {'ratio (best round)':>20s}"
          f" {'ms':>8s} {'HF eager / it':>14s}")
    print(f"{'':38s} {'':>6s} {'min   median   max':>25s} {'min  median  max':>20s}")
    for name, sm in res["summary"].items():
        sb = res["summary_best"][name]
        fl = "copy_" if res["floor"][name] == COPY else "clone"
        print(f"{name:38s} {fl:>6s} {sm['min']:9.2f} {sm['median']:6.2f} {sm['max']:6.2f}"
              f" {sb['min']:8.2f} {sb['median']:5.2f} {sb['max']:5.2f} {sec[name] * 1e3:8.2f}"
              f" {res['transformers_over'][name]:13.2f}x")
    if "compile_seconds" in res:
        print(f"(torch.compile's first call took {res['compile_seconds']:.1f} s)")


TABLE_COLUMNS = [("in place interleaved", "inpl il"), ("out= interleaved", "out= il"), ("new interleaved", "new il"),
                 ("in place half", "inpl half"), ("out= half", "out= half"), ("new half", "new half"),
                 ("rope_complex (Meta)", "complex"), ("rope_half", "rope_half"), ("rope_matrix (dense)", "matrix"),
                 ("transformers eager", "HF eager"), ("rotary-embedding-torch", "rot-emb-t")]
HF_COLUMNS = [("in place interleaved", "inpl il"), ("in place half", "inpl half"),
              ("new interleaved", "new il"), ("new half", "new half")]


def print_table(rows: list[dict]) -> None:
    cols = [(c, short) for c, short in TABLE_COLUMNS if any(c in r["summary"] for r in rows)]
    print("\nratio to the floor by sequence length, median over runs of (median of rounds / floor's); "
          "in place and out= over copy_, the rest over clone; '-' = not run")
    print("(short sequences fit in the cache and take microseconds: there the fixed cost of each call and")
    print(" every wait for a busy core weigh most, and the ratios are the noisiest)")
    print(f"{'seq':>6s} {'clone/copy_':>11s}" + "".join(f"{short:>10s}" for _, short in cols))
    for r in rows:
        sm = r["summary"]
        sec = {n: statistics.median(v) for n, v in r["median_seconds"].items()}
        cells = "".join(f"{sm[c]['median']:10.2f}" if c in sm else f"{'-':>10s}" for c, _ in cols)
        print(f"{r['shape'][2]:6d} {sec[CLONE] / sec[COPY]:11.2f}{cells}")
    print("\ntimes faster than transformers' eager apply_rotary_pos_emb (median over runs of HF time / its time)")
    print(f"{'seq':>6s}" + "".join(f"{short:>11s}" for _, short in HF_COLUMNS))
    for r in rows:
        print(f"{r['shape'][2]:6d}" + "".join(f"{r['transformers_over'][c]:10.2f}x" for c, _ in HF_COLUMNS))


# ---------------------------------------------------------------------------
# numba's start-up: cold (empty cache) and warm (from the disk cache), in fresh processes
# ---------------------------------------------------------------------------

_CHILD = r'''
import json, sys, time
t0 = time.perf_counter()
import torch
sys.path.insert(0, sys.argv[1])
import ropelab
from ropelab import _kernels
res = {"import torch + ropelab": time.perf_counter() - t0}
t = time.perf_counter(); status = _kernels.numba_status(); res["import numba"] = time.perf_counter() - t
x = torch.randn(1, 4, 64, 128); p = torch.arange(64)
with _kernels.numba_off():                     # build the cos/sin tables first, without numba
    for t in (x, x.double()):
        ropelab.apply_rope(t, p); ropelab.apply_rope(t, p, layout="half")
calls = [("half in place, float32 (first loop)", lambda: ropelab.apply_rope_(x, p, layout="half")),
         ("half out=, float32", lambda: ropelab.apply_rope(x, p, layout="half", out=torch.empty_like(x))),
         ("interleaved in place, float32", lambda: ropelab.apply_rope_(x, p)),
         ("interleaved out=, float32", lambda: ropelab.apply_rope(x, p, out=torch.empty_like(x))),
         ("half in place, float64", lambda: ropelab.apply_rope_(x.double(), p, layout="half")),
         ("half in place, float32 again", lambda: ropelab.apply_rope_(x, p, layout="half"))]
for name, fn in calls:
    t = time.perf_counter(); fn(); res[name] = time.perf_counter() - t
print(json.dumps({"times": res, "status": _kernels.numba_status()}))
'''


def compile_times(repeats: int = 2) -> list:
    """Start fresh processes with an empty numba cache folder (cold), then twice on it (warm)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(ropelab.__file__)))
    rows = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            for kind in ("cold", "warm", "warm"):
                proc = subprocess.run([sys.executable, "-c", _CHILD, root], env=env, capture_output=True,
                                      text=True, timeout=600)
                if proc.returncode != 0:
                    raise RuntimeError(proc.stderr[-2000:])
                rows.append((kind, json.loads(proc.stdout.strip().splitlines()[-1])))
    return rows


def print_compile_times(rows: list) -> None:
    status = rows[0][1]["status"]
    if not status["available"]:
        print(f"\nnumba: not used here ({status['reason']})")
        return
    print(f"\nnumba {status['version']} start-up in fresh processes, seconds (cold: empty cache folder; "
          f"warm: loaded from it); threading layer {status['threading_layer']}")
    keys = list(rows[0][1]["times"])
    print(f"{'':38s}" + "".join(f"{kind:>7s}" for kind, _ in rows))
    for k in keys:
        print(f"{k:38s}" + "".join(f"{r['times'][k]:7.3f}" for _, r in rows))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", type=int, nargs=4, default=[1, 32, 2048, 128], metavar=("B", "H", "S", "D"))
    p.add_argument("--dtype", choices=sorted(DTYPES), default="float32")
    p.add_argument("--rounds", type=int, default=15, help="alternating rounds per run at the main shape")
    p.add_argument("--runs", type=int, default=5, help="runs (each of --rounds rounds); min/median/max over them")
    p.add_argument("--seqs", type=int, nargs="*", default=[512, 2048, 8192],
                   help="sequence lengths of the table (none: no table)")
    p.add_argument("--table-rounds", type=int, default=9,
                   help="rounds per run at the longest sequence of the table; shorter ones get more (cheap, noisier)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="auto: the CPU, and CUDA too when present")
    p.add_argument("--compile", action="store_true", help="also time torch.compile of the rotate_half formula")
    p.add_argument("--compile-times", action="store_true",
                   help="only measure numba's cold and warm start-up, in fresh processes")
    p.add_argument("--compile-repeats", type=int, default=2,
                   help="with --compile-times: how many times to start cold (each followed by two warm starts)")
    p.add_argument("--json", help="write every time and ratio to this file")
    args = p.parse_args(argv)
    if args.shape[3] % 2 or min(args.shape) < 1:
        p.error("--shape needs positive sizes and an even D")
    if args.rounds < 1 or args.runs < 1 or args.table_rounds < 1:
        p.error("--rounds, --runs and --table-rounds must be at least 1")

    if args.compile_times:
        rows = compile_times(max(1, args.compile_repeats))
        print_compile_times(rows)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump({"compile_times": rows}, fh, indent=1)
        return 0

    devices = [torch.device("cpu")] if args.device in ("auto", "cpu") else []
    if args.device in ("auto", "cuda"):
        if torch.cuda.is_available():
            devices.append(torch.device("cuda"))
        elif args.device == "cuda":
            p.error("--device cuda, but torch sees no CUDA device")
    dtype = DTYPES[args.dtype]
    status = _kernels.numba_status()
    report = {"torch": torch.__version__, "threads": torch.get_num_threads(), "numba": status,
              "main": [], "table": []}
    print("RoPE speed: in place and out= as a ratio to copy_ into existing buffers, new tensors as a ratio "
          "to clone() (1.00 = one read + one write, the floor)")
    print(f"numba: {'version ' + status['version'] if status['available'] else 'not used'}"
          + (f", {status['threads']} threads" if status["available"] else f" ({status['reason']})"))
    for dev in devices:
        res = run(tuple(args.shape), dtype, dev, args.rounds, args.runs, full=True, compile_=args.compile)
        report["main"].append(res)
        print_main(res)
    for dev in devices:
        rows = []
        longest = max(args.seqs) if args.seqs else 1
        for s in args.seqs:
            shape = (args.shape[0], args.shape[1], s, args.shape[3])
            rounds = min(8 * args.table_rounds, args.table_rounds * longest // s)
            rows.append(run(shape, dtype, dev, rounds, args.runs, full=False))
        if rows:
            print(f"\n[{dev}]", end="")
            print_table(rows)
        report["table"].extend(rows)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
