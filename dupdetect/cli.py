"""Command line: ``dupdetect cluster PATH...``, ``dupdetect explain A B``, ``dupdetect sample``.

Exit codes: 0 ok (per-file errors are printed to stderr, not fatal), 2 usage error.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, NoReturn, TextIO

from . import __version__
from .pipeline import Clustering, cluster
from .similarity import explain

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors exit 2 with the usage line
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _unit(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 < x <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return x


def _duration(value: str) -> timedelta:
    """'72h', '3d', '90m' -> a timedelta (one parser with the API: a bare number is refused)."""
    from .timewindow import window_seconds

    try:
        seconds = window_seconds(value, name="--window")
    except (TypeError, ValueError) as e:
        raise argparse.ArgumentTypeError(str(e).replace('window="48h"', "--window 48h")) from None
    return timedelta(seconds=seconds or 0)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dupdetect", description="Find reports of the same news story.")
    p.add_argument("--version", action="version", version=f"dupdetect {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("cluster", help="group the articles at PATH... into stories")
    c.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or glob patterns")
    c.add_argument(
        "--threshold",
        type=_unit,
        default=None,
        help="similarity needed to share a cluster (default 0.35)",
    )
    c.add_argument(
        "--window",
        type=_duration,
        default=None,
        metavar="DURATION",
        help="never group articles whose dates (records' date field) are further apart, "
        "e.g. 72h or 3d",
    )
    c.add_argument("--format", choices=("table", "json", "csv"), default="table")
    c.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    c.add_argument("--all", action="store_true", help="table: also list singletons")
    c.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )

    s = sub.add_parser("sample", help="cluster the built-in sample of Arabic reports")
    s.add_argument("--format", choices=("table", "json", "csv"), default="table")

    e = sub.add_parser("explain", help="show what two article files share")
    e.add_argument("a", metavar="A")
    e.add_argument("b", metavar="B")

    sp = sub.add_parser(
        "spark", help="run the batch job on Apache Spark (dupdetect[spark])", add_help=False
    )
    sp.add_argument("rest", nargs=argparse.REMAINDER)
    return p


def _table(result: Clustering, out: TextIO, show_all: bool) -> None:
    print(result.summary(), file=out)
    for c in result.clusters:
        if c.size < 2 and not show_all:
            continue
        print(f"\n{c.id}  size={c.size}  cohesion={c.score:.3f}", file=out)
        for m in c.members:
            star = "*" if m.id == c.representative else " "
            print(f"  {star} {m.score:.3f}  {m.id}  {m.title[:80]}", file=out)
    singles = sum(1 for c in result.clusters if c.size == 1)
    if singles and not show_all:
        print(f"\n({singles} singletons not shown; --all lists them)", file=out)


def _write(result: Clustering, fmt: str, out: TextIO, show_all: bool = False) -> None:
    records = result.to_records()
    if fmt == "json":
        doc: dict[str, Any] = {
            "records": records,
            "clusters": [
                {
                    "id": c.id,
                    "size": c.size,
                    "score": c.score,
                    "representative": c.representative,
                    "members": c.ids,
                }
                for c in result.clusters
            ],
            "pairs": [{"a": p.a, "b": p.b, "similarity": p.similarity} for p in result.pairs],
            "errors": [{"input": i, "message": m} for i, m in result.errors],
        }
        json.dump(doc, out, ensure_ascii=False, indent=1, default=str)
        out.write("\n")
    elif fmt == "csv":
        w = csv.DictWriter(
            out, fieldnames=["id", "cluster", "score", "size", "representative", "title", "flag"]
        )
        w.writeheader()
        w.writerows(records)
    else:
        _table(result, out, show_all)


def _report_errors(result: Clustering) -> None:
    for inp, msg in result.errors:
        print(f"dupdetect: skipped {inp}: {msg}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dupdetect`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["spark"]:  # everything after "spark" belongs to the Spark job's own parser
        try:
            from .spark import main as spark_main

            return int(spark_main(argv[1:]) or 0)
        except ImportError as e:
            print(f"dupdetect: {e}", file=sys.stderr)
            return 2
    args = _parser().parse_args(argv)
    if args.command == "explain":
        texts = []
        for path in (args.a, args.b):
            try:
                with open(path, "rb") as f:
                    from .io import decode_bytes

                    texts.append(decode_bytes(f.read(), name=path))
            except (OSError, ValueError) as e:
                print(f"dupdetect: cannot read {path}: {e}", file=sys.stderr)
                return 2
        print(explain(texts[0], texts[1]))
        return 0
    if args.command == "sample":
        from . import sample_dir

        result = cluster(sample_dir(), progress=False)
        _report_errors(result)
        _write(result, args.format, sys.stdout)
        return 0

    result = cluster(
        args.paths, threshold=args.threshold, window=args.window, progress=args.progress
    )
    _report_errors(result)
    if args.output:
        buf = io.StringIO()
        _write(result, args.format, buf, args.all)
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as f:
                f.write(buf.getvalue())
        except OSError as e:
            print(f"dupdetect: cannot write {args.output}: {e}", file=sys.stderr)
            return 2
    else:
        _write(result, args.format, sys.stdout, args.all)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
