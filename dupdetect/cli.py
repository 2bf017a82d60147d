"""Command line: ``dupdetect cluster PATH...``, ``dupdetect report PATH... -o stories.html``,
``dupdetect explain A B``, ``dupdetect sample``.

Exit codes: 0 ok (per-file errors are printed to stderr, not fatal), 1 no input could be used,
2 usage error or an output that cannot be written (checked before any work), 141 when the
reader of stdout went away (``| head``).
"""

from __future__ import annotations

import argparse
import codecs
import csv
import difflib
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, NoReturn, TextIO

from . import __version__
from .pipeline import cluster
from .result import RECORD_FIELDS, Cluster, Clustering
from .similarity import explain

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors exit 2 with the usage line
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}{_suggestion(self, message)}", file=sys.stderr)
        raise SystemExit(2)


def _all_options(parser: argparse.ArgumentParser) -> list[str]:
    """Option strings of ``parser`` and of its sub-commands (argparse reports an unknown option
    of a sub-command from the top-level parser)."""
    out: list[str] = []
    for action in parser._actions:  # argparse has no public way to list them
        out += action.option_strings
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out += _all_options(sub)
    return out


def _suggestion(parser: argparse.ArgumentParser, message: str) -> str:
    """ " (did you mean --threshold?)" for a mistyped option or sub-command, else ""."""
    words: list[str] = []
    known: list[str] = []
    if "unrecognized arguments:" in message:
        words = [w.split("=")[0] for w in message.split(":", 1)[1].split() if w.startswith("-")]
        known = _all_options(parser)
    elif "invalid choice:" in message:
        words = [message.split("invalid choice:", 1)[1].split("'")[1]]
        known = [c for a in parser._actions if a.choices for c in a.choices]
    hints = []
    for w in words:
        close = difflib.get_close_matches(w, known, n=1, cutoff=0.6)
        if close:
            hints.append(f"{w} -> {close[0]}")
    return f" (did you mean: {', '.join(hints)}?)" if hints else ""


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


def _fields(value: str) -> dict[str, list[str]]:
    """'id=uid,text=body|story_text' -> {'id': ['uid'], 'text': ['body', 'story_text']}."""
    out: dict[str, list[str]] = {}
    for part in value.split(","):
        key, eq, names = part.partition("=")
        if not eq or not key.strip() or not names.strip():
            raise argparse.ArgumentTypeError(
                f"not a field mapping: {part!r}; write e.g. --fields id=uid,title=headline,"
                "text=body,date=published (alternatives with |)"
            )
        out[key.strip()] = [n.strip() for n in names.split("|") if n.strip()]
    return out


def _add_output_options(c: argparse.ArgumentParser) -> None:
    c.add_argument("--format", choices=("table", "json", "csv"), default="table")
    c.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    c.add_argument("--all", action="store_true", help="table: also list singletons")
    c.add_argument(
        "--min-size", type=int, default=None, metavar="N", help="only clusters of N+ members"
    )
    c.add_argument("--top", type=int, default=None, metavar="N", help="only the N largest clusters")
    c.add_argument(
        "--bom", action="store_true", help="csv: start with a UTF-8 BOM (for spreadsheets)"
    )


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dupdetect", description="Find reports of the same news story.")
    p.add_argument("--version", action="version", version=f"dupdetect {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("cluster", help="group the articles at PATH... into stories")
    _add_cluster_options(c)
    _add_output_options(c)

    # report: the same clustering, written as one self-contained HTML page
    r = sub.add_parser("report", help="cluster PATH... and write the stories as an HTML page")
    _add_cluster_options(r)
    r.add_argument("--output", "-o", metavar="FILE", required=True, help="the .html file to write")
    r.add_argument("--title", default="dupdetect: stories", help="the page title")

    s = sub.add_parser("sample", help="cluster the built-in sample of Arabic reports")
    _add_output_options(s)

    e = sub.add_parser("explain", help="show what two articles (files) share")
    e.add_argument("a", metavar="A")
    e.add_argument("b", metavar="B")

    sp = sub.add_parser(
        "spark", help="run the batch job on Apache Spark (dupdetect[spark])", add_help=False
    )
    sp.add_argument("rest", nargs=argparse.REMAINDER)
    return p


def _add_cluster_options(c: argparse.ArgumentParser) -> None:
    """PATH... and the clustering options shared by ``cluster`` and ``report``."""
    c.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or glob patterns")
    c.add_argument(
        "--threshold",
        type=_unit,
        default=None,
        help="similarity needed to share a cluster (default: Settings().threshold)",
    )
    c.add_argument(
        "--candidate-threshold",
        type=_unit,
        default=None,
        help="shingle Jaccard the LSH stage aims to catch (default: Settings())",
    )
    c.add_argument(
        "--window",
        type=_duration,
        default=None,
        metavar="DURATION",
        help="never group articles whose dates (records' date field) are further apart, "
        "e.g. 72h or 3d",
    )
    c.add_argument(
        "--fields",
        type=_fields,
        default=None,
        metavar="MAP",
        help="record fields of .json/.jsonl/.csv, e.g. id=uid,title=headline,text=body|story",
    )
    c.add_argument(
        "--html-engine",
        default="auto",
        help="HTML main-text extractor (auto = trafilatura, needs dupdetect[html])",
    )
    c.add_argument("--workers", type=int, default=None, help="featurizing processes (default auto)")
    c.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress on stderr (default: on a terminal, for runs longer than ~2 s)",
    )


