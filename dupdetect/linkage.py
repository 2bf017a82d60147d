"""Verified pairs -> clusters that resist chaining.

1. :class:`UnionFind` joins documents linked by a verified pair at or above the threshold into
   connected components (cheap, and it bounds the work of step 2).
2. Inside each component, :func:`average_linkage` merges clusters while the *average* similarity
   between all their members is at or above the threshold; pairs without a score count as 0.
   A chain A~B~C~D of pairwise-similar articles, whose ends are unrelated, therefore stops
   merging when the unrelated pairs pull the average down, where connected components (single
   linkage) would return one cluster.

Ties are broken by the lowest document index, so the result does not depend on dict order or
on the process.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import numpy as np

__all__ = ["UnionFind", "average_linkage", "components"]


class UnionFind:
    """Disjoint sets over ``0..n-1`` with path halving and union by size."""

    def __init__(self, n: int) -> None:
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if self.size[ra] < self.size[rb] or (self.size[ra] == self.size[rb] and rb < ra):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        return ra

    def groups(self) -> list[list[int]]:
        """Sets as sorted lists, ordered by their smallest member."""
        by_root: dict[int, list[int]] = {}
        for x in range(len(self.parent)):
            by_root.setdefault(self.find(x), []).append(x)
        return sorted(by_root.values(), key=lambda g: g[0])


def components(n: int, pairs: np.ndarray) -> list[list[int]]:
    """Connected components of ``0..n-1`` under ``pairs`` (an ``(m, 2)`` array)."""
    uf = UnionFind(n)
    for a, b in np.asarray(pairs, dtype=np.int64).reshape(-1, 2).tolist():
        uf.union(a, b)
    return uf.groups()


def average_linkage(
    members: list[int],
    edges: Iterable[tuple[int, int, float]],
    threshold: float,
    *,
    times: np.ndarray | None = None,
    window: float | None = None,
) -> list[list[int]]:
    """Average-linkage clusters of ``members`` cut at ``threshold``.

    ``edges`` are ``(a, b, similarity)`` between members; missing pairs count as 0. Returns sorted
    member lists ordered by their smallest member.

    ``times`` (indexed by member, NaN when unknown) and ``window`` (seconds) add a cannot-link
    constraint: two clusters merge only if every pair of their members with known times is at
    most ``window`` apart, i.e. the merged cluster's time span stays within the window. Spans only
    grow by merging, so a merge refused once is never possible later.
    """
    # one function on purpose: the heap, the sums and the spans are updated together per merge
    cid = {m: i for i, m in enumerate(sorted(members))}
    clusters: dict[int, list[int]] = {i: [m] for m, i in cid.items()}
    span: dict[int, tuple[float, float]] = {}  # cluster -> (earliest, latest) known time
    if times is not None and window is not None:
        for m, i in cid.items():
            t = float(times[m])
            if t == t:  # not NaN
                span[i] = (t, t)
    constrained = window is not None and bool(span)
    adj: dict[int, dict[int, float]] = {i: {} for i in clusters}
    for a, b, s in edges:
        ia, ib = cid[a], cid[b]
        if ia == ib or s <= 0:
            continue
        adj[ia][ib] = adj[ia].get(ib, 0.0) + s
        adj[ib][ia] = adj[ib].get(ia, 0.0) + s
    heap: list[tuple[float, int, int, int, int]] = []

    def too_far(x: int, y: int) -> bool:
        sx, sy = span.get(x), span.get(y)
        if sx is None or sy is None:
            return False
        return max(sx[1], sy[1]) - min(sx[0], sy[0]) > window  # type: ignore[operator]

    def push(x: int, y: int) -> None:
        if x > y:
            x, y = y, x
        if constrained and too_far(x, y):
            return
        avg = adj[x][y] / (len(clusters[x]) * len(clusters[y]))
        if avg >= threshold:
            heapq.heappush(heap, (-avg, clusters[x][0], clusters[y][0], x, y))

    for x in list(adj):
        for y in adj[x]:
            if x < y:
                push(x, y)
    next_id = len(clusters)
    while heap:
        neg, _, _, x, y = heapq.heappop(heap)
        if x not in clusters or y not in clusters or y not in adj[x]:
            continue
        avg = adj[x][y] / (len(clusters[x]) * len(clusters[y]))
        if abs(avg + neg) > 1e-12:  # stale entry: sizes or sums changed since it was pushed
            continue
        z = next_id
        next_id += 1
        clusters[z] = sorted(clusters.pop(x) + clusters.pop(y))
        if constrained:
            known = [s for s in (span.pop(x, None), span.pop(y, None)) if s is not None]
            if known:
                span[z] = (min(s[0] for s in known), max(s[1] for s in known))
        nz: dict[int, float] = {}
        for old in (x, y):
            for w, s in adj.pop(old).items():
                if w in (x, y):
                    continue
                nz[w] = nz.get(w, 0.0) + s
                del adj[w][old]
        adj[z] = nz
        for w, s in nz.items():
            adj[w][z] = s
            push(w, z)
    return sorted(clusters.values(), key=lambda g: g[0])
