"""Build dupdetect/data/rarity/zipf.npz: background frequencies of content terms.

    pip install wordfreq && python benchmarks/build_rarity.py

The score weighs shared rare terms (names, places) above shared common ones, with rarities that
do not depend on the batch (so a pair scores the same in cluster(), StoryIndex and Spark). They
come from wordfreq's Arabic and English word lists (CC BY-SA 4.0, see the NOTICE beside the
table), folded through dupdetect's own normalize() and content_terms(): frequencies of words that
fold to the same term (الحكومة، والحكومة، للحكومة -> حكوم) are summed. Stored as sorted uint32
term ids (the library's term hash) and uint8 zipf x 20, with a digest of the term rules, so a
change of stemming or stopwords that would make the table stale is caught by a test.
Run it again after changing dupdetect/terms.py or dupdetect/normalize.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dupdetect.features import term_ids  # noqa: E402
from dupdetect.normalize import normalize  # noqa: E402
from dupdetect.rarity import TABLE_PATH, rules_digest  # noqa: E402
from dupdetect.terms import content_terms  # noqa: E402

MIN_ZIPF = 1.5  # rarer terms are left out: absent terms get the rarest weight anyway


def build() -> tuple[np.ndarray, np.ndarray]:
    from wordfreq import iter_wordlist, word_frequency

    freq: dict[str, float] = {}
    for lang in ("ar", "en"):
        for w in iter_wordlist(lang):
            f = word_frequency(w, lang)
            if f * 1e9 < 10**MIN_ZIPF / 4:
                break  # the lists are sorted by frequency
            terms = content_terms(normalize(w))
            if len(terms) == 1:
                freq[terms[0]] = freq.get(terms[0], 0.0) + f
    names = [t for t, f in freq.items() if np.log10(f * 1e9) >= MIN_ZIPF]
    ids = term_ids(names).astype(np.uint64)
    zipf = np.log10(np.array([freq[t] for t in names]) * 1e9)
    order = np.lexsort((-zipf, ids))  # a 32-bit id collision keeps the more frequent term
    ids, zipf = ids[order], zipf[order]
    keep = np.r_[True, ids[1:] != ids[:-1]]
    return ids[keep].astype(np.uint32), np.clip(np.round(zipf[keep] * 20), 0, 255).astype(np.uint8)


def main() -> None:
    t = time.perf_counter()
    ids, z20 = build()
    np.savez_compressed(TABLE_PATH, ids=ids, zipf20=z20, rules=np.array(rules_digest()))
    size = Path(TABLE_PATH).stat().st_size
    print(
        f"{len(ids)} terms -> {TABLE_PATH} ({size / 1e6:.2f} MB) in {time.perf_counter() - t:.0f} s"
    )


if __name__ == "__main__":
    main()