def _shown(result: Clustering, args: argparse.Namespace) -> list[Cluster]:
    """The clusters the output options select (--min-size, --top), largest first."""
    out = result.clusters
    if args.min_size:
        out = [c for c in out if c.size >= args.min_size]
    if args.top:
        out = out[: args.top]
    return out


def _display_ids(result: Clustering) -> dict[Any, str]:
    """Member ids as the table shows them: file paths relative to the folder they share."""
    paths = [str(m.id) for c in result.clusters for m in c.members]
    files = [p.split("#", 1)[0] for p in paths if os.path.isabs(p.split("#", 1)[0])]
    if len(files) != len(paths) or not files:
        return {}
    try:
        root = os.path.commonpath([os.path.dirname(f) for f in files])
    except ValueError:  # different drives
        return {}
    return {m.id: os.path.relpath(str(m.id), root) for c in result.clusters for m in c.members}


def _table(result: Clustering, out: TextIO, args: argparse.Namespace) -> None:
    print(result.summary(), file=out)
    shown = _display_ids(result)
    listed = [c for c in _shown(result, args) if c.size > 1 or args.all]
    for c in listed:
        print(f"\n{c.id}  size={c.size}  cohesion={c.score:.3f}", file=out)
        for m in c.members:
            star = "*" if m.id == c.representative else " "
            flag = result.flags.get(m.id)
            score = "  -  " if flag else f"{m.score:.3f}"
            note = f"  [{flag.split(';')[0]}]" if flag else ""
            print(f"  {star} {score}  {shown.get(m.id, m.id)}  {m.title[:80]}{note}", file=out)
    if listed:
        print("\n(* the representative: the member closest to the others)", file=out)
    singles = sum(1 for c in result.clusters if c.size == 1)
    if singles and not args.all:
        print(f"({singles} singletons not shown; --all lists them)", file=out)


def _write(result: Clustering, out: TextIO, args: argparse.Namespace) -> None:
    clusters = _shown(result, args)
    keep = {c.id for c in clusters}
    records = [r for r in result.to_records() if r["cluster"] in keep]
    if args.format == "json":
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
                for c in clusters
            ],
            "pairs": [{"a": p.a, "b": p.b, "similarity": p.similarity} for p in result.pairs],
            "errors": [{"input": i, "message": m} for i, m in result.errors],
        }
        out.write(_json_text(doc) + "\n")
    elif args.format == "csv":
        if args.bom:
            out.write("\ufeff")
        w = csv.DictWriter(out, fieldnames=RECORD_FIELDS)
        w.writeheader()
        w.writerows(records)
    else:
        _table(result, out, args)


def _report_errors(result: Clustering) -> None:
    for inp, msg in result.errors:
        print(f"dupdetect: skipped {inp}: {msg}", file=sys.stderr)


def _check_output(path: str | None) -> str | None:
    """Why ``path`` cannot be written (checked before any work), or None."""
    if not path:
        return None
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return f"{path} is a folder; give a file name, e.g. {os.path.join(path, 'stories.csv')}"
    if not os.path.isdir(folder):
        return f"folder {folder} does not exist; create it first (mkdir -p {folder})"
    if not os.access(folder, os.W_OK):
        return f"folder {folder} is not writable"
    return None


