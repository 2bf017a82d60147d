"""Speed of dupdetect against datasketch and rensa, side by side, in one run.

    python benchmarks/bench_speed.py [--quick] [--sections throughput,accuracy,parallel,profile,e2e]
    python benchmarks/bench_speed.py --sections e2e --e2e-tools dupdetect-2workers,rensa --repeat 3

Sections (SaudiNewsNet through ``_data.saudinewsnet``; skipped cleanly when absent):

1. throughput  text -> signature docs/s (shingling included for everyone; same normalized text)
2. e2e         the whole job on every article written as .txt files, each tool in a subprocess
               under ``/usr/bin/time -v`` (wall time, peak RSS)
4. accuracy    MAE of estimated vs exact Jaccard of char 5-gram sets, dupdetect vs datasketch
5. parallel    ``featurize_parallel`` speedup on this machine's cores
6. profile     cProfile of ``cluster_texts`` on real articles, time per stage

Scaling with the number of articles (formerly section 3) is ``benchmarks/bench_scale.py``.

Peers' shingles: the Python set of character 5-grams of the normalized text (bytes for
datasketch). Timings only; nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import _data  # noqa: E402

NUM_PERM = 128
NGRAM = 5


def _print(*a):
    print(*a, flush=True)


def char_shingles(text: str, n: int = NGRAM) -> set[str]:
    if 0 < len(text) < n:
        return {text}
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def _have(module: str) -> bool:
    """Whether a peer library is installed (its rows are skipped with a note when not)."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}"


# ----------------------------------------------------------------------------- 1 throughput
def bench_throughput(texts: list[str], n_slow: int) -> dict:
    from dupdetect.features import featurize
    from dupdetect.normalize import normalize
    from dupdetect.settings import Settings
    from dupdetect.shingle import shingle_many
    from dupdetect.signature import sign_many

    settings = Settings()
    t = time.perf_counter()
    norm = [normalize(x) for x in texts]
    t_norm = time.perf_counter() - t
    n = len(norm)
    res: dict[str, float] = {}

    def dd_sig(docs):
        out = []
        for s in range(0, len(docs), 2000):
            v, o = shingle_many(docs[s : s + 2000], NGRAM, 1)
            out.append(sign_many(v, o, NUM_PERM, 1))
        return np.concatenate(out)

    dd_sig(norm[:500])  # warm caches (probe table) outside the timing
    t = time.perf_counter()
    dd_sig(norm)
    res["dupdetect signature (normalized text -> shingles -> signature)"] = n / (
        time.perf_counter() - t
    )
    t = time.perf_counter()
    featurize(texts, settings)
    res[
        "dupdetect full featurize (raw text: boilerplate, normalize, content terms, "
        "signature, term vectors)"
    ] = n / (time.perf_counter() - t)
    res["(normalize() alone, raw -> normalized text)"] = n / t_norm

    sub = norm[:n_slow]
    if _have("datasketch"):
        _datasketch_rates(sub, res)
    if _have("rensa"):
        _rensa_rates(norm, res)
    _print_throughput(res, n, len(sub))
    return res


def _datasketch_rates(sub: list[str], res: dict[str, float]) -> None:
    from datasketch import MinHash

    t = time.perf_counter()
    for x in sub:
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch([s.encode("utf-8") for s in char_shingles(x)])
        m.digest()
    res["datasketch MinHash.update_batch"] = len(sub) / (time.perf_counter() - t)
    t = time.perf_counter()
    ms = MinHash.bulk(
        [[s.encode("utf-8") for s in char_shingles(x)] for x in sub], num_perm=NUM_PERM
    )
    res["datasketch MinHash.bulk"] = len(sub) / (time.perf_counter() - t)
    del ms


def _rensa_rates(norm: list[str], res: dict[str, float]) -> None:
    import rensa

    n = len(norm)
    t = time.perf_counter()
    for x in norm:
        m = rensa.RMinHash(num_perm=NUM_PERM, seed=42)
        m.update(list(char_shingles(x)))
        m.digest()
    res["rensa RMinHash.update"] = n / (time.perf_counter() - t)
    t = time.perf_counter()
    rensa.RMinHash.digest_matrix_from_token_sets([char_shingles(x) for x in norm], NUM_PERM, 42)
    res["rensa RMinHash.digest_matrix_from_token_sets (batch API)"] = n / (time.perf_counter() - t)


