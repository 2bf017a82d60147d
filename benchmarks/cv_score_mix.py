"""Linear mixes of weighted cosines against today's score, cross-validated (#13 research).

Is there a score, still a linear mix of cosines of per-document unit vectors (average linkage
needs it), that beats today's (0.5 unigram + 0.5 bigram cosine) on held-out folds of both
SemEval (Arabic) and ECB+ (English) while the seeds hold with the threshold moved +-10%?

Vectors over the library's content terms (``dupdetect.features.prepare``): unigram counts
(``uni_tf``), times the shipped rarity weight (``uni_idf``), (1 + ln tf) x rarity
(``uni_lidf``), adjacent pairs (``bi_tf``), pairs weighted by the product / mean of their terms'
rarity (``bi_idf_prod`` / ``bi_idf_mean``), triples (``tri_tf``). Mixes: each vector alone, every
pair and triple on 0.1 weight steps (1,456). The seeds are a hard requirement (000-003 >= 1.1 t,
000-001 and 001-003 <= 0.9 t), never fitted. SemEval: 5 folds by pair (seed 13), the threshold
(and, nested, the mix) chosen on four folds by pairwise F1 of "score >= t" on the labelled pairs,
scored on the fifth. ECB+: all-pairs average linkage (scipy), 5 folds of topics as
``cv_latin_threshold.py`` cuts them, the English cut chosen on four, ARI / B-cubed pooled over
the held-out documents. All pairs are candidates here (no LSH): figures are this script's own,
compare a mix with the baseline row of the same run.

    python benchmarks/cv_score_mix.py [--json OUT]

Reads ``../shared`` through ``_data.py`` (nothing of it is written); needs scipy (``dev``
extra). About 30 s. Written for the 2026-12-06 study in RESULTS.md; not used by the library.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data  # noqa: E402
from _metrics import adjusted_rand, bcubed  # noqa: E402

from dupdetect import similarity  # noqa: E402
from dupdetect.features import _bigram_ids, prepare, term_ids  # noqa: E402
from dupdetect.rarity import rarity  # noqa: E402

VEC = ["uni_tf", "uni_idf", "uni_lidf", "bi_tf", "bi_idf_prod", "bi_idf_mean", "tri_tf"]
_M = np.uint64(0x85EBCA6B)


def doc_vectors(terms: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (ids uint64 unique, weights float64, not yet normalized)."""
    ids = term_ids(terms).astype(np.uint64)
    r = rarity(ids.astype(np.uint32)).astype(np.float64)
    out = {}

    def agg(keys, w):
        if keys.size == 0:
            return np.zeros(0, np.uint64), np.zeros(0)
        u, inv = np.unique(keys, return_inverse=True)
        return u, np.bincount(inv.ravel(), weights=w, minlength=u.size)

    u, c = agg(ids, np.ones(ids.size))
    ru = rarity(u.astype(np.uint32)).astype(np.float64)
    out["uni_tf"] = (u, c)
    out["uni_idf"] = (u, c * ru)
    out["uni_lidf"] = (u, (1 + np.log(c)) * ru if c.size else c)
    if ids.size >= 2:
        b = _bigram_ids(ids)
        out["bi_tf"] = agg(b, np.ones(b.size))
        out["bi_idf_prod"] = agg(b, r[:-1] * r[1:])
        out["bi_idf_mean"] = agg(b, (r[:-1] + r[1:]) / 2)
    else:
        for k in ("bi_tf", "bi_idf_prod", "bi_idf_mean"):
            out[k] = (np.zeros(0, np.uint64), np.zeros(0))
    if ids.size >= 3:
        b = _bigram_ids(ids).astype(np.uint64)
        t = ((b[:-1] * _M) ^ (ids[2:] * np.uint64(0x9E3779B97F4A7C15))) & np.uint64(0xFFFFFFFFFFFF)
        out["tri_tf"] = agg(t, np.ones(t.size))
    else:
        out["tri_tf"] = (np.zeros(0, np.uint64), np.zeros(0))
    return out


def matrix(vecs: list[tuple[np.ndarray, np.ndarray]]) -> sp.csr_matrix:
    """Rows L2-normalized (zero rows stay zero)."""
    allids = np.concatenate([v[0] for v in vecs])
    cols, inv = np.unique(allids, return_inverse=True)
    lens = [v[0].size for v in vecs]
    rows = np.repeat(np.arange(len(vecs)), lens)
    w = np.concatenate([v[1] for v in vecs]).astype(np.float64)
    norms = np.sqrt(np.bincount(rows, weights=w * w, minlength=len(vecs)))
    w = w / np.where(norms[rows] > 0, norms[rows], 1)
    return sp.csr_matrix((w, (rows, inv.ravel())), shape=(len(vecs), cols.size))


