"""Measure the thresholds that name a member's relation to the earlier reports of its story.

    SaudiNewsNet: same normalized title in 2+ outlets, body char-5 Jaccard >= 0.5 -> wire copies
    SemEval-2022 ar-ar: overall 1 (same story) -> rewrites; overall 2 (somewhat similar) -> same event
      -> dupdetect.similarity of every pair -> the cut that best separates each two groups
         (balanced accuracy, the middle of the best plateau, two decimals)
      -> COPY_MIN, REWRITE_MIN in dupdetect/provenance.py (with --write)

Re-measure after any change to the score: ``python benchmarks/measure_relations.py --write``.
The data is read from ``../shared/eval`` by ``_data.py`` ($DUPDETECT_EVAL to change).
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data as data  # noqa: E402

import dupdetect  # noqa: E402
from dupdetect.normalize import normalize  # noqa: E402

PROVENANCE = REPO / "dupdetect" / "provenance.py"
MIN_TITLE = 15  # normalized characters: shorter titles ("أخبار", "بيان") repeat by chance
MIN_BODY_JACCARD = 0.5


def _char5(text: str) -> set[str]:
    t = normalize(text)
    return {t[i : i + 5] for i in range(len(t) - 4)}


def wire_copies(records: list[dict]) -> list[tuple[str, str]]:
    """Pairs of documents from different outlets with the same normalized title and bodies
    whose character 5-gram Jaccard is at least ``MIN_BODY_JACCARD`` (one article per outlet)."""
    by_title: dict[str, dict[str, dict]] = {}
    for rec in records:
        t = normalize(rec["title"])
        if len(t) > MIN_TITLE:
            by_title.setdefault(t, {}).setdefault(rec.get("source") or "", rec)
    out = []
    for per_outlet in by_title.values():
        for a, b in itertools.combinations(per_outlet.values(), 2):
            sa, sb = _char5(a.get("content") or ""), _char5(b.get("content") or "")
            if sa and sb and len(sa & sb) / len(sa | sb) >= MIN_BODY_JACCARD:
                out.append((a["text"], b["text"]))
    return out


def semeval_pairs(rows: list[dict]) -> dict[float, list[tuple[str, str]]]:
    """SemEval pairs (title, then body) by their ``overall`` grade (1 same story ... 4 unrelated)."""
    out: dict[float, list[tuple[str, str]]] = {}
    for r in rows:
        pair = (f"{r['title_1']}\n{r['text_1']}", f"{r['title_2']}\n{r['text_2']}")
        out.setdefault(float(r["overall"]), []).append(pair)
    return out


def best_cut(above: np.ndarray, below: np.ndarray) -> tuple[float, float]:
    """The cut ``t`` (two decimals) that best separates ``above >= t`` from ``below < t`` by
    balanced accuracy, taken in the middle of the best plateau; and that accuracy."""
    grid = np.round(np.arange(0.0, 1.0001, 0.01), 2)
    acc = np.array([0.5 * ((above >= t).mean() + (below < t).mean()) for t in grid])
    best = np.flatnonzero(acc >= acc.max() - 1e-12)
    # the widest run of consecutive best cuts, then its middle (robust to a lucky single cut)
    runs = np.split(best, np.flatnonzero(np.diff(best) > 1) + 1)
    run = max(runs, key=len)
    t = float(grid[run[len(run) // 2]])
    return t, float(acc.max())


def _pct(x: np.ndarray) -> str:
    p = np.percentile(x, [5, 25, 50, 75, 95])
    return " ".join(f"{v:.3f}" for v in p)


def write_constants(values: dict[str, tuple[float, str]]) -> None:
    """Replace the ``NAME = value  # ...`` lines of provenance.py with the measured values."""
    src = PROVENANCE.read_text(encoding="utf-8")
    for name, (value, note) in values.items():
        line = f"{name} = {value:.2f}  # {note}"
        src, n = re.subn(rf"^{name} = .*$", line, src, count=1, flags=re.MULTILINE)
        if n != 1:
            raise SystemExit(f"{PROVENANCE}: no line '{name} = ...' to replace")
    PROVENANCE.write_text(src, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="update the constants in provenance.py")
    args = ap.parse_args(argv)
    records, rows = data.saudinewsnet(), data.semeval()
    if records is None or rows is None:
        print(f"skipped: SaudiNewsNet or SemEval is absent from {data.EVAL}")
        return 0
    copies = np.array([dupdetect.similarity(a, b) for a, b in wire_copies(records)])
    graded = semeval_pairs(rows)
    rewrites = np.array([dupdetect.similarity(a, b) for a, b in graded.get(1.0, [])])
    events = np.array([dupdetect.similarity(a, b) for a, b in graded.get(2.0, [])])
    print(
        f"dupdetect {dupdetect.__version__}, score = dupdetect.similarity; percentiles 5/25/50/75/95"
    )
    print(f"  wire copies (SaudiNewsNet)     n={len(copies):4d}  {_pct(copies)}")
    print(f"  same story (SemEval overall 1) n={len(rewrites):4d}  {_pct(rewrites)}")
    print(f"  same event (SemEval overall 2) n={len(events):4d}  {_pct(events)}")
    copy_min, copy_acc = best_cut(copies, rewrites)
    rewrite_min, rewrite_acc = best_cut(rewrites, events)
    c_note = (
        f"measured: {(copies >= copy_min).mean():.0%} of {len(copies)} wire copies at or "
        f"above, {(rewrites < copy_min).mean():.0%} of {len(rewrites)} rewrites below"
    )
    r_note = (
        f"measured: {(rewrites >= rewrite_min).mean():.0%} of {len(rewrites)} rewrites at "
        f"or above, {(events < rewrite_min).mean():.0%} of {len(events)} same-event below"
    )
    print(f"COPY_MIN = {copy_min:.2f}     (balanced accuracy {copy_acc:.3f}; {c_note})")
    print(f"REWRITE_MIN = {rewrite_min:.2f}  (balanced accuracy {rewrite_acc:.3f}; {r_note})")
    if args.write:
        write_constants({"COPY_MIN": (copy_min, c_note), "REWRITE_MIN": (rewrite_min, r_note)})
        print(f"written to {PROVENANCE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
