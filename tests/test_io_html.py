"""dupdetect.io.html: HTML pages through trafilatura (title, main text, date, site)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import pytest

import dupdetect
from dupdetect.io import Article, HtmlPage, extract_html, extract_page, iter_inputs
from dupdetect.timewindow import parse_time

sys.path.insert(0, str(Path(__file__).parent))
from io_helpers import (  # noqa: E402
    AR1,
    AR2,
    AR3,
    FIXTURES,
    as_article,
    as_error,
    errors,
    only_error,
    read_all,
    write,
)

PAGE = (FIXTURES / "news_page.html").read_text(encoding="utf-8")
PAGE_TITLE = "افتتاح جسر جديد على النهر"
PAGE_PARAGRAPHS = [
    "افتتح محافظ المدينة صباح يوم الأحد جسرا جديدا يربط ضفتي النهر بعد ثلاث سنوات من "
    "أعمال البناء المتواصلة.",
    "ويبلغ طول الجسر نحو ستمئة متر، ومن المتوقع أن يخفف الازدحام المروري في وسط المدينة "
    "بنسبة كبيرة خلال ساعات الذروة.",
    "وقال المهندس المسؤول عن المشروع إن الجسر صمم ليتحمل الزلازل والفيضانات، وإن تكلفته "
    "بلغت أربعين مليون دينار.",
    "وأعرب عدد من السكان عن ارتياحهم للمشروع، مؤكدين أن الرحلة اليومية إلى العمل كانت "
    "تستغرق أكثر من ساعة.",
]
CHROME_SNIPPETS = [
    "قائمة السياسة",  # nav
    "مسار التنقل",  # breadcrumb
    "شيفرة التتبع",  # <script> in head
    "إعلان مدسوس",  # <script> in the article
    "نص أنماط",  # <style>
    "تعليق في الشيفرة",  # HTML comment
    "شارك على",  # share widget
    "أخبار ذات صلة",  # related links
    "تعليق القارئ",  # comments section
    "خبر جانبي",  # <aside>
    "جميع الحقوق",  # <footer>
    "اشترك في النشرة",  # form
]
INSTALL_HINT = r'pip install "dupdetect\[html\]"'


@pytest.fixture
def trafilatura() -> None:
    pytest.importorskip("trafilatura")


@pytest.fixture
def no_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import trafilatura`` fails, as when the extra is not installed."""
    monkeypatch.setitem(sys.modules, "trafilatura", None)


def fake_trafilatura(monkeypatch: pytest.MonkeyPatch, bare_extraction: object) -> None:
    module = ModuleType("trafilatura")
    module.bare_extraction = bare_extraction  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "trafilatura", module)


# --------------------------------------------------------------------------- text and title


def test_news_page_title_and_text_exact(trafilatura: None) -> None:
    assert extract_page(PAGE) == HtmlPage(PAGE_TITLE, "\n\n".join(PAGE_PARAGRAPHS), None, None)
    title, text = extract_html(PAGE)
    assert (title, text) == (PAGE_TITLE, "\n\n".join(PAGE_PARAGRAPHS))
    for snippet in CHROME_SNIPPETS:
        assert snippet not in text, snippet
    assert extract_html(PAGE, engine="trafilatura") == extract_html(PAGE, engine="auto")


def test_chrome_marked_by_class_id_and_style_is_dropped(trafilatura: None) -> None:
    html = f"""<html dir="rtl"><body><article>
      <p>{AR1}</p>
      <div class="ad-slot">إعلان ممول</div>
      <div id="social_icons">تابعونا</div>
      <p class="newsletter-box">اشترك الآن</p>
      <span aria-hidden="true">أيقونة</span>
      <div style="display: none">غير ظاهر</div>
      <p>{AR2}</p>
    </article></body></html>"""
    # trafilatura 2.3 keeps <div hidden> and role="complementary" text: not pinned here.
    assert extract_html(html) == ("", "\n\n".join([AR1, AR2]))


def test_link_lists_are_dropped_and_inline_links_kept(trafilatura: None) -> None:
    html = f"""<body><article>
      <p>{AR1} <a href="/x">رابط داخل الفقرة</a></p>
      <ul><li><a href="/1">اقرأ أيضا: خبر أول</a></li>
          <li><a href="/2">اقرأ أيضا: خبر ثان</a></li></ul>
      <ul><li>{AR2}</li><li>{AR3}</li></ul>
    </article></body>"""
    _, text = extract_html(html)
    assert text.split("\n\n")[0] == f"{AR1} رابط داخل الفقرة"
    assert AR2 in text and AR3 in text
    assert "اقرأ أيضا" not in text


