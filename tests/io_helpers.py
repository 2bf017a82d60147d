"""Shared helpers and texts for the dupdetect.io tests (test_io_*.py)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path

from dupdetect.io import Article, ReadError, iter_inputs

FIXTURES = Path(__file__).parent / "fixtures" / "io"

# Our own sentences (news-style), with ، ؛ ؟ and letters that sit at different byte
# values in Windows-1256 and ISO-8859-6 (ف ق ك غ ط ه و ي ى).
AR1 = "أعلنت البلدية، صباح اليوم، عن إغلاق الطريق الساحلي؛ فمتى يعاد فتحه؟"
AR2 = "قال المتحدث إن أعمال الصيانة تستمر أسبوعين، وإن الحافلات ستنقل الركاب مجانا."
AR3 = "شهدت الأسواق ارتفاعا في أسعار الخضار والفواكه بسبب موجة الحر الأخيرة."
AR_TEXT = f"{AR1}\n{AR2}\n{AR3}\n"


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def read_all(paths: object, **kwargs: object) -> list[Article | ReadError]:
    return list(iter_inputs(paths, **kwargs))  # type: ignore[arg-type]


def articles(results: list[Article | ReadError]) -> list[Article]:
    return [r for r in results if isinstance(r, Article)]


def errors(results: list[Article | ReadError]) -> list[ReadError]:
    return [r for r in results if isinstance(r, ReadError)]


def as_article(result: Article | ReadError) -> Article:
    assert isinstance(result, Article), result
    return result


def as_error(result: Article | ReadError) -> ReadError:
    assert isinstance(result, ReadError), result
    return result


def ids(results: list[Article | ReadError]) -> list[str]:
    return [as_article(r).id for r in results]


def one_article(results: list[Article | ReadError]) -> Article:
    assert len(results) == 1, results
    return as_article(results[0])


def only_error(results: list[Article | ReadError]) -> ReadError:
    assert len(results) == 1, results
    (result,) = results
    assert isinstance(result, ReadError), result
    return result


@contextlib.contextmanager
def no_blocking(seconds: int = 10) -> Iterator[None]:
    """Fail instead of hanging when the code under test blocks (opening a FIFO would)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def fail(signum: int, frame: object) -> None:
        raise TimeoutError(f"blocked for {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
