"""dupdetect: find reports of the same news story across outlets (Arabic first).

Public API::

    dupdetect.cluster(paths, *, threshold=..., ...) -> Clustering
    dupdetect.cluster_texts(texts, *, ...)          -> Clustering
    dupdetect.cluster_frame(df, *, text="text", ...) -> df + cluster, score, relation
    result.provenance(cluster) / result.report()    -> Provenance / Report (HTML page)
    dupdetect.similarity(a, b)                      -> float in [0, 1]
    dupdetect.explain(a, b)                         -> Explanation
    dupdetect.normalize(text)                       -> str
    dupdetect.strip_boilerplate(text)               -> str
    dupdetect.Settings                              (frozen, validated settings)
    dupdetect.StoryIndex                            (incremental: add() -> story id, score)
"""

from __future__ import annotations

from .boilerplate import strip_boilerplate
from .frame import cluster_frame
from .normalize import normalize
from .pipeline import Cluster, Clustering, Member, Pair, cluster, cluster_texts
from .provenance import Link, Provenance
from .report import Report
from .settings import Settings
from .similarity import Explanation, explain, similarity
from .story import Assignment, Match, MergeEvent, StoryIndex, StoryMember

__version__ = "0.1.0"

__all__ = [
    "cluster",
    "cluster_texts",
    "cluster_frame",
    "similarity",
    "explain",
    "normalize",
    "strip_boilerplate",
    "Settings",
    "Clustering",
    "Cluster",
    "Member",
    "Pair",
    "Provenance",
    "Link",
    "Report",
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