def cos_all(term_lists: list[list[str]]) -> dict[str, np.ndarray]:
    dv = [doc_vectors(t) for t in term_lists]
    out = {}
    for k in VEC:
        X = matrix([d[k] for d in dv])
        out[k] = np.clip((X @ X.T).toarray(), 0, 1)
    return out


def compute() -> dict[str, np.ndarray]:
    t0 = time.time()
    res: dict[str, np.ndarray] = {}
    # seeds
    seeds = _data.seeds()
    text = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))}
    keys = ["000", "001", "003"]
    C = cos_all([prepare(text[k]) for k in keys])
    sp_idx = [(0, 2), (0, 1), (1, 2)]  # 000-003, 000-001, 001-003
    res["seeds"] = np.array([[C[k][i, j] for k in VEC] for i, j in sp_idx])
    res["seeds_lib"] = np.array([similarity(text[keys[i]], text[keys[j]]) for i, j in sp_idx])
    # semeval
    rows = _data.semeval()
    tl = []
    for r in rows:
        tl.append(prepare(f"{r['title_1']}\n{r['text_1']}"))
        tl.append(prepare(f"{r['title_2']}\n{r['text_2']}"))
    C = cos_all(tl)
    n = len(rows)
    res["sem"] = np.array([[C[k][2 * i, 2 * i + 1] for k in VEC] for i in range(n)])
    res["sem_overall"] = np.array([float(r["overall"]) for r in rows])
    res["sem_short"] = np.array([min(len(tl[2 * i]), len(tl[2 * i + 1])) for i in range(n)])
    # ecb+
    folder, labels = _data.ecbplus()
    names = sorted(labels)
    tl = [prepare((folder / nm).read_text(encoding="utf-8")) for nm in names]
    C = cos_all(tl)
    res["ecb"] = np.stack([C[k] for k in VEC])  # (V, n, n)
    res["ecb_names"] = np.array(names)
    res["ecb_labels"] = np.array([labels[nm] for nm in names])
    res["ecb_nterms"] = np.array([len(t) for t in tl])
    res["vec"] = np.array(VEC)
    print("seeds (000-003, 000-001, 001-003) per vector:")
    for k, name in enumerate(VEC):
        print(f"  {name:12s}", " ".join(f"{v:.4f}" for v in res["seeds"][:, k]))
    base = 0.5 * res["seeds"][:, 0] + 0.5 * res["seeds"][:, 3]
    print("  today (recomputed)", " ".join(f"{v:.4f}" for v in base))
    print("  today (library)   ", " ".join(f"{v:.4f}" for v in res["seeds_lib"]))
    print(
        f"semeval pairs {n}, ecb docs {len(names)}, short ecb docs (<5 terms):",
        int((res["ecb_nterms"] < 5).sum()),
        f"; {time.time() - t0:.1f}s",
    )
    return res


if _data.seeds() is None or _data.semeval() is None or _data.ecbplus() is None:
    print("skipped: ../shared seeds, SemEval or ECB+ not found")
    sys.exit(0)
D = compute()
VEC = list(D["vec"])
V = len(VEC)
SEEDS = D["seeds"]  # (3, V): 000-003, 000-001, 001-003
SEM = D["sem"]  # (121, V)
OVR = D["sem_overall"]
ECB = D["ecb"]  # (V, n, n)
NAMES = list(D["ecb_names"])
LAB = list(D["ecb_labels"])
SHORT = D["ecb_nterms"] < 5
N = len(NAMES)
RNG_SEED = 13
T_GRID = np.round(np.arange(0.02, 0.80001, 0.005), 4)
TE_GRID = np.round(np.arange(0.01, 0.50001, 0.01), 4)


# ---------------------------------------------------------------- mixes
def mixes() -> list[np.ndarray]:
    out = []
    base = np.zeros(V)
    base[VEC.index("uni_tf")] = base[VEC.index("bi_tf")] = 0.5
    out.append(base)  # index 0 = today's score
    for i in range(V):
        w = np.zeros(V)
        w[i] = 1
        out.append(w)
    for i, j in itertools.combinations(range(V), 2):
        for a in range(1, 10):
            w = np.zeros(V)
            w[i], w[j] = a / 10, 1 - a / 10
            if not np.allclose(w, base):
                out.append(w)
    for i, j, k in itertools.combinations(range(V), 3):
        for a in range(1, 9):
            for b in range(1, 10 - a):
                w = np.zeros(V)
                w[i], w[j], w[k] = a / 10, b / 10, (10 - a - b) / 10
                out.append(w)
    return out


