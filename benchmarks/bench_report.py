"""The report page at SaudiNewsNet scale: its size, the time to build it, and how long a real
browser takes to open it.

    SaudiNewsNet zips --cluster_texts (default settings; crawl date as publication time,
      source as outlet)--> Clustering --to_records (provenance)--> --Report.html--> page
      --chromium --headless --dump-dom--> wall time, in-page parse and first-render times

    python benchmarks/bench_report.py [--limit N] [--keep stories.html] [--browser PATH]

``date_extracted`` is the crawl day, not the publication time: it gives the timeline and date
filter realistic values, but "first report" among same-day members falls back to input order.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data as data  # noqa: E402

import dupdetect  # noqa: E402

BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_browser(given: str | None) -> str | None:
    for name in [
        given,
        os.environ.get("CHROMIUM"),
        "chromium",
        "chromium-browser",
        "google-chrome",
    ]:
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def open_in_browser(browser: str, uri: str, timeout: float = 300) -> tuple[float, str]:
    """Wall seconds for headless Chromium to load ``uri`` and dump its DOM, and the DOM."""
    with tempfile.TemporaryDirectory() as profile:
        t0 = time.perf_counter()
        done = subprocess.run(
            [browser, *BROWSER_FLAGS, f"--user-data-dir={profile}", "--dump-dom", uri],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return time.perf_counter() - t0, done.stdout


def _ms(dom: str, name: str) -> float:
    m = re.search(rf'data-{name}-ms="([^"]*)"', dom)
    return float(m.group(1)) if m else float("nan")


SEARCH = "الرياض"  # a word in many stories: the search reads every story's text once


def browser_rows(browser: str, page: Path) -> list[tuple[str, str]]:
    """Open ``page`` as it is and with a search in its address; the page records (from
    navigation start) when its script started, JSON.parse and the first cards."""
    rows = []
    plain, search = page.as_uri(), f"{page.as_uri()}#q={SEARCH}"
    for label, uri in (("open", plain), (f"open with #q={SEARCH}", search)):
        wall, dom = open_in_browser(browser, uri)
        start, parse, render = (_ms(dom, k) for k in ("start", "parse", "render"))
        rows.append((f"headless Chromium, {label}: wall (start + --dump-dom)", f"{wall:.1f} s"))
        rows.append(
            (
                f"  in page, {label}: script starts / JSON.parse / cards drawn",
                f"{start:.0f} ms / {parse:.0f} ms / {start + render:.0f} ms after navigation",
            )
        )
        cards = dom.count('<article class="story"')
        rows.append((f"  {label}: cards drawn / marks", f"{cards} / {dom.count('<mark>')}"))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles")
    ap.add_argument("--keep", type=Path, default=None, help="also write the page here")
    ap.add_argument("--browser", default=None, help="Chromium binary (default: on PATH)")
    args = ap.parse_args(argv)
    arts = data.saudinewsnet()
    if arts is None:
        print(f"skipped: no SaudiNewsNet in {data.SAUDINEWSNET}")
        return 0
    arts = arts[: args.limit]
    texts, published, sources = {}, {}, {}
    for a in arts:
        key = a.get("url") or f"#{len(texts)}"
        if key in texts:
            continue
        texts[key] = a["text"]
        published[key] = a.get("date_extracted")
        sources[key] = a.get("source")
    rows = []
    t0 = time.perf_counter()
    result = dupdetect.cluster_texts(texts, published=published, sources=sources)
    rows.append(("cluster_texts (default settings)", f"{time.perf_counter() - t0:.1f} s"))
    rows.append(
        (
            "articles / stories (2+) / singletons",
            f"{len(texts)} / {len(result.groups)} / "
            f"{sum(1 for c in result.clusters if c.size == 1)}",
        )
    )
    rows.append(("members of stories", str(sum(c.size for c in result.groups))))
    t0 = time.perf_counter()
    records = result.to_records()
    rows.append(("to_records (provenance of every story)", f"{time.perf_counter() - t0:.1f} s"))
    rel: dict[str, int] = {}
    for r in records:
        rel[str(r["relation"])] = rel.get(str(r["relation"]), 0) + 1
    rows.append(("relations", ", ".join(f"{k} {v}" for k, v in sorted(rel.items()))))
    t0 = time.perf_counter()
    page = result.report(title="SaudiNewsNet").html
    rows.append(
        ("build the page (explain passages, JSON, HTML)", f"{time.perf_counter() - t0:.1f} s")
    )
    raw = page.encode("utf-8")
    rows.append(
        ("page size", f"{len(raw) / 1e6:.1f} MB ({len(gzip.compress(raw)) / 1e6:.1f} MB gzipped)")
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stories.html"
        path.write_bytes(raw)
        if args.keep:
            shutil.copyfile(path, args.keep)
        browser = find_browser(args.browser)
        if browser is None:
            rows.append(("browser", "no Chromium found: not measured"))
        else:
            rows += browser_rows(browser, path)
    print(f"dupdetect {dupdetect.__version__}, {len(texts)} SaudiNewsNet articles")
    print("| measure | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
