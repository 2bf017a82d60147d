"""Grouping quality of dupdetect on real Arabic news, against labelled and silver ground truth.

    python benchmarks/eval_quality.py [--quick] [--variants defaults,ct0.1,...|all] [--json out.json]

Sections (each skipped cleanly when its data in ../shared/eval is absent):

1. SemEval-2022 ar-ar dev pairs (people's 1..4 "same story" grades): Spearman of
   ``dupdetect.similarity`` with -overall; pairwise P/R/F1 of one ``cluster(dir)`` call over all
   the pairs' articles (same cluster expected for overall <= 1.5, apart for >= 3.5), and where
   the positive pairs are lost (not proposed by LSH / dropped by the prefilter / score below the
   threshold / split by average linkage).
2. SaudiNewsNet (31,030 articles, 14 outlets): silver groups = the same normalized title (> 15
   chars) in two or more outlets; pair recall of ``cluster_texts`` on all articles, split into wire
   copies (body char-5 Jaccard >= 0.5) and rewrites; false merges on 100k random pairs with
   different titles; the largest clusters printed for a hand inspection.
3. ANS headline pairs: similarity per stance, how many are flagged short, how many "disagree"
   pairs (same wording, one fact changed) would be grouped.
4. The seeds: 000 and 003 together, 001 apart.
5. English sanity set (written for this benchmark, in _eval_data.py) and a mixed-language batch.

Variants are applied by monkeypatching module attributes and passing Settings options; the
library code is not changed. Expensive, variant-independent work (tokenizing 31k articles) is
memoized per tokenizer, so many variants fit in one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _eval_data as data  # noqa: E402

import dupdetect  # noqa: E402
from dupdetect import Settings  # noqa: E402

features = import_module("dupdetect.features")
pipeline = import_module("dupdetect.pipeline")
tokens = import_module("dupdetect.terms")
simmod = import_module("dupdetect.similarity")
index = import_module("dupdetect.lsh")


# --------------------------------------------------------------------------------------------
# Variants
@dataclass
class Variant:
    name: str
    why: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # Settings options
    prefilter: float | None = None  # pipeline.PREFILTER_FRACTION
    w_uni: float = 0.5  # score = w_uni * unigram cosine + (1 - w_uni) * bigram cosine
    sublinear: bool = False  # 1 + log(count) instead of count
    lead: tuple[int, float] | None = None  # (first n content terms, weight of each occurrence)
    containment: float = 0.0  # score = max(score, alpha * bigram containment of the shorter)
    prefixes: tuple[str, ...] | None = None
    suffixes: tuple[str, ...] | None = None
    window_hours: float | None = None  # cluster(window=...) with SaudiNewsNet's date_extracted

    def settings(self) -> Settings:
        return Settings.from_options(None, **self.options)

    @property
    def feature_key(self) -> tuple:
        return (self.sublinear, self.lead, self.containment > 0, self.token_key)

    @property
    def token_key(self) -> tuple:
        return (self.prefixes, self.suffixes)


_BASE_PREFIXES = tokens._PREFIXES
_BASE_SUFFIXES = tokens._SUFFIXES

VARIANTS: list[Variant] = [
    Variant("defaults", "the library as shipped"),
    Variant("ct0.05", "LSH aims at looser rewrites", {"candidate_threshold": 0.05}),
    Variant("ct0.1", "", {"candidate_threshold": 0.1}),
    Variant("ct0.2", "", {"candidate_threshold": 0.2}),
    Variant("ct0.3", "", {"candidate_threshold": 0.3}),
    Variant("prefilter0", "no MinHash prefilter: every LSH pair is verified", prefilter=0.0),
    Variant("prefilter1", "prefilter at the full candidate threshold", prefilter=1.0),
    Variant("th0.30", "", {"threshold": 0.30}),
    Variant("th0.40", "", {"threshold": 0.40}),
    Variant("min_terms3", "", {"min_terms": 3}),
    Variant("min_terms10", "", {"min_terms": 10}),
    Variant("sublinear", "1+log(tf): repeated names weigh less", sublinear=True),
    Variant("uni0.7", "0.7 unigram + 0.3 bigram cosine", w_uni=0.7),
    Variant("uni1.0", "unigram cosine only", w_uni=1.0),
    Variant("lead30x2", "first 30 content terms (title + lead) count twice", lead=(30, 2.0)),
    Variant("containment", "max(score, 0.5 * bigram containment of the shorter)", containment=0.5),
    Variant(
        "stem+",
        "more suffixes (ية ان تين يه) and single-letter و/ف/ب/ل before 4+ letters",
        prefixes=_BASE_PREFIXES + ("و", "ف", "ب", "ل"),
        suffixes=("تين", "ات", "ون", "ين", "ان", "ية", "يه", "ها", "هم", "ه"),
    ),
    Variant("stem-", "no suffix stripping", suffixes=()),
    Variant("ngram4", "4-char shingles of the term stream: rewrites share more", {"ngram": 4}),
    Variant("ngram4+ct0.1", "", {"ngram": 4, "candidate_threshold": 0.1}),
    Variant("ct0.1+pf0.25", "", {"candidate_threshold": 0.1}, prefilter=0.25),
    Variant("ct0.05+pf1", "", {"candidate_threshold": 0.05}, prefilter=1.0),
    Variant("ct0.1+th0.33", "", {"candidate_threshold": 0.1, "threshold": 0.33}),
    Variant("ct0.1+containment", "", {"candidate_threshold": 0.1}, containment=0.5),
    Variant("pf0.75", "prefilter at 0.75 x candidate_threshold", prefilter=0.75),
    Variant(
        "window48h", "publication-time window 48 h (SaudiNewsNet: crawl time)", window_hours=48.0
    ),
    Variant(
        "window24h", "publication-time window 24 h (SaudiNewsNet: crawl time)", window_hours=24.0
    ),
]
BY_NAME = {v.name: v for v in VARIANTS}


# --------------------------------------------------------------------------------------------
# Patched scoring (identical to the library when the variant has default values)
_ACTIVE: Variant = VARIANTS[0]
_orig_term_vector = features.term_vector
_orig_bigram_vector = features.bigram_vector
_orig_featurize_terms = features.featurize_terms
_orig_prepare = features.prepare
_orig_featurize_all = pipeline._featurize_all


_EMPTY = features.TermVector(np.zeros(0, np.uint32), np.zeros(0, np.float32))
_term_id = features._term_ids.__getitem__


def _to_vector(counts: Counter) -> Any:
    """Unit vector of (possibly weighted) counts, as the library's vectors are built."""
    ids = np.array(sorted(counts), dtype=np.uint32)
    w = np.array([counts[int(i)] for i in ids], dtype=np.float64)
    w /= np.sqrt(np.dot(w, w))
    return features.TermVector(ids, w.astype(np.float32))


