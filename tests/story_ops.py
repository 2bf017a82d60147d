"""A random but reproducible workload for StoryIndex (adds, rewrites, removals, redeliveries,
evictions, merges) and a full record of what it answered, to compare two storages."""

from __future__ import annotations

import random
from typing import Any

from story_texts import sentence

from dupdetect import StoryIndex


def run_ops(
    idx: StoryIndex, steps: int, seed: int = 3, pool: int = 300, prefix: str = "d"
) -> list[Any]:
    """Drive ``idx`` through ``steps`` operations (new doc ids ``prefix<i>``); returns everything
    it answered."""
    rng = random.Random(seed)
    sents = [sentence(50_000 + i) for i in range(pool)]
    texts: dict[str, list[int]] = {}
    out: list[Any] = []
    t = 1.7e9 + 1e6 * seed
    for i in range(steps):
        t += rng.uniform(0, 600)
        op = rng.random()
        if idx.window is not None:  # eviction runs inside add: forget what it took
            for d in [d for d in texts if d not in idx]:
                del texts[d]
        if op < 0.1 and texts:  # remove
            d = rng.choice(sorted(texts))
            idx.remove(d)
            del texts[d]
            out.append(("rm", d))
            continue
        if op < 0.15 and texts:  # redelivery, or a corrected text under the same id
            d = rng.choice(sorted(texts))
            if rng.random() < 0.5:
                texts[d][rng.randrange(len(texts[d]))] = rng.randrange(pool)
            a = idx.add(d, " ".join(sents[k] for k in texts[d]), published=t, replace=True)
        else:
            if op < 0.5 and texts:  # a rewrite of an earlier article
                p = list(texts[rng.choice(sorted(texts))])
                p[rng.randrange(len(p))] = rng.randrange(pool)
            else:
                p = [rng.randrange(pool) for _ in range(rng.choice((1, 3, 5)))]
            d = f"{prefix}{i}"
            texts[d] = p
            meta = {"i": i} if i % 4 == 0 else None
            a = idx.add(d, " ".join(sents[k] for k in p), published=t, meta=meta)
        out.append((a.doc_id, a.story_id, round(a.score, 9), a.new_story, a.matches, a.merged))
        if i % 97 == 0:
            out.append(("evict", idx.evict()))
    out.append(("stories", [(s, idx.story(s)) for s in idx.stories()]))
    out.append(("of", sorted((d, idx.story_of(d)) for d in texts if d in idx)))
    out.append(("events", idx.events()))
    return out
