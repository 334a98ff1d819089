"""``./lab train``: train lesson 11's models and write their checkpoints and results.json.

    ./lab train                                   # all variants, seeds 0 1 2, two processes
    ./lab train --variants rope alibi --seeds 0 --jobs 1
    ./lab train --no-results                      # checkpoints only, results.json untouched

Each job runs on one CPU thread (``lengthgen.deterministic``) and is deterministic from
its seed, so re-running gives the same bits. ``rope_pi`` is the ``rope`` model of the same
seed fine-tuned with position interpolation: asking for ``rope_pi`` also trains ``rope``
(and saves it), the fine-tune starting from it in memory, exactly as ``lengthgen.train``.
Writes ``ropelab/lesson11_length_generalisation/checkpoints/<variant>_seed<seed>.pt`` and
``checkpoints/manifest.json`` (training seconds, checkpoint bytes and a SHA-256 of the float32
weights per run), then re-evaluates every checkpoint into ``results.json`` (200 sequences per
point; about 2-3 minutes on one thread), the table notebook 11 shows.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ropelab import lengthgen as lg

weights_digest = lg.weights_digest


def _job(args) -> list[dict]:
    """One seed of one scratch variant (plus its rope_pi fine-tune when asked)."""
    variant, seed, with_pi, directory = args
    out = []
    model = lg.train(variant, seed)
    path = lg.save(model, seed, directory)
    out.append({"variant": variant, "seed": seed, "seconds": model.train_seconds,
                "cpu_seconds": model.train_cpu_seconds,
                "bytes": os.path.getsize(path), "sha256": weights_digest(model)})
    if with_pi:
        pi = lg.train("rope_pi", seed, base_model=model)
        path = lg.save(pi, seed, directory)
        out.append({"variant": "rope_pi", "seed": seed, "seconds": pi.train_seconds,
                    "cpu_seconds": pi.train_cpu_seconds,
                    "bytes": os.path.getsize(path), "sha256": weights_digest(pi)})
    for row in out:
        print(f"  {row['variant']:<11} seed {row['seed']}: {row['seconds']:6.1f} s "
              f"({row['cpu_seconds']:.1f} s CPU), "
              f"{row['bytes'] / 1024:.0f} KiB", flush=True)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=list(lg.VARIANTS), choices=lg.VARIANTS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=2, help="training processes at once (default 2)")
    parser.add_argument("--dir", default=lg.CHECKPOINT_DIR, help="checkpoint directory")
    parser.add_argument("--no-results", action="store_true", help="do not rewrite results.json")
    parser.add_argument("--results", default=None,
                        help="where to write results.json (default: next to the package's checkpoints, "
                             "or inside --dir when --dir is given)")
    args = parser.parse_args(argv)

    want_pi = "rope_pi" in args.variants
    scratch = [v for v in lg.SCRATCH_VARIANTS if v in args.variants or (v == "rope" and want_pi)]
    # rope first: its jobs are the longest (they carry the fine-tune)
    scratch.sort(key=lambda v: v != "rope")
    jobs = [(v, s, v == "rope" and want_pi, args.dir) for v in scratch for s in args.seeds]

    start = time.perf_counter()
    print(f"training {len(jobs)} jobs on {args.jobs} process(es), one thread each", flush=True)
    if args.jobs == 1:
        rows = [r for job in jobs for r in _job(job)]
    else:
        with mp.get_context("spawn").Pool(args.jobs) as pool:
            rows = [r for out in pool.imap_unordered(_job, jobs) for r in out]
    wall = time.perf_counter() - start

    manifest_path = os.path.join(args.dir, "manifest.json")
    manifest = {"runs": {}}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    for r in rows:
        manifest["runs"][f"{r['variant']}_seed{r['seed']}"] = r
    manifest["last_command"] = {"variants": args.variants, "seeds": args.seeds, "jobs": args.jobs,
                                "wall_seconds": wall}
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    total = sum(r["bytes"] for r in manifest["runs"].values())
    print(f"done in {wall:.0f} s wall; {len(manifest['runs'])} checkpoints, {total / 1e6:.2f} MB in all")
    if not args.no_results:
        write_results(args)


def write_results(args) -> None:
    """Evaluate every checkpoint of the shipped seeds that exists in ``args.dir`` into results.json."""
    seeds = list(lg.SEEDS) if args.dir == lg.CHECKPOINT_DIR else sorted(set(args.seeds))
    have = all(os.path.exists(lg.checkpoint_path(v, s, args.dir)) for v in lg.VARIANTS for s in seeds)
    if not have:
        print(f"results.json not written: it needs every variant for seeds {seeds} in {args.dir}")
        return
    path = args.results or (lg.RESULTS_PATH if args.dir == lg.CHECKPOINT_DIR
                            else os.path.join(args.dir, "results.json"))
    print(f"evaluating {len(lg.VARIANTS) * len(seeds)} checkpoints into {path}", flush=True)
    start = time.perf_counter()
    results = lg.compute_results(tuple(seeds), directory=args.dir, progress=True)
    with open(path, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"results.json written in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
