"""A StoryIndex writer process for the fault tests: adds the articles of a JSON Lines file.

    python story_writer.py URL NAMESPACE ARTICLES.jsonl [--replace] [--stall S] [--lock-wait S]

Each line of ARTICLES is ``{"id", "text", "date"}``. Prints ``READY`` once connected, then
``ACK <id> <story> <version>`` after each ``add`` returns (an acknowledged add; ``version`` is
the commit's place in the namespace's commit order, ``-`` when unknown) and ``ERR <message>``
when one raises (it is then redelivered: added again with ``replace=True``, at most 5 times).
``--replace``: every add with ``replace=True`` (a consumer restarted after a crash redelivers
what it had not acknowledged). ``--stall S``: every commit that inserts sleeps S seconds first,
after printing ``STALLED <id>`` (a writer paused between reading and writing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dupdetect.storage import RedisStorage  # noqa: E402
from dupdetect.story import StoryIndex  # noqa: E402


class _Stalling(RedisStorage):
    def __init__(self, *args, stall: float, say, **kw) -> None:
        super().__init__(*args, **kw)
        self.stall = stall
        self.say = say
        self.doing = ""

    def commit(self, change):
        if self.stall and change.insert:
            self.say(f"STALLED {self.doing}")
            time.sleep(self.stall)
        return super().commit(change)


def run(url, namespace, articles, *, stall=0.0, replace=False, lock_wait=30.0, out=sys.stdout):
    """Add ``articles`` (dicts id, text, date), reporting on ``out`` (see the module docstring)."""

    def say(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    storage = _Stalling(url, namespace, stall=stall, lock_wait=lock_wait, say=say)
    idx = StoryIndex(storage=storage, namespace=namespace, window=None)
    say("READY")
    for art in articles:
        storage.doing = art["id"]
        for attempt in range(6):
            storage.last_version = None
            try:
                a = idx.add(
                    art["id"], art["text"], published=art["date"], replace=replace or attempt > 0
                )
            except Exception as e:  # report, then redeliver
                say(f"ERR {type(e).__name__}: {e}".replace("\n", " "))
                if attempt == 5:
                    raise
                time.sleep(0.2)
                continue
            version = storage.last_version if storage.last_version is not None else "-"
            say(f"ACK {art['id']} {a.story_id} {version}")
            break


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("namespace")
    ap.add_argument("articles")
    ap.add_argument("--stall", type=float, default=0.0)
    ap.add_argument("--lock-wait", type=float, default=30.0)
    ap.add_argument("--replace", action="store_true", help="every add with replace=True")
    args = ap.parse_args()
    lines = Path(args.articles).read_text(encoding="utf-8").splitlines()
    run(
        args.url,
        args.namespace,
        [json.loads(x) for x in lines],
        stall=args.stall,
        replace=args.replace,
        lock_wait=args.lock_wait,
    )


if __name__ == "__main__":
    main()
