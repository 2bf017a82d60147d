"""Grouping quality of dupdetect on real news, against labelled and silver ground truth.

    python benchmarks/eval_quality.py [--quick] [--variants defaults,ct0.1,...|all]
        [--sections semeval,snn,ecb,ans,seeds,english] [--json out.json]

Sections (each skipped cleanly when its data in ../shared/eval is absent; loaders in _data.py):

1. semeval  SemEval-2022 ar-ar dev pairs (people's 1..4 "same story" grades): Spearman of
   ``dupdetect.similarity`` with -overall; pairwise P/R/F1 of one ``cluster(dir)`` call over all
   the pairs' articles (same cluster expected for overall <= 1.5, apart for >= 3.5), where the
   positive pairs are lost (not proposed by LSH / dropped by the prefilter / score below the
   threshold / split by average linkage), and candidate recall (below).
2. snn      SaudiNewsNet (31,030 articles, 14 outlets): silver groups = the same normalized title
   (> 15 chars) in two or more outlets; pair recall of ``cluster_texts`` on all articles, split
   into wire copies (body char-5 Jaccard >= 0.5) and rewrites; false merges on 100k random pairs
   with different titles; the largest clusters printed for a hand inspection (``--inspect N``).
3. ecb      ECB+ dev (496 English documents, 42 events, two events of one kind per topic): one
   ``cluster(docs/)`` call; ARI, B-cubed P/R/F1, clusters found vs events, candidate recall.
4. ans      ANS headline pairs: similarity per stance, how many are flagged short, how many
   "disagree" pairs (same wording, one fact changed) would be grouped.
5. seeds    000 and 003 together, 001 apart.
6. english  English sanity set (written for this benchmark, in _data.py) and a mixed-language
   batch.

Candidate recall (semeval, ecb): of the labelled same-story pairs whose verified score clears the
threshold (the pairs the clustering could join if it saw them), the fraction the candidate stage
(LSH + MinHash prefilter, as ``grouping.group`` runs it) proposes; "plain" is the fraction of all
labelled same-story pairs proposed.

Variants (``_variants.py``) change Settings options and, where the library has no hook yet,
patch its internals; that patching lives in ``_variants.py`` only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data as data  # noqa: E402
from _candidates import candidate_stage, contains  # noqa: E402
from _metrics import adjusted_rand, bcubed, prf  # noqa: E402
from _variants import BY_NAME, Variant, active, current  # noqa: E402

import dupdetect  # noqa: E402
from dupdetect import Settings  # noqa: E402
from dupdetect.features import Features, featurize, prepare  # noqa: E402
from dupdetect.grouping import pair_thresholds  # noqa: E402


# --------------------------------------------------------------------------------------------
def _spearman(x: list[float], y: list[float]) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(x, y).statistic)


def _char_jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _char5(text: str) -> set:
    t = dupdetect.normalize(text)
    return {t[i : i + 5] for i in range(max(len(t) - 4, 0))}


def _featurized_candidates(texts: list[str], st: Settings) -> tuple[Features, np.ndarray, Any]:
    """Features of ``texts`` (the variant's, through the patched library) and the candidate
    stage's (proposed, kept) pairs, with the variant's prefilter fraction."""
    F = featurize(texts, st)
    cand = candidate_stage(F, st, prefilter=current().prefilter)
    return F, cand.proposed, cand.kept


def candidate_recall(F: Features, kept: np.ndarray, positives: np.ndarray, st: Settings) -> dict:
    """Of the labelled same-story ``positives`` (row pairs), how many the candidate stage keeps:
    among those whose verified score clears the threshold, and among all of them."""
    positives = np.asarray(positives, dtype=np.int64).reshape(-1, 2)
    scores = F.similarities(positives) if len(positives) else np.zeros(0)
    clear = scores >= pair_thresholds(F.latin, positives, st)  # the cut each pair meets
    hit = contains(kept, positives) if len(kept) else np.zeros(len(positives), bool)
    return {
        "pairs": len(positives),
        "clear": int(clear.sum()),
        "recall": float(hit[clear].mean()) if clear.any() else float("nan"),
        "plain": float(hit.mean()) if len(hit) else float("nan"),
    }


# --------------------------------------------------------------------------------------------
def _fate(F: Features, xy: tuple[int, int], proposed: set, kept: set, clears: bool, same: bool):
    """Where a same-story pair ends: the first stage of the pipeline that loses it."""
    if F.short[xy[0]] or F.short[xy[1]]:
        return "short"
    if xy not in proposed:
        return "not proposed by LSH"
    if xy not in kept:
        return "dropped by prefilter"
    if not clears:
        return "score < threshold"
    return "grouped" if same else "split by linkage"


def section_semeval(st: Settings, verbose: bool) -> dict[str, Any] | None:
    rows = data.semeval()
    if rows is None:
        print("[semeval] skipped: semeval2022_ar_dev.jsonl not found")
        return None
    a = [f"{r['title_1']}\n{r['text_1']}" for r in rows]
    b = [f"{r['title_2']}\n{r['text_2']}" for r in rows]
    sims = [dupdetect.similarity(x, y) for x, y in zip(a, b)]
    rho = _spearman(sims, [-r["overall"] for r in rows])
    pos = [i for i, r in enumerate(rows) if r["overall"] <= 1.5]
    neg = [i for i, r in enumerate(rows) if r["overall"] >= 3.5]
    # oracle threshold on the score alone (reference only; defaults are not tuned to it)
    best = (0.0, 0.0)
    for t in sorted(set(sims)):
        tp = sum(sims[i] >= t for i in pos)
        fp = sum(sims[i] >= t for i in neg)
        best = max(best, (prf(tp, fp, len(pos) - tp)[2], t))
    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for r, x, y in zip(rows, a, b):
            for side, text in (("1", x), ("2", y)):
                name = f"{r['pair']}_{side}"
                Path(tmp, name + ".txt").write_text(text, encoding="utf-8")
                names.append(name)
        res = dupdetect.cluster(tmp, settings=st)
    label = {Path(str(m.id)).stem: c.id for c in res.clusters for m in c.members}
    same = [label[f"{r['pair']}_1"] == label[f"{r['pair']}_2"] for r in rows]
    tp = sum(same[i] for i in pos)
    fp = sum(same[i] for i in neg)
    p, rcl, f1 = prf(tp, fp, len(pos) - tp)
    # where positives are lost: the batch as the pipeline sees it (sorted file names)
    order = sorted(names)
    pos_of = {n: k for k, n in enumerate(order)}
    text_of = {f"{r['pair']}_1": x for r, x in zip(rows, a)} | {
        f"{r['pair']}_2": y for r, y in zip(rows, b)
    }
    F, cand, kept_pairs = _featurized_candidates([text_of[n] for n in order], st)
    proposed = {tuple(p_) for p_ in cand.tolist()}
    kept = {tuple(p_) for p_ in kept_pairs.tolist()}
    pos_rows = np.array(
        [sorted((pos_of[f"{rows[i]['pair']}_1"], pos_of[f"{rows[i]['pair']}_2"])) for i in pos]
    )
    stages = Counter(
        _fate(F, (x, y), proposed, kept, sims[i] >= st.threshold, same[i])
        for i, (x, y) in zip(pos, pos_rows.tolist())
    )
    lsh_recall = sum(tuple(k) in proposed for k in pos_rows.tolist())
    cr = candidate_recall(F, kept_pairs, pos_rows, st)
    out = {
        "sem_rho": rho,
        "sem_P": p,
        "sem_R": rcl,
        "sem_F1": f1,
        "sem_pos": len(pos),
        "sem_neg": len(neg),
        "sem_lsh_recall": lsh_recall / len(pos),
        "sem_best_F1": best[0],
        "sem_best_t": best[1],
        "sem_stages": dict(stages),
        "sem_cand_recall": cr["recall"],
        "sem_cand_plain": cr["plain"],
        "sem_cand_clear": cr["clear"],
        "sem_clusters": len(res.groups),
        "sem_max": max(c.size for c in res.clusters),
    }
    if verbose:
        print(
            f"[semeval] {len(rows)} pairs ({len(pos)} same-story, {len(neg)} different); "
            f"Spearman {rho:.3f}; cluster() P {p:.3f} R {rcl:.3f} F1 {f1:.3f}; "
            f"oracle score-threshold F1 {best[0]:.3f} @ {best[1]:.3f}"
        )
        print(
            f"[semeval] positives: LSH proposed {lsh_recall}/{len(pos)}; "
            f"fate: {dict(stages)}; groups {out['sem_clusters']}, largest {out['sem_max']}"
        )
        print(
            f"[semeval] candidate recall {cr['recall']:.3f} of the {cr['clear']} same-story "
            f"pairs clearing their threshold; plain {cr['plain']:.3f} of all {cr['pairs']}"
        )
    return out


def section_saudinewsnet(st: Settings, verbose: bool, quick: bool) -> dict[str, Any] | None:
    arts = snn_sets(quick)
    if arts is None:
        print("[saudinewsnet] skipped: saudinewsnet/*.zip not found")
        return None
    arts, titles, texts, silver, wire, rand = arts
    t0 = time.perf_counter()
    if current().window is not None:
        res = dupdetect.cluster_texts(
            texts,
            settings=st,
            published=[a.get("date_extracted") for a in arts],
            window=current().window,
        )
    else:
        res = dupdetect.cluster_texts(texts, settings=st)
    took = time.perf_counter() - t0
    lab = np.empty(len(texts), np.int64)
    for k, c in enumerate(res.clusters):
        for m in c.members:
            lab[m.index] = k
    sp = np.asarray(silver, np.int64).reshape(-1, 2)
    hit = lab[sp[:, 0]] == lab[sp[:, 1]]
    w = np.asarray(wire, bool)
    rp = np.asarray(rand, np.int64)
    false_rate = float(np.mean(lab[rp[:, 0]] == lab[rp[:, 1]]))
    sizes = np.array([c.size for c in res.clusters])
    n = len(texts)
    out = {
        "snn_docs": n,
        "snn_silver_pairs": len(sp),
        "snn_wire_pairs": int(w.sum()),
        "snn_recall": float(hit.mean()) if len(hit) else float("nan"),
        "snn_wire_recall": float(hit[w].mean()) if w.any() else float("nan"),
        "snn_rewrite_recall": float(hit[~w].mean()) if (~w).any() else float("nan"),
        "snn_false_merge": false_rate,
        "snn_all_pairs_same": float((sizes * (sizes - 1)).sum() / (n * (n - 1))),
        "snn_groups": int((sizes > 1).sum()),
        "snn_grouped_docs": int(sizes[sizes > 1].sum()),
        "snn_max": int(sizes.max()),
        "snn_sizes_top": sorted(sizes.tolist(), reverse=True)[:10],
        "snn_short": len(res.flags),
        "snn_seconds": took,
    }
    if verbose:
        print(
            f"[saudinewsnet] {n} articles in {took:.0f}s: {out['snn_groups']} groups holding "
            f"{out['snn_grouped_docs']} articles, {out['snn_short']} flagged short; "
            f"largest {out['snn_sizes_top']}"
        )
        print(
            f"[saudinewsnet] silver same-title cross-outlet pairs {len(sp)} "
            f"(wire {int(w.sum())}): recall {out['snn_recall']:.3f}, wire "
            f"{out['snn_wire_recall']:.3f}, rewrites {out['snn_rewrite_recall']:.3f}; "
            f"random-pair false merges {false_rate:.4%} of {len(rp)} "
            f"(all pairs in one cluster: {out['snn_all_pairs_same']:.4%})"
        )
        missed = [(i, j) for (i, j), h, ww in zip(sp.tolist(), hit, w) if ww and not h]
        for i, j in missed[:5]:
            print(
                f"   missed wire pair: {arts[i]['source']}/{arts[j]['source']} "
                f"{titles[i][:70]!r} sim={dupdetect.similarity(texts[i], texts[j]):.3f}"
            )
        largest = sorted(res.clusters, key=lambda c: (-c.size, c.id))[:INSPECT]
        for rank, c in enumerate(largest, 1):
            srcs = Counter(arts[m.index]["source"] for m in c.members)
            tl = Counter(titles[m.index] for m in c.members)
            days = sorted(str(arts[m.index].get("date_extracted") or "")[:10] for m in c.members)
            print(
                f"  #{rank} cluster {c.id} size {c.size} cohesion {c.score:.3f}, "
                f"{len(srcs)} outlets {dict(srcs.most_common(4))}, {len(tl)} distinct titles, "
                f"dates {days[0]} .. {days[-1]} ({len(set(days))} days):"
            )
            # titles spread over the cluster (members are in input order), for reading
            step = max(1, c.size // 8)
            for m in c.members[::step][:8]:
                print(f"     {arts[m.index]['source']:>12} | {titles[m.index][:90]}")
    return out


_SNN: dict[bool, Any] = {}
INSPECT = 5  # how many of the largest SaudiNewsNet clusters are printed (--inspect)


def snn_sets(quick: bool):
    """SaudiNewsNet (first 4 zips when ``quick``) and its silver sets, memoized: (articles,
    titles, texts, silver same-title cross-outlet pairs, wire flag per silver pair, 100k
    random pairs with different titles)."""
    if quick in _SNN:
        return _SNN[quick]
    arts = data.saudinewsnet(max_zips=4 if quick else None)
    if arts is None:
        return None
    titles = [a["title"] for a in arts]
    texts = [a["text"] for a in arts]
    norm = [dupdetect.normalize(t).strip() for t in titles]
    by_title: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(norm):
        if len(t) > 15:
            by_title[t].append(i)
    silver, wire = [], []
    shingles: dict[int, set] = {}
    for members in by_title.values():
        if len({arts[i]["source"] for i in members}) < 2:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                i, j = members[x], members[y]
                if arts[i]["source"] == arts[j]["source"]:
                    continue
                for k in (i, j):
                    if k not in shingles:
                        shingles[k] = _char5(arts[k].get("content") or "")
                silver.append((i, j))
                wire.append(_char_jaccard(shingles[i], shingles[j]) >= 0.5)
    rng = np.random.default_rng(2015)
    rand: list[tuple[int, int]] = []
    while len(rand) < 100_000:
        i, j = rng.integers(0, len(arts), 2).tolist()
        if i != j and norm[i] != norm[j]:
            rand.append((i, j))
    _SNN[quick] = (arts, titles, texts, silver, wire, rand)
    return _SNN[quick]


def section_ecb(st: Settings, verbose: bool) -> dict[str, Any] | None:
    got = data.ecbplus()
    if got is None:
        print("[ecb] skipped: ecbplus_dev/ not found")
        return None
    folder, labels = got
    res = dupdetect.cluster(str(folder), settings=st)
    cluster_of = {Path(str(m.id)).name: c.id for c in res.clusters for m in c.members}
    names = sorted(n for n in labels if n in cluster_of)
    truth = [labels[n] for n in names]
    pred = [cluster_of[n] for n in names]
    ari = adjusted_rand(truth, pred)
    bp, br, bf = bcubed(truth, pred)
    # candidate recall: every same-event pair, on the features of the same texts
    texts = [(folder / n).read_text(encoding="utf-8") for n in names]
    F, _, kept = _featurized_candidates(texts, st)
    by_event: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(truth):
        by_event[t].append(i)
    positives = np.array(
        [
            (g[x], g[y])
            for g in by_event.values()
            for x in range(len(g))
            for y in range(x + 1, len(g))
        ],
        dtype=np.int64,
    ).reshape(-1, 2)
    cr = candidate_recall(F, kept, positives, st)
    out = {
        "ecb_docs": len(names),
        "ecb_errors": len(res.errors),
        "ecb_events": len(by_event),
        "ecb_clusters": len(res.clusters),
        "ecb_groups": len(res.groups),
        "ecb_ari": ari,
        "ecb_b3_P": bp,
        "ecb_b3_R": br,
        "ecb_b3_F1": bf,
        "ecb_cand_recall": cr["recall"],
        "ecb_cand_plain": cr["plain"],
        "ecb_pos_pairs": cr["pairs"],
        "ecb_pos_clear": cr["clear"],
        "ecb_kept_pairs": len(kept),
    }
    if verbose:
        print(
            f"[ecb] {len(names)} documents, {len(by_event)} events -> {len(res.clusters)} "
            f"clusters ({len(res.groups)} with 2+ members); ARI {ari:.3f}; B-cubed P {bp:.3f} "
            f"R {br:.3f} F1 {bf:.3f}; {len(res.errors)} inputs not used"
        )
        print(
            f"[ecb] candidate recall {cr['recall']:.3f} of the {cr['clear']} same-event pairs "
            f"clearing their threshold ({st.latin_threshold} for English); plain {cr['plain']:.3f} of all {cr['pairs']}; "
            f"{len(kept):,} pairs kept by the candidate stage"
        )
    return out


def section_ans(st: Settings, verbose: bool) -> dict[str, Any] | None:
    rows = data.ans_stance("dev")
    if rows is None:
        print("[ans] skipped: ans_stance_dev.csv not found")
        return None
    by: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for s1, s2, stance in rows:
        short = min(len(prepare(s1)), len(prepare(s2))) < st.min_terms
        by[stance].append((dupdetect.similarity(s1, s2), short))
    out: dict[str, Any] = {}
    for stance, vals in sorted(by.items()):
        sc = [s for s, _ in vals]
        grouped = sum(1 for s, sh in vals if not sh and s >= st.threshold)
        out[f"ans_{stance}"] = {
            "n": len(vals),
            "mean": statistics.fmean(sc),
            "median": statistics.median(sc),
            "p90": float(np.quantile(sc, 0.9)),
            "short": sum(sh for _, sh in vals) / len(vals),
            "over_threshold": sum(s >= st.threshold for s in sc) / len(vals),
            "would_group": grouped / len(vals),
        }
    if verbose:
        for k, d in out.items():
            print(
                f"[ans] {k[4:]:>9}: n={d['n']} score mean {d['mean']:.3f} median "
                f"{d['median']:.3f} p90 {d['p90']:.3f}; flagged short {d['short']:.1%}; "
                f">= threshold {d['over_threshold']:.1%}; would group {d['would_group']:.1%}"
            )
    return out


def section_seeds(st: Settings, verbose: bool) -> dict[str, Any] | None:
    d = data.seeds()
    if d is None:
        print("[seeds] skipped: ../shared/seeds not found")
        return None
    res = dupdetect.cluster(str(d), settings=st)
    lab = {Path(str(m.id)).name[:3]: c.id for c in res.clusters for m in c.members}
    ok = lab["000"] == lab["003"] and lab["001"] not in (lab["000"], lab["003"])
    txt = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(d.glob("*.txt"))}
    sc = {
        f"{x}-{y}": dupdetect.similarity(txt[x], txt[y])
        for x, y in (("000", "003"), ("000", "001"), ("001", "003"))
    }
    if verbose:
        print(
            f"[seeds] {'OK' if ok else 'WRONG'}: "
            + ", ".join(f"{k} {v:.3f}" for k, v in sc.items())
        )
    return {"seeds_ok": ok, **{f"seed_{k}": v for k, v in sc.items()}}


def section_english(st: Settings, verbose: bool) -> dict[str, Any]:
    en = data.ENGLISH
    res = dupdetect.cluster_texts(en, settings=st)
    want = {k for k in en if k[-1] in "ab"}
    found = 0
    wrong = 0
    for c in res.groups:
        ids = [str(i) for i in c.ids]
        stems = {i[:-1] if i[-1] in "ab" else i for i in ids}
        if len(stems) == 1 and set(ids) <= want:
            found += 1
        else:
            wrong += 1
    sizes = Counter(c.size for c in res.clusters)
    # mixed languages: English set + the built-in Arabic sample in one batch
    ar = {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(Path(dupdetect.sample_dir()).iterdir())
    }
    mixed = dupdetect.cluster_texts({**en, **ar}, settings=st)
    cross = sum(1 for c in mixed.groups if {str(i) in en for i in c.ids} == {True, False})
    ar_groups = sorted(
        tuple(sorted(str(i) for i in c.ids))
        for c in mixed.groups
        if all(str(i) in ar for i in c.ids)
    )
    out = {
        "en_pairs_found": found,
        "en_pairs": len(want) // 2,
        "en_wrong_groups": wrong,
        "en_sizes": dict(sorted(sizes.items())),
        "mixed_cross_lang": cross,
        "mixed_ar_groups": ar_groups,
    }
    if verbose:
        print(
            f"[english] {len(en)} texts -> cluster sizes {out['en_sizes']}; near-duplicate "
            f"pairs grouped {found}/{len(want) // 2}; wrong groups {wrong}"
        )
        print(
            f"[mixed] English + Arabic sample: {cross} cross-language groups; Arabic groups "
            f"{[[n.split('_')[0] for n in g] for g in ar_groups]}"
        )
    return out


# --------------------------------------------------------------------------------------------
COLUMNS = [
    ("sem_rho", "SemEval ρ", "{:.3f}"),
    ("sem_F1", "F1", "{:.3f}"),
    ("sem_P", "P", "{:.3f}"),
    ("sem_R", "R", "{:.3f}"),
    ("sem_lsh_recall", "LSH rec.", "{:.2f}"),
    ("sem_cand_recall", "cand. rec.", "{:.2f}"),
    ("snn_wire_recall", "SNN wire rec.", "{:.3f}"),
    ("snn_rewrite_recall", "rewrite rec.", "{:.3f}"),
    ("snn_false_merge", "rand. false merge", "{:.3%}"),
    ("snn_max", "max cl.", "{}"),
    ("ecb_ari", "ECB+ ARI", "{:.3f}"),
    ("ecb_b3_F1", "B³ F1", "{:.3f}"),
    ("ecb_clusters", "ECB+ clusters", "{}"),
    ("ecb_cand_recall", "ECB+ cand. rec.", "{:.3f}"),
    ("ecb_cand_plain", "plain", "{:.3f}"),
    ("ans_disagree_group", "ANS disagree grouped", "{:.1%}"),
    ("ans_agree_group", "ANS agree grouped", "{:.1%}"),
    ("seeds_ok", "seeds", "{}"),
    ("en", "EN pairs/wrong", "{}"),
    ("mixed_cross_lang", "x-lang", "{}"),
]


SECTIONS = ("semeval", "snn", "ecb", "ans", "seeds", "english")


def run_variant(v: Variant, args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    print(f"\n=== {v.name}: {v.why or v.options}")
    out: dict[str, Any] = {"variant": v.name}
    with active(v) as st:
        for name, fn in (
            ("semeval", lambda: section_semeval(st, True)),
            ("snn", lambda: section_saudinewsnet(st, True, args.quick)),
            ("ecb", lambda: section_ecb(st, True)),
            ("ans", lambda: section_ans(st, True)),
            ("seeds", lambda: section_seeds(st, True)),
            ("english", lambda: section_english(st, True)),
        ):
            if args.sections and name not in args.sections:
                continue
            r = fn()
            if r:
                out.update(r)
    for stance in ("agree", "disagree"):
        if f"ans_{stance}" in out:
            out[f"ans_{stance}_group"] = out[f"ans_{stance}"]["would_group"]
    if "en_pairs" in out:
        out["en"] = f"{out['en_pairs_found']}/{out['en_pairs']}, {out['en_wrong_groups']}"
    out["seconds"] = time.perf_counter() - t0
    return out


def table(results: list[dict[str, Any]]) -> str:
    head = "| variant | " + " | ".join(c[1] for c in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for r in results:
        cells = []
        for key, _, fmt in COLUMNS:
            val = r.get(key)
            cells.append("—" if val is None else fmt.format(val))
        lines.append(f"| {r['variant']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="SaudiNewsNet: first 4 daily zips only (about a quarter)",
    )
    ap.add_argument(
        "--variants", default="defaults", help=f"comma list or 'all'; known: {', '.join(BY_NAME)}"
    )
    ap.add_argument(
        "--sections",
        default="",
        help="comma list of semeval,snn,ecb,ans,seeds,english (default all)",
    )
    ap.add_argument("--json", help="write all figures to this JSON file")
    ap.add_argument(
        "--inspect",
        type=int,
        default=5,
        help="SaudiNewsNet: print this many of the largest clusters for reading (default 5)",
    )
    args = ap.parse_args(argv)
    if args.inspect < 0:
        ap.error(f"--inspect must be >= 0, got {args.inspect}")
    global INSPECT
    INSPECT = args.inspect
    args.sections = {s for s in args.sections.split(",") if s}
    bad = sorted(args.sections - set(SECTIONS))
    if bad:
        ap.error(f"unknown section(s) {bad}; known: {', '.join(SECTIONS)}")
    names = list(BY_NAME) if args.variants == "all" else args.variants.split(",")
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        ap.error(f"unknown variant(s) {unknown}; known: {', '.join(BY_NAME)}")
    print(f"data: {data.EVAL} (seeds {data.SEEDS})")
    results = [run_variant(BY_NAME[n], args) for n in names]
    print("\n" + table(results))
    if args.json:
        Path(args.json).write_text(
            json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
