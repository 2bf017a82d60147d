"""Scaling of one ``dupdetect.cluster(path)`` call with the number of articles, in one run.

    python benchmarks/bench_scale.py --sizes 10000,100000,1000000 [--window 72h] [--seed 1]
        [--max-rss GB] [--json OUT]

For each size, smallest first: the stream of ``make_stream.py`` (built under benchmarks/out/ when
missing), then a fresh Python process that runs ``dupdetect.cluster(stream.jsonl)`` with the
default settings (``--window`` passes ``window=``, the records carry dates) and reports

- wall time and CPU time (user + system, workers included) of the call (reading and parsing the
  JSONL included) and both per article: on a shared machine the CPU time is the steadier one;
- peak RSS of that process when the call returns (``getrusage`` ``ru_maxrss``), and of its
  largest featurizing worker (``cluster()`` forks workers for 4,000+ articles; their memory is
  not in the process's own figure);
- candidate pairs per article: the batch job's candidate stage rebuilt with public API on the
  same texts (``_candidates.candidate_stage``: LSH proposals, and those kept by the MinHash
  prefilter and the window), computed after the timing; verified pairs per article from the
  result;
- planted-copy recall (pairs inside a planted group that share a cluster; also original-copy
  pairs by kind) and precision (of all pairs that share a cluster, the planted ones; chance
  merges of unrelated synthetic articles count against it).

Costs are also given as a ratio to the smallest size's cost in the same run; with ``--repeat N``
each size runs N times and the fastest wall time is shown (the machine may be shared). A size whose
predicted peak RSS exceeds ``--max-rss`` (default: this machine's memory) is refused before it
starts: predicted from the sizes measured in this run (growth exponent of the last two, at least
linear), or from 50 KB per article when none was measured yet.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from make_stream import stream_files  # noqa: E402

PRIOR_KB_PER_ARTICLE = 50.0  # 100k synthetic articles took 5.2 GB (RESULTS.md, 2026-11-22)
PRIOR_BASE_GB = 0.25
STREAM_KB_PER_ARTICLE = 3.5  # what make_stream writes (3.2 KB at 10k)


def machine_gb() -> float:
    """Physical memory of this machine in GB (MemTotal)."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    return 24.0


def predict_rss(n: int, measured: list[tuple[int, float]]) -> tuple[float, str]:
    """Predicted peak GB for ``n`` articles and how it was predicted."""
    if not measured:
        return PRIOR_BASE_GB + PRIOR_KB_PER_ARTICLE * n / 1024**2, (
            f"{PRIOR_KB_PER_ARTICLE:.0f} KB/article before any size was measured"
        )
    m, rss_m = measured[-1]
    e = 1.0
    if len(measured) >= 2:
        p, rss_p = measured[-2]
        e = max(1.0, math.log(rss_m / rss_p) / math.log(m / p))
    return rss_m * (n / m) ** e, f"{rss_m:.2f} GB at {m:,} x (n/{m:,})^{e:.2f}"


