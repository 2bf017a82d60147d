"""How rare a content term is in general news language: fixed background frequencies.

    term ids --lookup in data/rarity/zipf.npz--> zipf frequency (log10 per billion words, 0 absent)
             --rarity()--> weight: max(7 - zipf, 0.25), so names and places weigh more than
                                  words every report uses

The table is built once from wordfreq's Arabic and English lists, folded through dupdetect's own
normalization and stemming (``benchmarks/build_rarity.py``); it ships with the package, so a
pair's score never depends on the batch it is in. Data: wordfreq (Robyn Speer et al.),
CC BY-SA 4.0 — see ``data/rarity/NOTICE``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["zipf", "rarity", "rules_digest", "TABLE_PATH", "MAX_ZIPF", "MIN_RARITY"]

TABLE_PATH = str(Path(__file__).resolve().parent / "data" / "rarity" / "zipf.npz")
#: A term as frequent as this or more gets the smallest weight.
MAX_ZIPF = 7.0
#: The smallest weight: even the commonest content term counts a little.
MIN_RARITY = 0.25


def rules_digest() -> str:
    """A digest of the rules that turn words into terms (stopwords, prefixes, suffixes, the
    normalization table), stored with the table: a test fails when they change and the table
    was not rebuilt."""
    from . import terms as tm
    from .normalize import normalize

    parts = [
        " ".join(sorted(tm.STOPWORDS)),
        " ".join(tm.PREFIXES),
        " ".join(tm.SUFFIXES),
        normalize("أإآٱ ىئیے ةہھەۀۃ ؤ کڪ ٠١٢٣٤٥٦٧٨٩ ۰۱۲۳ ،؛؟ «» ـ ABC"),
    ]
    return hashlib.blake2b("\n".join(parts).encode("utf-8"), digest_size=8).hexdigest()


@lru_cache(maxsize=1)
def _table() -> tuple[np.ndarray, np.ndarray, str]:
    try:
        with np.load(TABLE_PATH) as data:
            return data["ids"], data["zipf20"].astype(np.float32) / 20.0, str(data["rules"])
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the rarity table {TABLE_PATH} is missing from this installation of dupdetect; "
            "reinstall the package (or rebuild it: python benchmarks/build_rarity.py)"
        ) from None


def zipf(ids: np.ndarray) -> np.ndarray:
    """The zipf frequency of each term id (float32; 0 for a term not in the table)."""
    table_ids, table_zipf, _ = _table()
    ids = np.asarray(ids, dtype=np.uint32)
    pos = np.minimum(np.searchsorted(table_ids, ids), max(table_ids.size - 1, 0))
    out = np.zeros(ids.shape, dtype=np.float32)
    if table_ids.size:
        hit = table_ids[pos] == ids
        out[hit] = table_zipf[pos[hit]]
    return out


def rarity(ids: np.ndarray) -> np.ndarray:
    """The weight of each term id: ``max(MAX_ZIPF - zipf, MIN_RARITY)`` (float32)."""
    return np.maximum(np.float32(MAX_ZIPF) - zipf(ids), np.float32(MIN_RARITY))


def table_rules() -> str:
    """The rules digest the shipped table was built with."""
    return _table()[2]
