"""The report page: self-contained, escaped, right-to-left, and opened in a real browser.

Browser tests run headless Chromium (``chromium`` on PATH, or $CHROMIUM) and skip with a reason
when none is installed; CI installs it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import dupdetect
from dupdetect.report import CSP, Report, embed_json, render
from dupdetect.report.highlight import GAP, MARK, PLAIN, excerpt, passage_spans
from dupdetect.report.payload import text_direction

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "provenance"
SEEDS = ROOT.parent / "shared" / "seeds"
WIRE, COPY = "w1_wire_desalination", "w2_watan_desalination_copy"
NASTY = (
    "<img src=x onerror=\"document.title='pwned'\"></script>"
    '<script>document.title="pwned"</script><!--'
)


def _bench_report():
    """benchmarks/bench_report.py: one place for how to find and start headless Chromium."""
    spec = importlib.util.spec_from_file_location(
        "bench_report", ROOT / "benchmarks" / "bench_report.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


BENCH = _bench_report()
BROWSER = BENCH.find_browser(None)
needs_browser = pytest.mark.skipif(
    BROWSER is None, reason="no Chromium on PATH (apt-get install chromium); CI installs it"
)


def chromium(tmp_path: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    cmd = [str(BROWSER), *BENCH.BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


class Dom(HTMLParser):
    """Elements (tag, attrs) and the text inside <mark> of an HTML document."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.marks: list[str] = []
        self._in_mark = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_mark += tag == "mark"
        if tag == "mark":
            self.marks.append("")

    def handle_endtag(self, tag):
        if tag == "mark":
            self._in_mark -= 1

    def handle_data(self, data):
        if self._in_mark:
            self.marks[-1] += data

    def tags(self, tag: str, cls: str | None = None) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.elements
            if t == tag and (cls is None or cls in (a.get("class") or "").split())
        ]

    def urls(self) -> list[str]:
        return [
            v or ""
            for _, a in self.elements
            for k, v in a.items()
            if k in ("src", "href", "action", "srcset", "poster", "data")
        ]