def _surrogates(exc: UnicodeError) -> tuple[bytes, int]:
    """Encoding error handler for output: a file name that is not UTF-8 reaches Python with its
    undecodable bytes as surrogate escapes (U+DC80-U+DCFF, ``os.fsdecode``): they are written
    back as those bytes, as ``ls`` would show the name; any other lone surrogate (a JSON
    ``"\\ud800"`` escape in an input) as U+FFFD."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    out = b"".join(
        bytes([ord(c) - 0xDC00]) if 0xDC80 <= ord(c) <= 0xDCFF else "\ufffd".encode() for c in bad
    )
    return out, exc.end


codecs.register_error("dupdetect.surrogates", _surrogates)
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _json_text(doc: Any) -> str:
    """``doc`` as JSON that is valid UTF-8 and reads back the same: a lone surrogate (a file
    name that is not UTF-8, an id decoded from a ``"\\ud800"`` escape) is written as its
    ``\\uXXXX`` escape; other text stays as it is (Arabic readable, not escaped)."""
    text = json.dumps(doc, ensure_ascii=False, indent=1, default=str)
    return _SURROGATE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "dupdetect.surrogates")


def _save(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically: an old file survives a failed write."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".dupdetect.", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as open() would create it, not mkstemp's 0600
        with os.fdopen(fd, "wb") as f:
            f.write(_encode(text))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _emit(result: Clustering, args: argparse.Namespace) -> int:
    _report_errors(result)
    if args.output:
        buf = io.StringIO()
        _write(result, buf, args)
        try:
            _save(args.output, buf.getvalue())
        except OSError as e:
            print(f"dupdetect: cannot write {args.output}: {e}", file=sys.stderr)
            return 2
    else:
        _write(result, sys.stdout, args)
    if len(result) == 0:
        print(
            "dupdetect: no input could be used"
            + (" (see the messages above)" if result.errors else " (nothing found at PATH)"),
            file=sys.stderr,
        )
        return 1
    return 0


def _explain(a: str, b: str) -> int:
    """``dupdetect explain A B``: both read exactly as ``cluster`` reads them (decoding, HTML
    main text, a one-record JSON/CSV file), title and text joined as ``cluster`` joins them."""
    from .io import read_article

    texts = []
    for path in (a, b):
        try:
            art = read_article(path)
        except (OSError, ValueError) as e:
            print(f"dupdetect: cannot read {path}: {e}", file=sys.stderr)
            return 2
        texts.append(art.body)
    print(explain(texts[0], texts[1]))
    return 0


def _main(argv: list[str]) -> int:
    if argv[:1] == ["spark"]:  # everything after "spark" belongs to the Spark job's own parser
        try:
            from .spark import main as spark_main

            return int(spark_main(argv[1:]) or 0)
        except ImportError as e:
            print(f"dupdetect: {e}", file=sys.stderr)
            return 2
    args = _parser().parse_args(argv)
    if args.command == "explain":
        return _explain(args.a, args.b)
    problem = _check_output(args.output)
    if problem:
        print(f"dupdetect: cannot write --output: {problem}", file=sys.stderr)
        return 2
    if args.command == "sample":
        from . import sample_dir

        return _emit(cluster(sample_dir(), progress=False), args)
    try:
        result = cluster(
            args.paths,
            threshold=args.threshold,
            candidate_threshold=args.candidate_threshold,
            window=args.window,
            fields=args.fields,
            html_engine=args.html_engine,
            workers=args.workers,
            progress=args.progress,
        )
    except (TypeError, ValueError) as e:  # a bad option value the parser could not see
        print(f"dupdetect: {e}", file=sys.stderr)
        return 2
    if args.command == "report":
        return _report(result, args)
    return _emit(result, args)


def _report(result: Clustering, args: argparse.Namespace) -> int:
    """Write the report page of ``result`` to ``--output`` (atomically); exit code."""
    from .report import Report

    _report_errors(result)
    if len(result) == 0:
        print("dupdetect: no input could be used; no page written", file=sys.stderr)
        return 1
    page = Report(result, title=args.title).html
    try:
        _save(args.output, page)
    except OSError as e:
        print(f"dupdetect: cannot write {args.output}: {e}", file=sys.stderr)
        return 2
    size = len(_encode(page))
    shown = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
    print(f"{result.summary()}; wrote {args.output} ({shown})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dupdetect`` command; returns the exit code.

    0 ok (inputs that could not be used are listed on stderr), 1 no input could be used,
    2 usage error or unwritable output, 141 output pipe closed early (``| head``).
    """
    out, errors = sys.stdout, getattr(sys.stdout, "errors", None)
    if hasattr(out, "reconfigure"):  # a file name that is not UTF-8 prints as its own bytes
        out.reconfigure(errors="dupdetect.surrogates")
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, as cat or git do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    finally:
        if errors is not None and hasattr(out, "reconfigure"):
            out.reconfigure(errors=errors)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