def test_title_from_h1_when_the_page_has_no_title_and_unclosed_tags(trafilatura: None) -> None:
    html = f"<body><article><h1> عنوان  <b>عاجل</b></h1><p>{AR1}<p>{AR2}</article>"
    assert extract_html(html) == ("عنوان عاجل", "\n\n".join([AR1, AR2]))


def test_extract_html_rejects_bytes_and_unknown_engine() -> None:
    with pytest.raises(TypeError, match="decode bytes first"):
        extract_html(PAGE.encode())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="decode bytes first"):
        extract_page(PAGE.encode())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown html engine 'fast'"):
        extract_html(PAGE, engine="fast")


def test_builtin_engine_was_removed_with_the_reason(tmp_path: Path) -> None:
    for call in (
        lambda: extract_html(PAGE, engine="builtin"),
        lambda: iter_inputs(tmp_path, html_engine="builtin"),
        lambda: dupdetect.cluster(tmp_path, html_engine="builtin"),
    ):
        with pytest.raises(ValueError, match=r'html_engine="builtin" was removed: it gave') as info:
            call()
        assert "settings fingerprint" in str(info.value)
        assert 'pip install "dupdetect[html]"' in str(info.value)


# --------------------------------------------------------------------------- metadata


def test_published_time_and_site_name_from_meta_tags(trafilatura: None) -> None:
    html = (FIXTURES / "meta_page.html").read_text(encoding="utf-8")
    page = extract_page(html)
    assert page.title == "إغلاق الطريق الساحلي أسبوعين للصيانة"  # og:title
    assert page.published == "2024-03-12T08:30:00+03:00"  # published, not modified
    assert page.source == "صحيفة الشاطئ"  # og:site_name
    assert page.text.split("\n\n")[0].startswith("أعلنت البلدية، صباح اليوم")
    assert len(page.text.split("\n\n")) == 3
    for chrome in ("رياضة الأسبوع", "جميع الحقوق"):  # nav, footer
        assert chrome not in page.text
    when = datetime(2024, 3, 12, 5, 30, tzinfo=timezone.utc).timestamp()
    assert parse_time(page.published) == when


def test_published_date_and_publisher_from_json_ld(trafilatura: None) -> None:
    html = (FIXTURES / "jsonld_page.html").read_text(encoding="utf-8")
    page = extract_page(html)
    assert page.title == "ارتفاع أسعار الخضار والفواكه مع موجة الحر"  # JSON-LD headline
    assert page.published == "2023-08-22T10:15:00+03:00"  # datePublished
    assert page.source == "وكالة السوق"  # publisher.name
    assert "الأسواق اليوم" not in page.text and "تابعونا" not in page.text


def test_a_date_without_time_stays_a_date_and_the_host_names_the_site(trafilatura: None) -> None:
    body = f"<body><article><p>{AR1}</p><p>{AR2}</p><p>{AR3}</p></article></body></html>"
    dated = '<html><head><meta property="article:published_time" content="2024-03-12"></head>'
    assert extract_page(dated + body).published == "2024-03-12"
    canonical = '<html><head><link rel="canonical" href="https://www.shati.example/a/1"></head>'
    page = extract_page(canonical + body)
    assert (page.published, page.source) == (None, "shati.example")
    assert extract_page("<html><head></head>" + body, url="https://news.example.org/x").source == (
        "news.example.org"
    )


def test_html_file_article_carries_date_and_source(tmp_path: Path, trafilatura: None) -> None:
    page = write(tmp_path / "road.html", (FIXTURES / "meta_page.html").read_bytes())
    art = as_article(only_article(read_all(page)))
    assert (art.published, art.source) == ("2024-03-12T08:30:00+03:00", "صحيفة الشاطئ")
    assert art.title == "إغلاق الطريق الساحلي أسبوعين للصيانة"


def only_article(results: list[Article | object]) -> Article:
    assert len(results) == 1, results
    return as_article(results[0])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- through iter_inputs