def _data_of(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="dupdetect-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def fixture_result() -> dupdetect.Clustering:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))}
    meta = json.loads((FIXTURES / "meta.json").read_text(encoding="utf-8"))
    body = " ".join(["The harbour board said the new ferry pier opens in May with six berths."] * 3)
    texts["nasty_1"] = f"{NASTY} ferry pier\n{body}"
    texts["nasty_2"] = f"{NASTY} pier news\n{body} {NASTY}"
    return dupdetect.cluster_texts(
        texts,
        published={k: v["published"] for k, v in meta.items()},
        sources={**{k: v["outlet"] for k, v in meta.items()}, "nasty_1": NASTY},
    )


@pytest.fixture(scope="module")
def fixture_page(fixture_result, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "stories.html"
    assert fixture_result.to_html(str(path), title="Stories <b>&</b> more") == str(path)
    return path


def test_page_is_self_contained(fixture_page):
    page = fixture_page.read_text(encoding="utf-8")
    dom = Dom(page)
    csp = [
        a
        for a in dom.tags("meta")
        if (a.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert [a["content"] for a in csp] == [CSP]
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
    assert dom.urls() == []  # no src, href, action ... at all, so nothing to fetch
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", page, re.I)
    assert not dom.tags("link") and not dom.tags("img") and not dom.tags("iframe")
    assert [a.get("src") for a in dom.tags("script")] == [None, None]
    assert "@import" not in page and "url(" not in page


def test_untrusted_text_is_escaped(fixture_result, fixture_page):
    page = fixture_page.read_text(encoding="utf-8")
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<img" not in page and "<!--" not in page
    assert "<title>Stories &lt;b&gt;&amp;&lt;/b&gt; more</title>" in page
    data = _data_of(page)
    titles = [m["title"] for s in data["stories"] for m in s["members"]]
    assert f"{NASTY} ferry pier" in titles  # kept as text, byte for byte
    assert NASTY in data["outlets"]


def test_embed_json_round_trip():
    value = {"t": "</script><!-- a & b \u2028 \u2029 <b>", "n": [1, 2.5, None]}
    text = embed_json(value)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == value


def test_payload_marks_and_order(fixture_result):
    data = Report(fixture_result).data
    assert data["dir"] == "rtl"
    wire = next(s for s in data["stories"] if s["members"][0]["id"] == WIRE)
    assert [m["rel"] for m in wire["members"]] == ["first", "copy", "rewrite"]
    assert wire["basis"] == "published" and wire["members"][1]["like"] == 0
    rep = wire["members"][wire["rep"]]["id"]
    texts = fixture_result.texts
    for m in wire["members"]:
        if m["id"] == rep:
            continue
        marked = [p for p, kind in m["text"] if kind == MARK]
        assert marked, m["id"]
        passages = dupdetect.explain(texts[m["id"]], texts[rep]).passages
        assert all(any(mk in " ".join(p.split()) for p in passages) for mk in marked)
    singles = {r[0] for r in data["singles"]}
    assert {"x1_sports_marathon", "w4_bahr_desalination_brine"} <= singles


def test_passage_spans_cross_lines_and_punctuation():
    text = "Intro line.\nThe  council approved\nthe plan, on Tuesday. Other words here."
    spans = passage_spans(text, ["council approved the plan", "on Tuesday", "missing words here x"])
    assert [text[s:e] for s, e in spans] == ["council approved\nthe plan", "on Tuesday"]


def test_excerpt_budget_and_gaps():
    words = [f"w{i}" for i in range(400)]
    text = " ".join(words)
    at = text.index("w300")
    spans = [(at, at + len("w300 w301 w302"))]
    pieces = excerpt(text, spans, budget=200, context=30)
    assert sum(len(p) for p, k in pieces if k != GAP) <= 200
    assert [p for p, k in pieces if k == MARK] == ["w300 w301 w302"]
    assert pieces[0][1] == PLAIN and pieces[0][0].startswith("w0 w1 w2")  # the opening
    assert [k for _, k in pieces].count(GAP) == 2  # before the passage and after it
    short = excerpt("a  b\n c", [(0, 1)], budget=100)
    assert short == [("a", MARK), (" b c", PLAIN)]


def test_direction():
    assert text_direction(["لقاء أمريكي إسرائيلي", "City news"]) == "rtl"
    assert text_direction(["City approves tram", "وزير"]) == "ltr"


def test_report_options_checked(fixture_result):
    with pytest.raises(TypeError, match="Clustering"):
        Report({"a": 1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="direction"):
        Report(fixture_result, direction="up")
    with pytest.raises(ValueError, match="excerpt_chars"):
        Report(fixture_result, excerpt_chars=10)
    assert Report(fixture_result, direction="ltr").data["dir"] == "ltr"
    assert Report(fixture_result, singletons=False).data["singles"] == []


def test_notebook_view_is_a_sandboxed_iframe(fixture_result):
    rep = fixture_result.report()
    view = rep._repr_html_()
    assert view.startswith('<iframe sandbox="allow-scripts"') and "srcdoc=" in view
    assert "<script" not in view  # the whole page is inside the attribute, escaped
    assert "Report" in repr(rep)


def test_cli_report_seeds(tmp_path):
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is absent (it is present in CI)")
    out = tmp_path / "seeds.html"
    done = subprocess.run(
        [sys.executable, "-m", "dupdetect", "report", str(SEEDS), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout
    data = _data_of(out.read_text(encoding="utf-8"))
    (story,) = data["stories"]
    names = [Path(m["id"]).name[:3] for m in story["members"]]
    assert sorted(names) == ["000", "003"]
    other = story["members"][1 - story["rep"]]
    assert any(kind == MARK for _, kind in other["text"])
    assert [Path(r[0]).name[:3] for r in data["singles"]] == ["001"]


def test_cli_report_needs_output(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "dupdetect", "report", str(FIXTURES)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2 and "--output" in done.stderr


# In a real browser.


@needs_browser
def test_browser_draws_cards_marks_and_search(fixture_page, tmp_path):
    done = chromium(tmp_path, "--dump-dom", fixture_page.as_uri())
    dom = Dom(done.stdout)
    cards = dom.tags("article", "story")
    assert len(cards) == 3, done.stderr[-2000:]  # wire story, tram pair, the nasty pair
    assert len(dom.marks) >= 5 and any("600 ألف متر مكعب" in m for m in dom.marks)
    assert [a.get("type") for a in dom.tags("input") if a.get("id") == "q"] == ["search"]
    assert dom.tags("select") and dom.tags("details")
    assert not dom.tags("img") and dom.urls() == []
    assert (
        "<title>pwned</title>" not in done.stdout
        and "pwned" not in re.findall(r"<title>(.*?)</title>", done.stdout)[0]
    )
    (html,) = dom.tags("html")
    assert html["dir"] == "rtl" and float(html["data-render-ms"]) > 0
    # titles and excerpts take their own direction; ids are left-to-right isolates
    assert all(a.get("dir") == "auto" for a in dom.tags("h2"))
    assert all(a.get("dir") == "ltr" for a in dom.tags("bdi", "id"))


@needs_browser
def test_browser_search_from_the_address(fixture_page, tmp_path):
    done = chromium(tmp_path, "--dump-dom", fixture_page.as_uri() + "#q=tram")
    cards = Dom(done.stdout).tags("article", "story")
    assert len(cards) == 1 and "showing 1 of 1 stories" in done.stdout


@needs_browser
def test_browser_seeds_page(tmp_path):
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is absent (it is present in CI)")
    page = tmp_path / "seeds.html"
    dupdetect.cluster(str(SEEDS)).to_html(str(page))
    done = chromium(tmp_path, "--dump-dom", page.as_uri())
    card = re.search(r'<article class="story".*?</article>', done.stdout, re.S)
    assert card is not None
    assert "000_" in card.group() and "003_" in card.group() and "001_" not in card.group()
    assert card.group().count("<mark>") >= 3


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@needs_browser
@pytest.mark.parametrize("width", [1100, 380])
def test_browser_screenshot(fixture_page, tmp_path, width):
    shot = tmp_path / "page.png"
    chromium(tmp_path, f"--screenshot={shot}", f"--window-size={width},1400", fixture_page.as_uri())
    assert _png_size(shot) == (width, 1400)
    assert shot.stat().st_size > 20_000  # drawn, not a blank page


# At the scale of SaudiNewsNet.

_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def _synthetic(rng: random.Random, stories: int, singles: int) -> dict:
    """Page data shaped like payload()'s, at the size of SaudiNewsNet's 31,030 articles."""

    def words(n: int) -> str:
        return " ".join("".join(rng.choices(_LETTERS, k=rng.randint(2, 7))) for _ in range(n))

    outlets = [f"outlet{i}" for i in range(14)]
    out_stories = []
    for s in range(stories):
        size = 2 + min(40, int(rng.paretovariate(1.5)))
        t = 1437436800 + rng.randint(0, 21 * 86400)
        members = []
        for k in range(size):
            text = [[words(20), PLAIN], [words(40), MARK], ["…", GAP], [words(30), PLAIN]]
            members.append(
                {
                    "id": f"http://example.org/{s}/{k}.html",
                    "title": words(10),
                    "outlet": rng.randrange(14),
                    "t": t + k * 3600,
                    "score": 0.5,
                    "rel": "first" if k == 0 else rng.choice(["copy", "rewrite"]),
                    "like": None if k == 0 else rng.randrange(k),
                    "sim": None if k == 0 else 0.6,
                    "after": k * 3600.0,
                    "shared": None if k == 0 else 0.4,
                    "flag": None,
                    "text": text,
                }
            )
        out_stories.append(
            {
                "id": f"c{s:010x}",
                "size": size,
                "cohesion": 0.6,
                "rep": 0,
                "basis": "published",
                "start": t,
                "end": t + (size - 1) * 3600,
                "outlets": [[i, 1] for i in sorted({m["outlet"] for m in members})],
                "members": members,
            }
        )
    return {
        "version": 1,
        "title": "synthetic",
        "dir": "rtl",
        "summary": "synthetic",
        "settings": {"threshold": 0.35, "fingerprint": "x", "copy_min": 0.77, "rewrite_min": 0.25},
        "outlets": outlets,
        "stories": out_stories,
        "singles": [
            [f"http://example.org/s/{i}.html", words(9), rng.randrange(14), 1437436800 + i, None]
            for i in range(singles)
        ],
        "singles_total": singles,
        "errors": [],
        "errors_total": 0,
    }


def test_synthetic_data_has_payloads_shape(fixture_result):
    real = Report(fixture_result).data
    fake = _synthetic(random.Random(0), 2, 2)
    assert real.keys() == fake.keys()
    assert real["stories"][0].keys() == fake["stories"][0].keys()
    assert real["stories"][0]["members"][0].keys() == fake["stories"][0]["members"][0].keys()
    assert len(real["singles"][0]) == len(fake["singles"][0])


# Measured on this synthetic 24 MB page (35,394 articles) on a loaded 2-core machine: the first
# cards are drawn ~0.6 s after navigation starts (script starts at ~0.4 s, JSON.parse ~0.1 s,
# first 25 cards ~0.1 s); headless open + --dump-dom of the 24 MB DOM takes ~11 s wall, most of
# it serializing the embedded data back out. The bounds leave room for a slower CI machine.
OPEN_WALL_S = 60.0
FIRST_CARDS_MS = 5000.0


@needs_browser
@pytest.mark.slow
def test_browser_opens_30k_articles(tmp_path):
    rng = random.Random(7)
    data = _synthetic(rng, stories=4000, singles=18000)
    n = sum(s["size"] for s in data["stories"]) + len(data["singles"])
    assert n > 30000
    page = tmp_path / "big.html"
    page.write_text(render(data), encoding="utf-8")
    import time

    t0 = time.perf_counter()
    done = chromium(tmp_path, "--dump-dom", page.as_uri(), timeout=OPEN_WALL_S * 2)
    wall = time.perf_counter() - t0
    dom = Dom(done.stdout)
    (html,) = dom.tags("html")
    assert len(dom.tags("article", "story")) == 25  # one page of cards, the rest on demand
    # from navigation start to the first page of cards drawn
    shown = float(html["data-start-ms"]) + float(html["data-render-ms"])
    assert wall < OPEN_WALL_S and shown < FIRST_CARDS_MS, (
        f"{page.stat().st_size / 1e6:.1f} MB page: open + dump {wall:.1f} s, cards at {shown} ms"
    )