def label(w: np.ndarray) -> str:
    return " + ".join(f"{w[i]:.1f}*{VEC[i]}" for i in range(V) if w[i] > 1e-9)


def seeds_interval(w: np.ndarray) -> tuple[np.ndarray, float, float]:
    s = SEEDS @ w
    return s, max(s[1], s[2]) / 0.9, s[0] / 1.1


# ---------------------------------------------------------------- SemEval
SAME = OVR <= 1.5
DIFF = OVR >= 3.5
LABD = SAME | DIFF
rng = np.random.default_rng(RNG_SEED)
perm = rng.permutation(len(OVR))
SEM_FOLD = np.empty(len(OVR), int)
for f in range(5):
    SEM_FOLD[perm[f::5]] = f


def f1_at(scores: np.ndarray, idx: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """F1 of 'score >= t' on labelled pairs in idx, for each t (vectorized)."""
    m = idx & LABD
    s, y = scores[m], SAME[m]
    pred = s[None, :] >= ts[:, None]
    tp = (pred & y).sum(1)
    fp = (pred & ~y).sum(1)
    fn = (~pred & y).sum(1)
    p = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 1.0)
    r = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 1.0)
    return np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0.0)


def t_candidates(lo: float, hi: float) -> np.ndarray:
    if lo > hi:
        return np.zeros(0)
    g = T_GRID[(T_GRID >= lo) & (T_GRID <= hi)]
    return np.unique(np.concatenate([g, [lo, hi, (lo + hi) / 2]]))