def _weighted_counts(keys: list[int]) -> Counter:
    v = _ACTIVE
    c: Counter = Counter()
    if v.lead is None:
        c.update(keys)
    else:
        n, w = v.lead
        for i, k in enumerate(keys):
            c[k] += w if i < n else 1.0
    if v.sublinear:
        for k, x in c.items():
            c[k] = 1.0 + math.log(x) if x >= 1 else x
    return c


def _term_vector(terms):
    v = _ACTIVE
    if not v.sublinear and v.lead is None:
        return _orig_term_vector(terms)
    if not terms:
        return _EMPTY
    return _to_vector(_weighted_counts([_term_id(t) for t in terms]))


def _bigram_keys(terms) -> list[int]:
    ids = [_term_id(t) for t in terms]
    return [((a * 0x9E3779B1) ^ (b + 0x7F4A7C15)) & 0xFFFFFFFF for a, b in zip(ids, ids[1:])]


def _bigram_vector(terms):
    v = _ACTIVE
    if not v.sublinear and v.lead is None:
        return _orig_bigram_vector(terms)
    if len(terms) < 2:
        return _EMPTY
    return _to_vector(_weighted_counts(_bigram_keys(terms)))


def _raw_bigram_matrix(term_lists) -> tuple[Any, np.ndarray]:
    vecs, totals = [], []
    for t in term_lists:
        keys = _bigram_keys(t)
        c = Counter(keys)
        ids = np.fromiter(c.keys(), np.uint32, len(c))
        w = np.fromiter(c.values(), np.float64, len(c))
        o = np.argsort(ids)
        vecs.append(features.TermVector(ids[o], w[o].astype(np.float32)))
        totals.append(len(keys))
    return features.TermMatrix.from_vectors(vecs), np.asarray(totals, np.float64)


