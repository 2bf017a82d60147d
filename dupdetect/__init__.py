"""dupdetect: find reports of the same news story across outlets (Arabic first).

Public API::

    dupdetect.cluster(paths, *, threshold=..., ...) -> Clustering
    dupdetect.cluster_texts(texts, *, ...)          -> Clustering
    dupdetect.similarity(a, b)                      -> float in [0, 1]
    dupdetect.explain(a, b)                         -> Explanation
    dupdetect.normalize(text)                       -> str
    dupdetect.strip_boilerplate(text)               -> str
    dupdetect.Settings                              (frozen, validated settings)
    dupdetect.StoryIndex                            (incremental: add() -> story id, score)
"""

from __future__ import annotations

from .boilerplate import strip_boilerplate
from .normalize import normalize
from .pipeline import Cluster, Clustering, Member, Pair, cluster, cluster_texts
from .settings import Settings
from .similarity import Explanation, explain, similarity
from .story import Assignment, Match, MergeEvent, StoryIndex, StoryMember

__version__ = "0.1.0"

__all__ = [
    "cluster",
    "cluster_texts",
    "similarity",
    "explain",
    "normalize",
    "strip_boilerplate",
    "Settings",
    "Clustering",
    "Cluster",
    "Member",
    "Pair",
    "Explanation",
    "StoryIndex",
    "Assignment",
    "Match",
    "MergeEvent",
    "StoryMember",
    "sample_dir",
    "__version__",
]


def sample_dir() -> str:
    """Folder of the built-in sample: short Arabic reports written for dupdetect."""
    from importlib.resources import files

    return str(files("dupdetect") / "data" / "sample")
