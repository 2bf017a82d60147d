"""How phrase length trades the seeds' separation against SemEval's ranking (#13 research).

For n = 1..4: the cosine of the two texts' content-term n-gram counts (content terms as the
library makes them, ``dupdetect.features.prepare``) for the seeds' three pairs, and its Spearman
correlation with SemEval-2022 ar-ar dev's -overall (121 pairs); then today's score and two mixes.

    python benchmarks/measure_ngrams.py

Reads ``../shared`` through ``_data.py`` (skips when absent). Needs scipy (the ``dev`` extra).
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data  # noqa: E402

from dupdetect import similarity  # noqa: E402
from dupdetect.features import prepare  # noqa: E402


def _cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def ngram_cosines(x: str, y: str) -> list[float]:
    """Cosines of content-term n-gram counts, n = 1..4."""
    tx, ty = prepare(x), prepare(y)
    out = []
    for n in (1, 2, 3, 4):
        a = Counter(zip(*[tx[i:] for i in range(n)]))
        b = Counter(zip(*[ty[i:] for i in range(n)]))
        out.append(_cosine(a, b))
    return out


def main() -> None:
    from scipy.stats import spearmanr

    seeds, rows = _data.seeds(), _data.semeval()
    if seeds is None or rows is None:
        print("skipped: ../shared seeds or SemEval not found")
        return
    text = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))}
    pairs = (("000", "003"), ("000", "001"), ("001", "003"))
    seed_f = [ngram_cosines(text[a], text[b]) for a, b in pairs]
    feats = [
        ngram_cosines(f"{r['title_1']}\n{r['text_1']}", f"{r['title_2']}\n{r['text_2']}")
        for r in rows
    ]
    y = [-r["overall"] for r in rows]
    print("| n-grams | seeds 000-003 / 000-001 / 001-003 | SemEval Spearman |")
    print("|---|---|---:|")
    for n in range(4):
        seeds_txt = " / ".join(f"{f[n]:.3f}" for f in seed_f)
        rho = spearmanr([f[n] for f in feats], y).statistic
        print(f"| {n + 1} | {seeds_txt} | {rho:.3f} |")
    today = [similarity(text[a], text[b]) for a, b in pairs]
    print(f"| today's score | {' / '.join(f'{v:.3f}' for v in today)} | ", end="")
    print(
        f"{spearmanr([0.5 * f[0] + 0.5 * f[1] for f in feats], y).statistic:.3f} (0.5 x 1 + 0.5 x 2) |"
    )
    for name, w in (
        ("0.5 x 1 + 0.5 x 3", (0.5, 0, 0.5)),
        ("0.5 x 1 + 0.25 x 2 + 0.25 x 3", (0.5, 0.25, 0.25)),
    ):
        mix = [sum(wi * fi for wi, fi in zip(w, f)) for f in feats]
        print(f"| {name} | | {spearmanr(mix, y).statistic:.3f} |")


if __name__ == "__main__":
    main()
