"""How fast is RoPE? Every implementation side by side, as a ratio to ``clone()``.

RoPE reads q and k and writes rotated copies: one read and one write of each, which
is exactly what ``q.clone(), k.clone()`` costs. So every implementation is reported
as a ratio to a clone of the same tensors, timed in the same run, in alternation
(each round runs every candidate once, in rotating order; the median over the rounds
is reported). Ratios, not absolute times: those differ from machine to machine.

    python benchmarks/rope_speed.py                       # (1, 32, 2048, 128) fp32, seq 256..8192
    python benchmarks/rope_speed.py --dtype bfloat16
    python benchmarks/rope_speed.py --compile             # also torch.compile the rotate_half formula
    python benchmarks/rope_speed.py --shape 1 4 64 32 --seqs 32 64 --rounds 3 --json out.json

Candidates: ``clone`` (the floor), ``copy_`` into buffers that already exist (for context:
the part of clone's time that is not the fresh memory), ``ropelab.apply_rope_qk`` and ``ropelab.apply_rope``
in both layouts, the readable forms ``rope_complex`` (Meta's complex multiply),
``rope_interleaved``, ``rope_half`` and ``rope_matrix`` (the dense matrix, only at small
sizes), ``transformers``' eager ``apply_rotary_pos_emb`` (with cos/sin precomputed, as
the Llama model does once per forward), and ``rotary-embedding-torch`` where installed.
On a machine with CUDA the main comparison runs there too.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch

import ropelab
from ropelab.common import hf as rl_hf
from ropelab.common.timing import measure

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
MATRIX_MAX_BYTES = 64 * 2 ** 20   # the dense (seq, dim, dim) rotation table, at most this big


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


def candidates(q: torch.Tensor, k: torch.Tensor, *, full: bool, compile_: bool = False) -> dict:
    """``{name: fn}`` for one pair q, k ``(B, H, S, D)``; each fn returns the rotated pair."""
    seq, dim = q.shape[-2], q.shape[-1]
    pos = torch.arange(seq, device=q.device)
    cos, sin = rl_hf.hf_cos_sin(torch.arange(seq), dim, dtype=q.dtype)
    cos, sin = cos[None].to(q.device), sin[None].to(q.device)         # (1, S, D), as the model has them
    hf = _hf_apply()
    c = {
        "clone": lambda: (q.clone(), k.clone()),
        "apply_rope_qk interleaved": lambda: ropelab.apply_rope_qk(q, k, pos, layout="interleaved"),
        "apply_rope_qk half": lambda: ropelab.apply_rope_qk(q, k, pos, layout="half"),
    }
    if full:
        q_buf, k_buf = torch.empty_like(q), torch.empty_like(k)
        c["(copy_ into existing buffers)"] = lambda: (q_buf.copy_(q), k_buf.copy_(k))
        c["apply_rope (q, k apart) interleaved"] = lambda: (ropelab.apply_rope(q, pos), ropelab.apply_rope(k, pos))
        c["apply_rope (q, k apart) half"] = lambda: (ropelab.apply_rope(q, pos, layout="half"),
                                                     ropelab.apply_rope(k, pos, layout="half"))
    c["rope_complex (Meta)"] = lambda: (ropelab.rope_complex(q, pos), ropelab.rope_complex(k, pos))
    if full:
        c["rope_interleaved"] = lambda: (ropelab.rope_interleaved(q, pos), ropelab.rope_interleaved(k, pos))
    c["rope_half"] = lambda: (ropelab.rope_half(q, pos), ropelab.rope_half(k, pos))
    if seq * dim * dim * 4 <= MATRIX_MAX_BYTES:
        c["rope_matrix (dense)"] = lambda: (ropelab.rope_matrix(q, pos), ropelab.rope_matrix(k, pos))
    c["transformers eager"] = lambda: hf(q, k, cos, sin)
    ret = _rotary_embedding_torch(dim, q.device)
    if ret is not None:
        c["rotary-embedding-torch"] = lambda: (ret.rotate_queries_or_keys(q), ret.rotate_queries_or_keys(k))
    if compile_:
        from transformers.models.llama.modeling_llama import rotate_half

        def formula(q, k, cos, sin):
            cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
            return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin

        compiled = torch.compile(formula, dynamic=False)
        t0 = time.perf_counter()
        compiled(q, k, cos, sin)
        c["_compile_seconds"] = time.perf_counter() - t0
        c["torch.compile(rotate_half formula)"] = lambda: compiled(q, k, cos, sin)
    return c


def run(shape, dtype, device, rounds: int, full: bool, compile_: bool = False) -> dict:
    """Time every candidate for q, k of ``shape``; returns medians (s) and ratios to clone."""
    g = torch.Generator().manual_seed(0)
    q = torch.randn(shape, generator=g).to(device=device, dtype=dtype)
    k = torch.randn(shape, generator=g).to(device=device, dtype=dtype)
    c = candidates(q, k, full=full, compile_=compile_)
    compile_seconds = c.pop("_compile_seconds", None)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    times = measure(c, rounds=rounds, sync=sync, stat="all")
    med = {n: statistics.median(v) for n, v in times.items()}
    best = {n: min(v) for n, v in times.items()}
    out = {"shape": list(shape), "dtype": str(dtype).replace("torch.", ""), "device": str(device),
           "rounds": rounds, "median_seconds": med, "ratio_to_clone": {n: med[n] / med["clone"] for n in med},
           "best_seconds": best, "best_ratio_to_clone": {n: best[n] / best["clone"] for n in best}}
    if compile_seconds is not None:
        out["compile_seconds"] = compile_seconds
    return out


def print_main(res: dict) -> None:
    r = res["ratio_to_clone"]
    hf = r["transformers eager"]
    b, h, s, d = res["shape"]
    mib = b * h * s * d * torch.tensor([], dtype=getattr(torch, res["dtype"])).element_size() / 2 ** 20
    print(f"\nq and k of shape ({b}, {h}, {s}, {d}) {res['dtype']} ({mib:.1f} MiB each) on {res['device']}"
          + (f", {torch.get_num_threads()} threads" if res["device"] == "cpu" else "")
          + f"; median of {res['rounds']} alternating rounds")
    print(f"{'implementation':40s} {'x clone':>8s} {'transformers / it':>18s}")
    for name, v in r.items():
        print(f"{name:40s} {v:8.2f} {hf / v:17.2f}x")
    if "compile_seconds" in res:
        print(f"(torch.compile's first call took {res['compile_seconds']:.1f} s)")


TABLE_COLUMNS = ["apply_rope_qk interleaved", "apply_rope_qk half", "rope_complex (Meta)", "rope_half",
                 "rope_matrix (dense)", "transformers eager", "rotary-embedding-torch"]
SHORT = {"apply_rope_qk interleaved": "ours il", "apply_rope_qk half": "ours half",
         "rope_complex (Meta)": "complex", "rope_half": "rope_half", "rope_matrix (dense)": "matrix",
         "transformers eager": "HF eager", "rotary-embedding-torch": "rot-emb-t"}


def print_table(rows: list[dict]) -> None:
    cols = [c for c in TABLE_COLUMNS if any(c in r["ratio_to_clone"] for r in rows)]
    print("\nratio to clone by sequence length (q and k of shape (B, H, seq, D)); '-' = not run")
    print("(short sequences fit in the cache and take microseconds: there the fixed cost of each call and")
    print(" every wait for a busy core weigh most, and the ratios are the noisiest)")
    print(f"{'seq':>6s}" + "".join(f"{SHORT[c]:>11s}" for c in cols) + f"{'HF / ours il':>14s}{'HF / ours half':>16s}")
    for r in rows:
        rr = r["ratio_to_clone"]
        cells = "".join(f"{rr[c]:11.2f}" if c in rr else f"{'-':>11s}" for c in cols)
        hf = rr["transformers eager"]
        print(f"{r['shape'][2]:6d}{cells}{hf / rr['apply_rope_qk interleaved']:13.2f}x"
              f"{hf / rr['apply_rope_qk half']:15.2f}x")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", type=int, nargs=4, default=[1, 32, 2048, 128], metavar=("B", "H", "S", "D"))
    p.add_argument("--dtype", choices=sorted(DTYPES), default="float32")
    p.add_argument("--rounds", type=int, default=21, help="alternating rounds at the main shape")
    p.add_argument("--seqs", type=int, nargs="*", default=[256, 512, 1024, 2048, 4096, 8192],
                   help="sequence lengths of the table (none: no table)")
    p.add_argument("--table-rounds", type=int, default=9,
                   help="rounds at the longest sequence of the table; shorter ones get more (cheap, noisier)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="auto: the CPU, and CUDA too when present")
    p.add_argument("--compile", action="store_true", help="also time torch.compile of the rotate_half formula")
    p.add_argument("--json", help="write every median and ratio to this file")
    args = p.parse_args(argv)
    if args.shape[3] % 2 or min(args.shape) < 1:
        p.error("--shape needs positive sizes and an even D")

    devices = [torch.device("cpu")] if args.device in ("auto", "cpu") else []
    if args.device in ("auto", "cuda"):
        if torch.cuda.is_available():
            devices.append(torch.device("cuda"))
        elif args.device == "cuda":
            p.error("--device cuda, but torch sees no CUDA device")
    dtype = DTYPES[args.dtype]
    report = {"torch": torch.__version__, "threads": torch.get_num_threads(), "main": [], "table": []}
    print("RoPE speed: each implementation's time as a ratio to clone() of the same q and k "
          "(1.00 = one read + one write, the floor)")
    for dev in devices:
        res = run(tuple(args.shape), dtype, dev, args.rounds, full=True, compile_=args.compile)
        report["main"].append(res)
        print_main(res)
    for dev in devices:
        rows = []
        longest = max(args.seqs) if args.seqs else 1
        for s in args.seqs:
            shape = (args.shape[0], args.shape[1], s, args.shape[3])
            rounds = min(8 * args.table_rounds, args.table_rounds * longest // s)
            rows.append(run(shape, dtype, dev, rounds, full=False))
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