def _min_overlap(m, pairs: np.ndarray) -> np.ndarray:
    """sum_t min(count_a[t], count_b[t]) per pair (same merge as TermMatrix.cosines)."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.zeros(len(pairs))
    lens_all = np.diff(m.offsets)
    for s in range(0, len(pairs), 50_000):
        p = pairs[s : s + 50_000]
        k = len(p)
        la, lb = lens_all[p[:, 0]], lens_all[p[:, 1]]
        ia, ib = features._ranges(m.offsets[p[:, 0]], la), features._ranges(m.offsets[p[:, 1]], lb)
        pa = np.repeat(np.arange(k, dtype=np.uint64), la)
        pb = np.repeat(np.arange(k, dtype=np.uint64), lb)
        ka = (pa << np.uint64(32)) | m.ids[ia].astype(np.uint64)
        kb = (pb << np.uint64(32)) | m.ids[ib].astype(np.uint64)
        if ka.size == 0:
            continue
        pos = np.searchsorted(ka, kb)
        pos_c = np.minimum(pos, ka.size - 1)
        hit = (pos < ka.size) & (ka[pos_c] == kb)
        mn = np.minimum(m.weights[ia][pos_c[hit]], m.weights[ib][hit])
        out[s : s + k] = np.bincount(pb[hit].astype(np.int64), weights=mn, minlength=k)
    return out


def _containment(F, pairs: np.ndarray) -> np.ndarray:
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    mat, tot = F._raw_bigrams
    shorter = np.minimum(tot[pairs[:, 0]], tot[pairs[:, 1]])
    c = _min_overlap(mat, pairs) / np.maximum(shorter, 1)
    c[shorter < 20] = 0.0  # too short to say "contained"
    return c


def _features_similarities(self, pairs):
    v = _ACTIVE
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    s = v.w_uni * self.unigrams.cosines(pairs)
    if v.w_uni < 1.0:
        s = s + (1.0 - v.w_uni) * self.bigrams.cosines(pairs)
    if v.containment > 0 and len(pairs):
        s = np.maximum(s, v.containment * _containment(self, pairs)).astype(np.float32)
    return s


def _profile_similarity(self, other):
    v = _ACTIVE
    s = v.w_uni * self.unigrams.dot(other.unigrams)
    if v.w_uni < 1.0:
        s += (1.0 - v.w_uni) * self.bigrams.dot(other.bigrams)
    if v.containment > 0:
        ta, tb = getattr(self, "_terms", None), getattr(other, "_terms", None)
        if ta is not None and tb is not None:
            F = _featurize_terms([ta, tb], Settings())
            s = max(s, float(v.containment * _containment(F, np.array([[0, 1]]))[0]))
    return s


_orig_profile_of = features.Profile.of.__func__


def _profile_of(cls, terms):
    p = _orig_profile_of(cls, terms)
    object.__setattr__(p, "_terms", list(terms))
    return p


def _featurize_terms(term_lists, settings):
    F = _orig_featurize_terms(term_lists, settings)
    if _ACTIVE.containment > 0:
        F._raw_bigrams = _raw_bigram_matrix(term_lists)
    return F


_PREPARE_CACHE: dict[tuple, dict[tuple[str, bool], list[str]]] = defaultdict(dict)


def _prepare(text, *, clean=True):
    cache = _PREPARE_CACHE[_ACTIVE.token_key]
    key = (text, clean)
    got = cache.get(key)
    if got is None:
        got = _orig_prepare(text, clean=clean)
        cache[key] = got
    return list(got)


_FEATURE_CACHE: dict[tuple, Any] = {}


_orig_term_matrices = features.term_matrices


def _term_matrices(term_lists):
    # the library builds a batch's matrices in numpy; weighting variants need the per-doc path
    if _ACTIVE.sublinear or _ACTIVE.lead:
        return (
            features.TermMatrix.from_vectors([_term_vector(t) for t in term_lists]),
            features.TermMatrix.from_vectors([_bigram_vector(t) for t in term_lists]),
        )
    return _orig_term_matrices(term_lists)


def _featurize_all(texts, settings, progress, workers=None):
    # one process: the variant's monkeypatches live in this one
    if len(texts) < 1000:
        return _orig_featurize_all(texts, settings, progress, 1)
    key = (
        len(texts),
        hash(texts[0]),
        hash(texts[-1]),
        sum(map(len, texts)),
        _ACTIVE.feature_key,
        settings.ngram,
        settings.num_perm,
        settings.seed,
        settings.min_terms,
    )
    if key not in _FEATURE_CACHE:
        if len(_FEATURE_CACHE) > 4:
            _FEATURE_CACHE.pop(next(iter(_FEATURE_CACHE)))
        _FEATURE_CACHE[key] = _orig_featurize_all(texts, settings, progress, 1)
    return _FEATURE_CACHE[key]


@contextlib.contextmanager
def active(v: Variant) -> Iterator[Settings]:
    global _ACTIVE
    saved: list[tuple[Any, str, Any]] = []

    def put(obj: Any, name: str, value: Any) -> None:
        old = obj.__dict__[name] if isinstance(obj, type) else getattr(obj, name)
        saved.append((obj, name, old))
        setattr(obj, name, value)

    _ACTIVE = v
    try:
        put(features, "term_vector", _term_vector)
        put(features, "bigram_vector", _bigram_vector)
        put(features, "featurize_terms", _featurize_terms)
        put(features, "term_matrices", _term_matrices)
        put(features, "prepare", _prepare)
        put(simmod, "prepare", _prepare)
        put(features.Features, "similarities", _features_similarities)
        put(features.Profile, "similarity", _profile_similarity)
        put(features.Profile, "of", classmethod(_profile_of))
        put(pipeline, "_featurize_all", _featurize_all)
        put(pipeline, "_BATCH", 10**9)  # one batch: same features, extra attributes survive
        if v.prefilter is not None:
            put(pipeline, "PREFILTER_FRACTION", v.prefilter)
        if v.prefixes is not None:
            put(tokens, "_PREFIXES", v.prefixes)
        if v.suffixes is not None:
            put(tokens, "_SUFFIXES", v.suffixes)
        tokens.stem.cache_clear()
        tokens._TERMS.clear()  # word -> term cache depends on the stemmer
        yield v.settings()
    finally:
        for obj, name, value in reversed(saved):
            setattr(obj, name, value)
        tokens.stem.cache_clear()
        tokens._TERMS.clear()
        _ACTIVE = VARIANTS[0]


# --------------------------------------------------------------------------------------------
def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _spearman(x: list[float], y: list[float]) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(x, y).statistic)


def _char_jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _char5(text: str) -> set:
    t = dupdetect.normalize(text)
    return {t[i : i + 5] for i in range(max(len(t) - 4, 0))}


def _candidates(texts: list[str], st: Settings) -> tuple[np.ndarray, np.ndarray, Any]:
    """(LSH-proposed pairs, mask kept by the prefilter, features) as the pipeline computes them."""
    F = pipeline._featurize_all(texts, st, False)
    b, r = st.lsh_params
    pairs = index.candidate_pairs(F.signatures, b, r, eligible=~F.short)
    if not len(pairs):
        return pairs, np.zeros(0, bool), F
    est = index.estimated_jaccard_pairs(F.signatures, pairs)
    return pairs, est >= pipeline.PREFILTER_FRACTION * st.candidate_threshold, F


# --------------------------------------------------------------------------------------------
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
        best = max(best, (_prf(tp, fp, len(pos) - tp)[2], t))
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
    p, rcl, f1 = _prf(tp, fp, len(pos) - tp)
    # where positives are lost: the batch as the pipeline sees it (sorted file names)
    order = sorted(names)
    pos_of = {n: k for k, n in enumerate(order)}
    text_of = {f"{r['pair']}_1": x for r, x in zip(rows, a)} | {
        f"{r['pair']}_2": y for r, y in zip(rows, b)
    }
    cand, keep, F = _candidates([text_of[n] for n in order], st)
    proposed = {tuple(p_) for p_ in cand.tolist()}
    kept = {tuple(p_) for p_ in cand[keep].tolist()}
    stages = Counter()
    for i in pos:
        r = rows[i]
        x, y = pos_of[f"{r['pair']}_1"], pos_of[f"{r['pair']}_2"]
        k = (min(x, y), max(x, y))
        if F.short[x] or F.short[y]:
            stages["short"] += 1
        elif k not in proposed:
            stages["not proposed by LSH"] += 1
        elif k not in kept:
            stages["dropped by prefilter"] += 1
        elif sims[i] < st.threshold:
            stages["score < threshold"] += 1
        elif not same[i]:
            stages["split by linkage"] += 1
        else:
            stages["grouped"] += 1
    lsh_recall = sum(
        1
        for i in pos
        if tuple(sorted((pos_of[f"{rows[i]['pair']}_1"], pos_of[f"{rows[i]['pair']}_2"])))
        in proposed
    )
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
    return out


def section_saudinewsnet(st: Settings, verbose: bool, quick: bool) -> dict[str, Any] | None:
    arts = _snn(quick)
    if arts is None:
        print("[saudinewsnet] skipped: saudinewsnet/*.zip not found")
        return None
    arts, titles, texts, silver, wire, rand = arts
    t0 = time.perf_counter()
    if _ACTIVE.window_hours is not None:
        res = dupdetect.cluster_texts(
            texts,
            settings=st,
            published=[a.get("date_extracted") for a in arts],
            window=_ACTIVE.window_hours * 3600.0,
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
        for c in res.clusters[:5]:
            srcs = Counter(arts[m.index]["source"] for m in c.members)
            tl = Counter(titles[m.index] for m in c.members)
            print(
                f"  cluster size {c.size} cohesion {c.score:.3f}, {len(srcs)} outlets "
                f"{dict(srcs.most_common(4))}, {len(tl)} distinct titles:"
            )
            for m in c.members[:6]:
                print(f"     {arts[m.index]['source']:>12} | {titles[m.index][:90]}")
    return out


_SNN: dict[bool, Any] = {}


def _snn(quick: bool):
    if quick in _SNN:
        return _SNN[quick]
    arts = data.saudinewsnet(max_zips=4 if quick else None)
    if arts is None:
        return None
    titles = [(a.get("title") or "").strip() for a in arts]
    texts = [f"{t}\n{a.get('content') or ''}" for t, a in zip(titles, arts)]
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


def section_ans(st: Settings, verbose: bool) -> dict[str, Any] | None:
    rows = data.ans_stance("dev")
    if rows is None:
        print("[ans] skipped: ans_stance_dev.csv not found")
        return None
    by: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for s1, s2, stance in rows:
        short = min(len(features.prepare(s1)), len(features.prepare(s2))) < st.min_terms
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
    ("snn_wire_recall", "SNN wire rec.", "{:.3f}"),
    ("snn_rewrite_recall", "rewrite rec.", "{:.3f}"),
    ("snn_false_merge", "rand. false merge", "{:.3%}"),
    ("snn_max", "max cl.", "{}"),
    ("ans_disagree_group", "ANS disagree grouped", "{:.1%}"),
    ("ans_agree_group", "ANS agree grouped", "{:.1%}"),
    ("seeds_ok", "seeds", "{}"),
    ("en", "EN pairs/wrong", "{}"),
    ("mixed_cross_lang", "x-lang", "{}"),
]


def run_variant(v: Variant, args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    print(f"\n=== {v.name}: {v.why or v.options}")
    out: dict[str, Any] = {"variant": v.name}
    with active(v) as st:
        for name, fn in (
            ("semeval", lambda: section_semeval(st, True)),
            ("snn", lambda: section_saudinewsnet(st, True, args.quick)),
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
        "--sections", default="", help="comma list of semeval,snn,ans,seeds,english (default all)"
    )
    ap.add_argument("--json", help="write all figures to this JSON file")
    args = ap.parse_args(argv)
    args.sections = {s for s in args.sections.split(",") if s}
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
