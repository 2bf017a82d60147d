"""How the English cut (``Settings.latin_threshold``) was chosen, and its held-out figure.

    python benchmarks/cv_latin_threshold.py [--cuts 0.12,0.15,...]

ECB+ dev (English, 42 events in 20 topics, ``../shared/eval/ecbplus_dev``): one
``cluster_texts`` of all 496 documents per candidate cut, ARI and B-cubed F1 against the event
labels. The default is the cut with the best ARI over all dev topics; its held-out estimate:
five folds of topics, the cut chosen on four folds and scored on the fifth (every document is
scored by a cut chosen without its topic). Arabic pairs are not affected by this setting.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data as data  # noqa: E402
from _metrics import adjusted_rand, bcubed  # noqa: E402

import dupdetect  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cuts", default="0.10,0.12,0.15,0.18,0.20,0.22,0.25,0.28,0.30,0.35")
    a = p.parse_args(argv)
    got = data.ecbplus()
    if got is None:
        print("ECB+ dev is absent: nothing to measure")
        return 0
    folder, labels = got
    names = sorted(labels)
    texts = {n: (folder / n).read_text(encoding="utf-8") for n in names}
    cuts = [float(c) for c in a.cuts.split(",")]
    pred: dict[float, dict[str, str]] = {}
    print("| latin_threshold | ARI | B-cubed F1 | clusters |\n|---:|---:|---:|---:|")
    for cut in cuts:
        r = dupdetect.cluster_texts(texts, latin_threshold=cut)
        pred[cut] = {m.id: c.id for c in r.clusters for m in c.members}
        truth = [labels[n] for n in names]
        guess = [pred[cut][n] for n in names]
        print(
            f"| {cut} | {adjusted_rand(truth, guess):.3f} | {bcubed(truth, guess)[2]:.3f} | {len(r.clusters)} |"
        )
    topics = sorted({n.split("_")[0] for n in names})
    folds = [topics[i::5] for i in range(5)]
    held: dict[str, str] = {}
    for fold in folds:
        train = [n for n in names if n.split("_")[0] not in fold]
        best = max(
            cuts,
            key=lambda c: adjusted_rand([labels[n] for n in train], [pred[c][n] for n in train]),
        )
        print(f"topics {','.join(fold)}: cut {best} chosen on the other folds")
        for n in names:
            if n.split("_")[0] in fold:
                held[n] = f"{best}:{pred[best][n]}"
    truth = [labels[n] for n in names]
    guess = [held[n] for n in names]
    print(
        f"held-out: ARI {adjusted_rand(truth, guess):.3f}, B-cubed F1 {bcubed(truth, guess)[2]:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