def test_html_files_through_iter_inputs(tmp_path: Path, trafilatura: None) -> None:
    page = write(tmp_path / "page.html", PAGE)
    legacy = write(
        tmp_path / "legacy.htm",
        f"<html><head><title>قديم</title></head><body><p>{AR2}</p></body></html>".encode("cp1256"),
    )
    results = read_all([page, legacy])
    assert results == [
        Article(id=str(page), text="\n\n".join(PAGE_PARAGRAPHS), title=PAGE_TITLE),
        Article(id=str(legacy), text=AR2, title="قديم"),
    ]


def test_empty_html_file_is_an_article_with_empty_text(tmp_path: Path, trafilatura: None) -> None:
    empty = write(tmp_path / "empty.html", b"")
    blank = write(tmp_path / "blank.htm", b"<html><head><title>t</title></head><body> </body>")
    assert read_all([empty, blank]) == [
        Article(id=str(empty), text=""),
        Article(id=str(blank), text=""),
    ]


def test_html_max_chars_applies_to_extracted_text(tmp_path: Path, trafilatura: None) -> None:
    page = write(tmp_path / "page.html", PAGE)
    longest = len("\n\n".join(PAGE_PARAGRAPHS))
    assert isinstance(read_all(page, max_chars=longest)[0], Article)
    err = only_error(read_all(page, max_chars=longest - 1))
    assert f"over max_chars={longest - 1:,}" in err.message


def test_page_with_text_where_trafilatura_finds_none_is_a_read_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_trafilatura(monkeypatch, lambda html, **kwargs: None)
    page = write(tmp_path / "odd.html", f"<body><div>{AR1}</div></body>")
    empty = write(tmp_path / "empty.html", "<html><body> <script>var x = 1;</script></body>")
    open_head = write(tmp_path / "open_head.html", f"<html><head><title>ع<body><p>{AR2}")
    results = read_all([page, empty, open_head])
    assert as_error(results[2]).message.startswith(
        f"trafilatura found no article text in this page, though it shows "
        f"{len(AR2.replace(' ', ''))} characters"
    )
    assert as_error(results[0]).input == str(page)
    assert as_error(results[0]).message.startswith(
        f"trafilatura found no article text in this page, though it shows "
        f"{len(AR1.replace(' ', ''))} characters of text"
    )
    assert results[1] == Article(id=str(empty), text="")


def test_trafilatura_failing_on_one_page_is_a_read_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(html: str, **kwargs: object) -> None:
        raise RuntimeError("lxml said no")

    fake_trafilatura(monkeypatch, explode)
    page = write(tmp_path / "bad.html", "<p>x</p>")
    txt = write(tmp_path / "ok.txt", AR1)
    results = read_all([page, txt])
    assert as_error(results[0]).message.startswith(
        "trafilatura failed on this page (RuntimeError: lxml said no)"
    )
    assert results[1] == Article(id=str(txt), text=AR1)


# --------------------------------------------------------------------------- without trafilatura


def test_missing_trafilatura_raises_import_error_with_install_hint(no_trafilatura: None) -> None:
    with pytest.raises(ImportError, match=INSTALL_HINT):
        extract_html(PAGE)
    with pytest.raises(ImportError, match=INSTALL_HINT):
        extract_html(PAGE, engine="trafilatura")
    with pytest.raises(ImportError, match=INSTALL_HINT):
        extract_page(PAGE)


def test_missing_trafilatura_makes_each_html_file_a_read_error(
    tmp_path: Path, no_trafilatura: None
) -> None:
    page = write(tmp_path / "a" / "page.html", PAGE)
    other = write(tmp_path / "a" / "other.htm", PAGE)
    txt = write(tmp_path / "a" / "note.txt", AR1)
    for engine in ("auto", "trafilatura"):
        results = read_all(tmp_path / "a", html_engine=engine)  # no ImportError at call time
        assert [e.input for e in errors(results)] == [str(other), str(page)]
        assert len(results) == 3
        for err in errors(results):
            assert err.message.startswith("reading HTML needs trafilatura, the optional extra: ")
            assert 'pip install "dupdetect[html]"' in err.message
        assert results[0] == Article(id=str(txt), text=AR1)
    result = dupdetect.cluster(tmp_path / "a", progress=False)
    assert [inp for inp, _ in result.errors] == [str(other), str(page)]
    assert len(result.to_records()) == 1