def best_t(scores, idx, ts):
    """(F1, t): best F1 on idx; among tied t, the median one."""
    f = f1_at(scores, idx, ts)
    best = f.max()
    tied = ts[np.isclose(f, best)]
    return float(best), float(np.sort(tied)[len(tied) // 2])


def rho(scores, idx):
    return float(spearmanr(scores[idx], -OVR[idx]).statistic)


# ---------------------------------------------------------------- ECB+
TOPIC = np.array([n.split("_")[0] for n in NAMES])
TOPICS = sorted(set(TOPIC))
TOPIC_FOLDS = [TOPICS[i::5] for i in range(5)]  # as benchmarks/cv_latin_threshold.py
ECB_FOLD = np.array([next(f for f in range(5) if t in TOPIC_FOLDS[f]) for t in TOPIC])
_, TRUTH = np.unique(np.array(LAB), return_inverse=True)


def ari_fast(truth: np.ndarray, pred: np.ndarray) -> float:
    """``_metrics.adjusted_rand`` in numpy, for the ~200,000 fold x cut x mix evaluations of the
    selection (the reported figures use ``_metrics``; ``main`` checks the two agree)."""
    n = truth.size
    if n < 2:
        return 1.0
    _, cell = np.unique(truth.astype(np.int64) * 100000 + pred, return_counts=True)
    _, a = np.unique(truth, return_counts=True)
    _, b = np.unique(pred, return_counts=True)
    c2 = lambda x: (x * (x - 1) / 2).sum()  # noqa: E731
    both, sa, sb, tot = c2(cell), c2(a), c2(b), n * (n - 1) / 2
    exp = sa * sb / tot
    top = (sa + sb) / 2
    return 1.0 if top == exp else float((both - exp) / (top - exp))


def ecb_clusterings(w: np.ndarray) -> np.ndarray:
    """(len(TE_GRID), N) cluster labels of all-pairs average linkage, cut at 1 - tE."""
    S = np.tensordot(w, ECB, axes=1)
    S[SHORT, :] = 0
    S[:, SHORT] = 0  # < min_terms: the library keeps them as singletons
    Dm = 1.0 - S
    np.fill_diagonal(Dm, 0)
    Dm = np.clip((Dm + Dm.T) / 2, 0, 1)
    Z = linkage(squareform(Dm, checks=False), "average")
    return np.stack([fcluster(Z, 1 - te + 1e-12, "distance") for te in TE_GRID])


def ecb_eval(w):
    """Per fold: train ARI per tE (array). Also all-docs ARI per tE."""
    P = ecb_clusterings(w)
    train = np.array(
        [
            [ari_fast(TRUTH[ECB_FOLD != f], P[c][ECB_FOLD != f]) for c in range(len(TE_GRID))]
            for f in range(5)
        ]
    )
    alld = np.array([ari_fast(TRUTH, P[c]) for c in range(len(TE_GRID))])
    return P, train, alld


def pick_te(train_row):
    best = train_row.max()
    tied = np.flatnonzero(np.isclose(train_row, best))
    return int(tied[len(tied) // 2]), float(best)


def held_ecb(choices):
    """choices[f] = (P, c): pooled held-out labels; ARI, B-cubed F1 (reference implementations)."""
    guess = [None] * N
    for f, (P, c) in enumerate(choices):
        for i in np.flatnonzero(ECB_FOLD == f):
            guess[i] = f"{f}:{P[c][i]}"
    return adjusted_rand(LAB, guess), bcubed(LAB, guess)[2]


# ---------------------------------------------------------------- main
def main():
    t0 = time.time()
    M = mixes()
    print(f"{len(M)} mixes over {VEC}")
    info = []
    for w in M:
        s, lo, hi = seeds_interval(w)
        info.append(dict(w=w, seeds=s, lo=lo, hi=hi, feasible=bool(lo <= hi)))
    feas = [m for m in range(len(M)) if info[m]["feasible"]]
    print(
        f"seeds-feasible: {len(feas)} of {len(M)}; today's: seeds {info[0]['seeds'].round(4)} "
        f"interval [{info[0]['lo']:.4f}, {info[0]['hi']:.4f}] feasible={info[0]['feasible']}"
    )

    evalset = [0] + feas  # baseline is evaluated with t unconstrained (it is infeasible)
    allidx = np.ones(len(OVR), bool)
    sem = {}
    for m in evalset:
        sc = SEM @ M[m]
        ts = t_candidates(info[m]["lo"], info[m]["hi"]) if m != 0 else T_GRID
        folds = []
        for f in range(5):
            tr = SEM_FOLD != f
            F, t = best_t(sc, tr, ts)
            folds.append((F, t, rho(sc, tr)))
        Fall, tall = best_t(sc, allidx, ts)
        sem[m] = dict(sc=sc, ts=ts, folds=folds, fit=(Fall, tall, rho(sc, allidx)))
    print(f"SemEval done {time.time() - t0:.0f}s")
    ecb = {}
    for m in evalset:
        P, train, alld = ecb_eval(M[m])
        if m == 0:  # the fast ARI of the selection is the reference one
            ref = adjusted_rand(list(TRUTH), list(P[len(TE_GRID) // 2]))
            if abs(ref - alld[len(TE_GRID) // 2]) > 1e-9:
                raise RuntimeError(f"ari_fast disagrees with _metrics: {alld} vs {ref}")
        ecb[m] = dict(P=P, train=train, alld=alld)
    print(f"ECB+ done {time.time() - t0:.0f}s")

    def sem_heldout(choice):  # choice[f] = (m, t)
        pred = np.zeros(len(OVR), bool)
        pooled = np.zeros(len(OVR))
        rhos = []
        for f, (m, t) in enumerate(choice):
            te = SEM_FOLD == f
            pred[te] = sem[m]["sc"][te] >= t
            pooled[te] = sem[m]["sc"][te]
            rhos.append(rho(sem[m]["sc"], te))
        y, p = SAME[LABD], pred[LABD]
        tp, fp, fn = (p & y).sum(), (p & ~y).sum(), (~p & y).sum()
        F = 2 * tp / (2 * tp + fp + fn)
        per = []
        for f in range(5):
            k = (SEM_FOLD == f)[LABD]
            a, b, c = (p & y & k).sum(), (p & ~y & k).sum(), (~p & y & k).sum()
            per.append(f"{2 * a / max(2 * a + b + c, 1):.2f}(tp{a} fp{b} fn{c})")
        return (
            float(F),
            float(np.mean(rhos)),
            float(spearmanr(pooled, -OVR).statistic),
            " ".join(per),
            [round(r, 3) for r in rhos],
        )

    def ecb_heldout(choice):  # choice[f] = (m, c)
        return held_ecb([(ecb[m]["P"], c) for m, c in choice])

    R = {}
    # baseline: weights fixed, t (unconstrained) and tE by CV
    b_sem = [(0, sem[0]["folds"][f][1]) for f in range(5)]
    b_ecb = [(0, pick_te(ecb[0]["train"][f])[0]) for f in range(5)]
    R["baseline"] = dict(
        sem=sem_heldout(b_sem),
        ecb=ecb_heldout(b_ecb),
        t=[t for _, t in b_sem],
        tE=[float(TE_GRID[c]) for _, c in b_ecb],
    )
    # baseline with library defaults (t=0.35, tE=0.15), no fitting
    c15 = int(np.flatnonzero(np.isclose(TE_GRID, 0.15))[0])
    R["baseline_defaults"] = dict(sem=sem_heldout([(0, 0.35)] * 5), ecb=ecb_heldout([(0, c15)] * 5))

    # nested selections among feasible mixes
    def select(crit):
        sem_c, ecb_c, chosen = [], [], []
        for f in range(5):
            best = max(feas, key=lambda m: crit(m, f))
            chosen.append(best)
            sem_c.append((best, sem[best]["folds"][f][1]))
            ecb_c.append((best, pick_te(ecb[best]["train"][f])[0]))
        return dict(
            mixes=[label(M[m]) for m in chosen],
            sem=sem_heldout(sem_c),
            ecb=ecb_heldout(ecb_c),
            t=[round(t, 4) for _, t in sem_c],
            tE=[float(TE_GRID[c]) for _, c in ecb_c],
            idx=chosen,
        )

    bF = [sem[0]["folds"][f][0] for f in range(5)]
    bA = [pick_te(ecb[0]["train"][f])[1] for f in range(5)]
    R["cv_semeval_only"] = select(lambda m, f: (sem[m]["folds"][f][0], sem[m]["folds"][f][2]))
    R["cv_ecb_only"] = select(lambda m, f: (pick_te(ecb[m]["train"][f])[1], 0))
    R["cv_combined"] = select(
        lambda m, f: (
            0.5 * (sem[m]["folds"][f][0] / bF[f] + pick_te(ecb[m]["train"][f])[1] / bA[f]),
            sem[m]["folds"][f][2],
        )
    )

    # all-data fits (NOT results)
    def fitscore(m):
        return 0.5 * (
            sem[m]["fit"][0] / sem[0]["fit"][0] + ecb[m]["alld"].max() / ecb[0]["alld"].max()
        )

    ranked = sorted(feas, key=lambda m: (fitscore(m), sem[m]["fit"][2]), reverse=True)
    fits = []
    for m in [0] + ranked[:10]:
        fits.append(
            dict(
                mix=label(M[m]),
                seeds=[round(x, 4) for x in info[m]["seeds"]],
                interval=[round(info[m]["lo"], 4), round(info[m]["hi"], 4)],
                semF1=round(sem[m]["fit"][0], 4),
                t=round(sem[m]["fit"][1], 4),
                rho=round(sem[m]["fit"][2], 4),
                ecbARI=round(float(ecb[m]["alld"].max()), 4),
                tE=float(TE_GRID[ecb[m]["alld"].argmax()]),
                combined=round(fitscore(m), 4),
            )
        )
    R["fits_top"] = fits
    # fixed-weight CV (thresholds only) for the top fits (weights chosen on all data -> optimistic)
    fixed = []
    for m in [0] + ranked[:5]:
        sc = [(m, sem[m]["folds"][f][1]) for f in range(5)]
        ec = [(m, pick_te(ecb[m]["train"][f])[0]) for f in range(5)]
        Sh, Eh = sem_heldout(sc), ecb_heldout(ec)
        # shares above the (all-data fitted) thresholds
        s = sem[m]["sc"]
        t = sem[m]["fit"][1]
        te = float(TE_GRID[ecb[m]["alld"].argmax()])
        S = np.tensordot(M[m], ECB, axes=1)
        iu = np.triu_indices(N, 1)
        same = (np.array(LAB)[:, None] == np.array(LAB)[None, :])[iu]
        sv = S[iu]
        fixed.append(
            dict(
                mix=label(M[m]),
                sem_heldout=Sh,
                ecb_heldout=Eh,
                t_folds=[round(x[1], 4) for x in sc],
                tE_folds=[float(TE_GRID[x[1]]) for x in ec],
                sem_same_above_t=float((s[SAME] >= t).mean()),
                sem_diff_above_t=float((s[DIFF] >= t).mean()),
                ecb_same_above_tE=float((sv[same] >= te).mean()),
                ecb_diff_above_tE=float((sv[~same] >= te).mean()),
                rho_all=sem[m]["fit"][2],
            )
        )
    R["fixed_weight_cv"] = fixed
    # how many feasible mixes beat baseline on each fold-train (sanity)
    R["n_feasible"] = len(feas)
    R["n_mixes"] = len(M)
    for k in ("cv_semeval_only", "cv_ecb_only", "cv_combined"):
        R[k].pop("idx")
    print(json.dumps(R, indent=1, default=float))
    if len(sys.argv) > 2 and sys.argv[1] == "--json":
        with open(sys.argv[2], "w") as fh:
            json.dump(R, fh, indent=1, default=float)
    print(f"total {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