def _print_throughput(res: dict[str, float], n: int, n_sub: int) -> None:
    sig_key = next(k for k in res if k.startswith("dupdetect signature"))
    full_key = next(k for k in res if k.startswith("dupdetect full"))
    _print(
        f"\n## 1. Signing throughput ({n} articles; datasketch on the first {n_sub}; "
        f"num_perm={NUM_PERM}, char {NGRAM}-grams, 1 process)\n"
    )
    _print("| method | docs/s | dupdetect signature / this | dupdetect full featurize / this |")
    _print("|---|---:|---:|---:|")
    for k, v in res.items():
        _print(f"| {k} | {v:,.0f} | {res[sig_key] / v:.2f}x | {res[full_key] / v:.2f}x |")
    _print(
        "\nCompared: the 'dupdetect signature' row (same input as the peers: normalized text, "
        "shingling included)."
    )
    missing = [m for m in ("datasketch", "rensa") if not _have(m)]
    if missing:
        _print(
            f"Not installed, rows skipped: {', '.join(missing)} (pip install {' '.join(missing)})"
        )


# ----------------------------------------------------------------------------- 2 end to end
def _read_dir(folder: str) -> list[str]:
    names = sorted(os.listdir(folder))
    out = []
    for nm in names:
        with open(os.path.join(folder, nm), encoding="utf-8") as f:
            out.append(f.read())
    return out


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.p = list(range(n))

    def find(self, x: int) -> int:
        p = self.p
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[max(ra, rb)] = min(ra, rb)


def _peer_job(tool: str, folder: str) -> dict:
    """What a user writes with each peer: read, normalize, 5-gram sets, MinHash, LSH(0.5),
    union-find over candidates verified by exact Jaccard >= 0.5."""
    from dupdetect.normalize import normalize

    texts = _read_dir(folder)
    sets = [char_shingles(normalize(t)) for t in texts]
    n = len(sets)
    if tool == "rensa":
        import rensa

        lsh = rensa.RMinHashLSH(threshold=0.5, num_perm=NUM_PERM, num_bands=16)
        mhs = []
        for i, s in enumerate(sets):
            m = rensa.RMinHash(num_perm=NUM_PERM, seed=42)
            m.update(list(s))
            lsh.insert(i, m)
            mhs.append(m)
        query = lsh.query
    else:
        from datasketch import MinHash, MinHashLSH

        lsh = MinHashLSH(threshold=0.5, num_perm=NUM_PERM)
        mhs = []
        for i, s in enumerate(sets):
            m = MinHash(num_perm=NUM_PERM)
            m.update_batch([x.encode("utf-8") for x in s])
            lsh.insert(i, m)
            mhs.append(m)
        query = lsh.query
    uf = _UnionFind(n)
    n_cand = n_ver = 0
    for i in range(n):
        for j in query(mhs[i]):
            if j <= i:
                continue
            n_cand += 1
            a, b = sets[i], sets[j]
            inter = len(a & b)
            if inter and inter / (len(a) + len(b) - inter) >= 0.5:
                n_ver += 1
                uf.union(i, j)
    groups = len({uf.find(i) for i in range(n)})
    return {"docs": n, "candidates": n_cand, "verified": n_ver, "clusters": groups}


def _numba_state() -> str:
    """Whether dupdetect's compiled kernels (the ``fast`` extra) run in this environment."""
    from dupdetect import _kernels

    try:
        import numba
    except ImportError:
        return "numba not installed (scoring in numpy)"
    on = "on" if _kernels.enabled() else "off (DUPDETECT_NUMBA=0)"
    return f"numba {numba.__version__}, dupdetect kernels {on}"


def _dupdetect_job(folder: str, workers: int) -> dict:
    import dupdetect

    r = dupdetect.cluster(folder, workers=workers, progress=False)
    return {
        "docs": sum(c.size for c in r.clusters),
        "verified": len(r.pairs),
        "clusters": len(r.clusters),
        "errors": len(r.errors),
    }


