"""A :class:`~dupdetect.Clustering` -> the JSON-able data the report page renders.

    Clustering --provenance--> stories: members in the order reported, relation, resembles
      member text + explain(member, representative) --highlight--> marked excerpt
    singletons --> compact rows [id, title, outlet, time, flag]

Everything here is plain data (str, numbers, lists): the page builds its DOM from it with
``textContent``, never as markup, so untrusted titles and texts cannot inject anything.
"""

from __future__ import annotations

from typing import Any

from ..provenance import COPY_MIN, REWRITE_MIN
from ..result import Cluster, Clustering
from ..similarity import explain
from .highlight import excerpt, passage_spans

__all__ = ["payload", "text_direction", "SINGLE_TITLE_CHARS"]

SINGLE_TITLE_CHARS = 160  # singletons show a title only; long first lines are cut here


def _is_rtl(ch: str) -> bool:
    o = ord(ch)
    return 0x0590 <= o <= 0x08FF or 0xFB1D <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF


def text_direction(titles: list[str]) -> str:
    """``rtl`` when most strongly directional letters of ``titles`` are right-to-left (Arabic,
    Hebrew, Syriac, Thaana), else ``ltr``: the page's base direction."""
    rtl = ltr = 0
    for t in titles[:2000]:
        for ch in t:
            if _is_rtl(ch):
                rtl += 1
            elif ch.isalpha():
                ltr += 1
    return "rtl" if rtl > ltr else "ltr"


def _body_start(text: str, title: str) -> int:
    """Where the body starts: after the first line when that line is the title (shown apart)."""
    head, nl, _ = text.partition("\n")
    return len(head) + 1 if nl and title and head.strip() == title.strip() else 0


class _Outlets:
    """Outlet names -> small ints (the page keeps one list of names)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._at: dict[str, int] = {}

    def __call__(self, name: str | None) -> int:
        if not name:
            return -1
        if name not in self._at:
            self._at[name] = len(self.names)
            self.names.append(name)
        return self._at[name]


def _story(result: Clustering, c: Cluster, outlet: _Outlets, budget: int) -> dict[str, Any]:
    prov = result.provenance(c)
    by_id = {m.id: m for m in c.members}
    position = {doc_id: k for k, doc_id in enumerate(prov.order)}
    rep_text = result.texts.get(c.representative)
    members = []
    for link in prov.links:
        m = by_id[link.id]
        text = result.texts.get(m.id)
        shared = None
        if text is None:
            pieces: list[tuple[str, int]] = []
        elif m.id == c.representative or rep_text is None:
            pieces = excerpt(text, budget=budget // 2, start=_body_start(text, m.title))
        else:
            e = explain(text, rep_text)
            shared = round(e.coverage_a, 3)
            spans = passage_spans(text, e.passages)
            pieces = excerpt(text, spans, budget=budget, start=_body_start(text, m.title))
        members.append(
            {
                "id": str(m.id),
                "title": m.title,
                "outlet": outlet(m.source),
                "t": m.published,
                "score": round(m.score, 3),
                "rel": link.relation,
                "like": None if link.resembles is None else position[link.resembles],
                "sim": None if link.similarity is None else round(link.similarity, 3),
                "after": link.after,
                "shared": shared,
                "flag": result.flags.get(m.id),
                "text": [[p, k] for p, k in pieces],
            }
        )
    return {
        "id": c.id,
        "size": c.size,
        "cohesion": round(c.score, 3),
        "rep": position[c.representative],
        "basis": prov.basis,
        "start": prov.start,
        "end": prov.end,
        "outlets": [[outlet(name), n] for name, n in prov.outlets],
        "members": members,
    }


def payload(
    result: Clustering,
    *,
    title: str,
    direction: str = "auto",
    excerpt_chars: int = 600,
    singletons: bool = True,
) -> dict[str, Any]:
    """The page's data: stories (clusters of 2+, in the result's order: largest first),
    singletons (unless ``singletons=False``), errors and the settings that produced them."""
    outlet = _Outlets()
    stories = [_story(result, c, outlet, excerpt_chars) for c in result.groups]
    singles = []
    if singletons:
        for c in result.clusters:
            if c.size == 1:
                m = c.members[0]
                singles.append(
                    [
                        str(m.id),
                        m.title[:SINGLE_TITLE_CHARS],
                        outlet(m.source),
                        m.published,
                        result.flags.get(m.id),
                    ]
                )
    if direction == "auto":
        titles = [s["members"][s["rep"]]["title"] for s in stories] + [r[1] for r in singles]
        direction = text_direction(titles)
    return {
        "version": 1,
        "title": title,
        "dir": direction,
        "summary": result.summary(),
        "settings": {
            "threshold": result.settings.threshold,
            "fingerprint": result.settings.fingerprint,
            "copy_min": COPY_MIN,
            "rewrite_min": REWRITE_MIN,
        },
        "outlets": outlet.names,
        "stories": stories,
        "singles": singles,
        "singles_total": sum(1 for c in result.clusters if c.size == 1),
        "errors": [[str(i), str(msg)] for i, msg in result.errors[:1000]],
        "errors_total": len(result.errors),
    }
