"""Synthetic Arabic articles for the StoryIndex tests (made-up words, written for the tests)."""

from __future__ import annotations

import random
from datetime import datetime, timezone

# Letters that the stemmer does not strip as affixes, so every made-up word stays a content term.
_LETTERS = "جدرزشصضطظعغقمحخثذ"
_rng = random.Random(7)
VOCAB = sorted(
    {"".join(_rng.choice(_LETTERS) for _ in range(_rng.randint(4, 6))) for _ in range(3000)}
)
T0 = datetime(2024, 11, 9, 8, 0, tzinfo=timezone.utc)


def sentence(seed: int) -> str:
    r = random.Random(seed)
    return " ".join(r.choice(VOCAB) for _ in range(12)) + "."


def article(*sentence_seeds: int) -> str:
    return " ".join(sentence(s) for s in sentence_seeds)


def variant(text: str, seed: int, changes: int = 4) -> str:
    """A light rewrite: a few words replaced."""
    r = random.Random(seed)
    words = text.split()
    for _ in range(changes):
        words[r.randrange(len(words))] = r.choice(VOCAB)
    return " ".join(words)


def group_text(group: int, k: int) -> str:
    """Report ``k`` of story ``group``: report 0 and light rewrites of it."""
    base = article(*(1000 * group + i for i in range(5)))
    return base if k == 0 else variant(base, 10_000 * group + k)