def _time_v(cmd: list[str]) -> tuple[float, float, str]:
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd} failed:\n{p.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (.+)", p.stderr).group(1).strip()
    parts = [float(x) for x in wall.split(":")]
    secs = sum(v * 60**k for k, v in enumerate(reversed(parts)))
    rss_kb = float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    return secs, rss_kb / 1024 / 1024, p.stdout.strip().splitlines()[-1]


def bench_e2e(texts: list[str], tools: list[str], repeat: int = 1) -> dict:
    """Each tool's job in a subprocess, ``repeat`` rounds; the tools take turns inside a round
    (the order rotates each round), so a slow spell of the shared machine falls on all of them.
    Reports each round's walls, the median wall and the median of the per-round ratios."""
    if not os.path.exists("/usr/bin/time"):
        _print("\n## 2. End to end: skipped, /usr/bin/time missing (apt-get install -y time)")
        return {}
    skipped = [t for t in tools if t == "rensa" and not _have("rensa")]
    tools = [t for t in tools if t not in skipped]
    walls: dict[str, list[float]] = {t: [] for t in tools}
    rss: dict[str, float] = {}
    outs: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as d:
        for i, t in enumerate(texts):
            with open(os.path.join(d, f"{i:06d}.txt"), "w", encoding="utf-8") as f:
                f.write(t)
        _print(
            f"\n## 2. End to end ({len(texts)} .txt files; each run a subprocess under "
            f"/usr/bin/time -v; {repeat} round(s), the tools taking turns)\n"
        )
        for r in range(repeat):
            for tool in tools[r % len(tools) :] + tools[: r % len(tools)]:
                cmd = [sys.executable, os.path.abspath(__file__), "--job", tool, d]
                wall, peak, out = _time_v(cmd)
                walls[tool].append(wall)
                rss[tool], outs[tool] = max(peak, rss.get(tool, 0.0)), out
    _print("| tool | wall s (median) | each round | peak RSS GB | output |")
    _print("|---|---:|---|---:|---|")
    for tool in tools:
        each = ", ".join(f"{w:.1f}" for w in walls[tool])
        _print(
            f"| {tool} | {np.median(walls[tool]):.1f} | {each} | {rss[tool]:.2f} | {outs[tool]} |"
        )
    if skipped:
        _print(f"Not installed, skipped: {', '.join(skipped)} (pip install rensa)")
    if "rensa" in walls:
        for tool in tools:
            ratios = np.array(walls[tool]) / np.array(walls["rensa"])
            _print(
                f"- {tool}: wall {np.median(ratios):.2f}x rensa (median of the rounds; rounds "
                f"{', '.join(f'{x:.2f}' for x in ratios)}), peak RSS {rss[tool]:.2f} GB"
            )
    return {t: (float(np.median(walls[t])), rss[t]) for t in tools}


# ----------------------------------------------------------------------------- 4 accuracy
def bench_accuracy(arts: list[dict], n_pairs: int) -> None:
    from datasketch import MinHash

    from dupdetect.normalize import normalize
    from dupdetect.shingle import shingle_many
    from dupdetect.signature import estimate_jaccard, sign_many

    rng = np.random.default_rng(0)
    by_title: dict[str, list[int]] = {}
    for i, a in enumerate(arts):
        k = normalize(a.get("title") or "")
        if len(k) >= 15:
            by_title.setdefault(k, []).append(i)
    same = [(g[0], g[j]) for g in by_title.values() if len(g) > 1 for j in range(1, len(g))]
    rng.shuffle(same)
    same = same[: n_pairs // 2]
    rand = [tuple(rng.choice(len(arts), 2, replace=False).tolist()) for _ in range(n_pairs // 2)]
    pairs = [(int(a), int(b)) for a, b in same + rand]
    docs = sorted({i for p in pairs for i in p})
    norm = {i: normalize(arts[i]["text"]) for i in docs}
    sets = {i: char_shingles(norm[i]) for i in docs}
    v, o = shingle_many([norm[i] for i in docs], NGRAM, 1)
    sig = dict(zip(docs, sign_many(v, o, NUM_PERM, 1)))
    dsk = {}
    for i in docs:
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch([s.encode("utf-8") for s in sets[i]])
        dsk[i] = m
    exact = np.array([len(sets[a] & sets[b]) / max(1, len(sets[a] | sets[b])) for a, b in pairs])
    e_dd = np.array([estimate_jaccard(sig[a], sig[b]) for a, b in pairs])
    e_ds = np.array([dsk[a].jaccard(dsk[b]) for a, b in pairs])
    _print(
        f"\n## 4. Accuracy of the estimate ({len(pairs)} pairs: {len(same)} same-title "
        f"pairs across the corpus + {len(rand)} random; num_perm={NUM_PERM}, char 5-grams "
        "of the normalized text)\n"
    )
    _print("| exact Jaccard | pairs | dupdetect MAE | datasketch MAE |")
    _print("|---|---:|---:|---:|")
    edges = [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0001]
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (exact >= lo) & (exact < hi)
        if m.any():
            _print(
                f"| [{lo:.1f}, {min(hi, 1):.1f}{')' if hi < 1 else ']'} | {m.sum()} | "
                f"{np.abs(e_dd[m] - exact[m]).mean():.4f} | "
                f"{np.abs(e_ds[m] - exact[m]).mean():.4f} |"
            )
    _print(
        f"| all | {len(pairs)} | {np.abs(e_dd - exact).mean():.4f} | "
        f"{np.abs(e_ds - exact).mean():.4f} |"
    )
    _print(
        f"\n(theory for an unbiased k={NUM_PERM} estimator at J=0.5: "
        f"MAE ~ {np.sqrt(2 / np.pi * 0.25 / NUM_PERM):.4f})"
    )


# ----------------------------------------------------------------------------- 5 parallel
def bench_parallel(texts: list[str]) -> None:
    from dupdetect.parallel import auto_start_method, default_workers, featurize_parallel
    from dupdetect.settings import Settings

    s = Settings()
    w = default_workers()
    how = auto_start_method()  # what cluster() uses
    t = time.perf_counter()
    one = featurize_parallel(texts, s, workers=1)
    t1 = time.perf_counter() - t
    t = time.perf_counter()
    par = featurize_parallel(texts, s, workers=w, start_method=how)
    tw = time.perf_counter() - t
    same = np.array_equal(one.signatures, par.signatures) and np.array_equal(
        one.unigrams.weights, par.unigrams.weights
    )
    _print(f"\n## 5. Parallel featurize ({len(texts)} articles, chunks of 2000, {how})\n")
    _print("| workers | wall s | docs/s | speedup |")
    _print("|---:|---:|---:|---:|")
    _print(f"| 1 | {t1:.1f} | {_rate(len(texts), t1)} | 1.00x |")
    _print(f"| {w} | {tw:.1f} | {_rate(len(texts), tw)} | {t1 / tw:.2f}x |")
    _print(f"\nidentical to one process: {same} (worker start-up included)")


# ----------------------------------------------------------------------------- 6 profile
def bench_profile(texts: list[str]) -> None:
    from dupdetect.pipeline import cluster_texts

    pr = cProfile.Profile()
    t = time.perf_counter()
    pr.enable()
    cluster_texts(texts, progress=False, workers=1)  # featurizing in this process: profiled
    pr.disable()
    wall = time.perf_counter() - t
    st = pstats.Stats(pr)
    stages = {  # (file, function) as cProfile names them; a renamed module shows 0
        "boilerplate.strip_boilerplate": ("boilerplate.py", "strip_boilerplate"),
        "normalize.normalize (all callers)": ("normalize.py", "normalize"),
        "terms.content_terms": ("terms.py", "content_terms"),
        "features.term_matrices": ("features.py", "term_matrices"),
        "shingle.shingle_many": ("shingle.py", "shingle_many"),
        "signature.sign_many": ("signature.py", "sign_many"),
        "features.featurize (all of the above)": ("features.py", "featurize"),
        "grouping.group (LSH + verify + linkage)": ("grouping.py", "group"),
        "lsh.candidate_pairs": ("lsh.py", "candidate_pairs"),
        "score.pair_scores (verify + member scores)": ("score.py", "pair_scores"),
        "linkage.average_linkage": ("linkage.py", "average_linkage"),
    }
    _print(
        f"\n## 6. Profile: cluster_texts on {len(texts)} articles under cProfile "
        f"(wall {wall:.1f} s with profiler overhead)\n"
    )
    _print("| stage (cumulative, overlapping) | s | % of total |")
    _print("|---|---:|---:|")
    total = max(v[3] for v in st.stats.values())
    for label, (fname, func) in stages.items():
        cum = sum(v[3] for k, v in st.stats.items() if k[0].endswith(fname) and k[2] == func)
        _print(f"| {label} | {cum:.2f} | {100 * cum / total:.0f}% |")
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).sort_stats("tottime").print_stats(12)
    _print("\nTop 12 by own time:\n```")
    _print("\n".join(ln for ln in buf.getvalue().splitlines() if ln.strip())[-2200:])
    _print("```")


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, a minute or two")
    ap.add_argument("--sections", default="throughput,accuracy,parallel,profile,e2e")
    ap.add_argument(
        "--e2e-tools",
        default="dupdetect,dupdetect-2workers,rensa,datasketch",
        help="end-to-end runs, comma-separated",
    )
    ap.add_argument(
        "--repeat", type=int, default=1, help="end-to-end rounds (the tools take turns in each)"
    )
    ap.add_argument("--job", nargs=2, metavar=("TOOL", "DIR"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    sections = a.sections.split(",")
    if a.repeat < 1:
        ap.error(f"--repeat must be at least 1, got {a.repeat}")
    unknown = sorted(set(sections) - {"throughput", "accuracy", "parallel", "profile", "e2e"})
    if unknown:
        ap.error(
            f"unknown section(s) {unknown}; known: throughput, accuracy, parallel, profile, e2e "
            "(scaling is benchmarks/bench_scale.py)"
        )

    if a.job:
        tool, folder = a.job
        if tool.startswith("dupdetect"):
            out = _dupdetect_job(folder, int(tool.split("-")[1][0]) if "-" in tool else 1)
        else:
            out = _peer_job(tool, folder)
        print(json.dumps(out))
        return

    t = time.perf_counter()
    arts = _data.saudinewsnet()
    if arts is None:
        _print(f"SaudiNewsNet not found in {_data.SAUDINEWSNET}; set SAUDINEWSNET. Skipping.")
        return
    load_s = time.perf_counter() - t
    import datasketch

    head = subprocess.run(
        ["git", "-C", HERE, "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()[:80]
    _print(
        f"# bench_speed {'--quick ' if a.quick else ''}{time.strftime('%Y-%m-%d %H:%M')}, at {head}"
    )
    _print(
        f"python {platform.python_version()}, numpy {np.__version__}, datasketch "
        f"{datasketch.__version__}, {os.cpu_count()} CPUs, {platform.machine()}, "
        f"load average at start {os.getloadavg()[0]:.1f}; {_numba_state()}"
    )
    texts = [x["text"] for x in arts]
    _print(
        f"SaudiNewsNet: {len(texts)} articles, {sum(map(len, texts)):,} characters "
        f"(loaded in {load_s:.1f} s)"
    )
    q = a.quick
    if "throughput" in sections:
        bench_throughput(texts[: 2000 if q else 5000], 300 if q else 1000)
    if "accuracy" in sections:
        bench_accuracy(arts, 400 if q else 2000)
    if "parallel" in sections:
        bench_parallel(texts[: 4000 if q else 8000])
    if "profile" in sections:
        bench_profile(texts[: 2000 if q else 4000])
    if "e2e" in sections:
        e2e = texts[:3000] if q else texts
        bench_e2e(e2e, a.e2e_tools.split(","), a.repeat)
    _print(f"\nload average at end {os.getloadavg()[0]:.1f} (machine shared with other jobs)")


if __name__ == "__main__":
    main()