# ------------------------------------------------------------------------------ child process
def _planted_truth(planted: Path, row_of: dict[str, int]) -> tuple[list, dict[str, list]]:
    """Groups (lists of rows: original then copies) and original-copy pairs by kind."""
    groups: dict[int, list[int]] = defaultdict(list)
    by_kind: dict[str, list[tuple[int, int]]] = defaultdict(list)
    with planted.open(encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            o, c = row_of[p["of"]], row_of[p["id"]]
            if not groups[o]:
                groups[o].append(o)
            groups[o].append(c)
            by_kind[p["kind"]].append((o, c))
    return list(groups.values()), by_kind


def _quality(labels, planted: Path, row_of: dict[str, int], together: int) -> dict:
    import numpy as np

    groups, by_kind = _planted_truth(planted, row_of)
    tp = total = 0
    for g in groups:
        lab = labels[np.asarray(g)]
        total += len(g) * (len(g) - 1) // 2
        _, counts = np.unique(lab, return_counts=True)
        tp += int((counts * (counts - 1) // 2).sum())
    out = {"planted_pairs": total, "recall": tp / total if total else float("nan")}
    out["precision"] = tp / together if together else float("nan")
    for kind, pairs in by_kind.items():
        a = np.asarray(pairs)
        out[f"recall_{kind}"] = float((labels[a[:, 0]] == labels[a[:, 1]]).mean())
    return out


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the workers)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def job(path: str, planted: str, window: str | None) -> dict:
    """In a fresh process: time ``cluster(path)``, then count candidates on the same texts."""
    import numpy as np
    from _candidates import candidate_stage

    import dupdetect
    from dupdetect.parallel import auto_start_method, featurize_parallel
    from dupdetect.timewindow import parse_time, window_seconds

    c0 = _cpu_seconds()
    t0 = time.perf_counter()
    res = dupdetect.cluster(path, window=window, progress=False)
    wall = time.perf_counter() - t0
    cpu = _cpu_seconds() - c0
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KB on Linux
    worker_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # largest one
    ids, texts, times = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            ids.append(r["id"])
            texts.append(f"{r['title']}\n{r['text']}" if r["title"] else r["text"])
            times.append(parse_time(r["date"]))
    row_of = {d: i for i, d in enumerate(ids)}
    labels = np.full(len(ids), -1, np.int64)
    together = 0
    for k, c in enumerate(res.clusters):
        labels[[row_of[m.id] for m in c.members]] = k
        together += c.size * (c.size - 1) // 2
    out = {
        "n": len(ids),
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_gb": rss_gb,
        "worker_rss_gb": worker_gb,
        "verified": len(res.pairs),
        "clusters": len(res.clusters),
        "groups": len(res.groups),
        "errors": len(res.errors),
    }
    out |= _quality(labels, Path(planted), row_of, together)
    del res
    settings = dupdetect.Settings()
    t1 = time.perf_counter()
    features = featurize_parallel(texts, settings, start_method=auto_start_method())
    del texts
    cand = candidate_stage(
        features,
        settings,
        times=np.array([np.nan if t is None else t for t in times]),
        window=window_seconds(window),
    )
    out |= {"proposed": len(cand.proposed), "kept": len(cand.kept)}
    out["candidates_s"] = time.perf_counter() - t1
    out |= _stage_recall(features, settings, cand, Path(planted), row_of)
    return out


def _stage_recall(features, settings, cand, planted: Path, row_of: dict[str, int]) -> dict:
    """Where planted original-copy pairs are lost, by kind: the share the LSH stage proposes,
    the share the prefilter and window keep, and the share whose score clears the threshold
    (whatever the candidate stage did), so a recall shortfall can be placed."""
    import numpy as np
    from _candidates import contains

    _, by_kind = _planted_truth(planted, row_of)
    out = {}
    for kind, pairs in sorted(by_kind.items()):
        a = np.sort(np.asarray(pairs, dtype=np.int64), axis=1)
        scores = features.similarities(a)
        out[f"stage_{kind}"] = {
            "pairs": len(a),
            "proposed": float(contains(cand.proposed, a).mean()),
            "kept": float(contains(cand.kept, a).mean()),
            "score_ok": float((scores >= settings.threshold).mean()),
        }
    return out


# ------------------------------------------------------------------------------ parent
def _ensure_stream(n: int, seed: int) -> tuple[Path, Path, float]:
    files = stream_files(n, seed)
    if files.stream.is_file() and files.planted.is_file() and files.meta.is_file():
        return files.stream, files.planted, 0.0
    t = time.perf_counter()
    cmd = [sys.executable, str(HERE / "make_stream.py"), "--n", str(n), "--seed", str(seed)]
    subprocess.run(cmd, check=True)
    return files.stream, files.planted, time.perf_counter() - t


def _table(rows: list[dict], window: str | None) -> str:
    wall0, cpu0 = rows[0]["wall_s"] / rows[0]["n"], rows[0]["cpu_s"] / rows[0]["n"]
    head = (
        f"| articles | wall s | ms/article | x {rows[0]['n']:,} | CPU s | CPU ms/article | "
        f"x {rows[0]['n']:,} | peak RSS GB | KB/article | LSH pairs/article | kept/article | "
        "verified/article | planted recall (wire / rewrite) | precision | clusters |"
    )
    lines = [head, "|" + "---:|" * 12 + "---|---:|---:|"]
    for r in rows:
        n = r["n"]
        lines.append(
            f"| {n:,} | {r['wall_s']:.1f} | {1000 * r['wall_s'] / n:.2f} | "
            f"{r['wall_s'] / n / wall0:.2f} | {r['cpu_s']:.1f} | {1000 * r['cpu_s'] / n:.2f} | "
            f"{r['cpu_s'] / n / cpu0:.2f} | {r['rss_gb']:.2f} | {r['rss_gb'] * 1024**2 / n:.1f} "
            f"| {r['proposed'] / n:.1f} | {r['kept'] / n:.2f} | {r['verified'] / n:.3f} | "
            f"{r['recall']:.3f} ({r.get('recall_wire', float('nan')):.3f} / "
            f"{r.get('recall_rewrite', float('nan')):.3f}) | {r['precision']:.3f} | "
            f"{r['clusters']:,} |"
        )
    lines.append(
        f"\nwindow={window or 'none'}; wall s / CPU s: the cluster() call in a fresh process "
        f"(the run with the fastest wall of {len(rows[0]['walls_s'])}; CPU = user + system of "
        "the process and its featurizing workers; JSONL reading included, stream building "
        "excluded); peak RSS: that process when cluster() returned; pairs per article: the "
        "candidate stage rebuilt on the same texts."
    )
    kinds = sorted({k[6:] for r in rows for k in r if k.startswith("stage_")})
    if kinds:
        lines.append(
            "\nWhere planted original-copy pairs go (share of each kind: proposed by LSH, kept "
            "by the prefilter and window, score >= threshold regardless of the candidate stage):"
            "\n\n| articles | kind | pairs | proposed | kept | score >= threshold |"
            "\n|---:|---|---:|---:|---:|---:|"
        )
        for r in rows:
            for k in kinds:
                st = r.get(f"stage_{k}")
                if st:
                    lines.append(
                        f"| {r['n']:,} | {k} | {st['pairs']:,} | {st['proposed']:.4f} | "
                        f"{st['kept']:.4f} | {st['score_ok']:.4f} |"
                    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--window", default=None, help='e.g. "72h" (default: no window)')
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-rss", type=float, default=None, help="GB (default: machine memory)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest is shown")
    ap.add_argument("--json", default=None, help="also write the rows to this file")
    ap.add_argument("--job", nargs=2, metavar=("STREAM", "PLANTED"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.job:
        print(json.dumps(job(a.job[0], a.job[1], a.window)))
        return 0
    import _data

    if _data.saudinewsnet(max_zips=1) is None:
        print(f"skipped: no SaudiNewsNet zips in {_data.SAUDINEWSNET}")
        return 0
    sizes = sorted(int(x) for x in a.sizes.split(","))
    limit = a.max_rss if a.max_rss is not None else machine_gb()
    print(
        f"# bench_scale {time.strftime('%Y-%m-%d %H:%M')} sizes {sizes} window {a.window} "
        f"seed {a.seed}; {os.cpu_count()} CPUs, {machine_gb():.0f} GB, max RSS {limit:.1f} GB, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    rows: list[dict] = []
    for n in sizes:
        want, how = predict_rss(n, [(r["n"], r["rss_gb"]) for r in rows])
        if want > limit:
            print(
                f"refused {n:,} articles: predicted peak RSS {want:.1f} GB ({how}) exceeds "
                f"--max-rss {limit:.1f} GB; larger sizes are refused too. Run it on a machine "
                "with more memory (or pass a larger --max-rss at your own risk).",
                flush=True,
            )
            break
        disk = shutil.disk_usage(HERE).free / 1e9
        if not stream_files(n, a.seed).stream.is_file() and disk < STREAM_KB_PER_ARTICLE * n / 1e6:
            need = STREAM_KB_PER_ARTICLE * n / 1e6
            print(
                f"refused {n:,} articles: the stream needs ~{need:.1f} GB of disk, {disk:.1f} free"
            )
            break
        stream, planted, built_s = _ensure_stream(n, a.seed)
        runs, load = [], os.getloadavg()[0]
        for _ in range(a.repeat):
            cmd = [sys.executable, __file__, "--job", str(stream), str(planted)]
            cmd += ["--window", a.window] if a.window else []
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                print(f"size {n:,} failed:\n{p.stderr[-3000:]}", flush=True)
                break
            runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
        if len(runs) < a.repeat:
            break
        # best wall of the repeats (the machine is shared), worst memory
        row = min(runs, key=lambda r: r["wall_s"]) | {"stream_s": built_s}
        row |= {"walls_s": [r["wall_s"] for r in runs], "rss_gb": max(r["rss_gb"] for r in runs)}
        row |= {"predicted_rss_gb": want, "window": a.window, "load_at_start": load}
        rows.append(row)
        print(json.dumps(row), flush=True)
    if rows:
        print("\n" + _table(rows, a.window))
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
