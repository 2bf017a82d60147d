"""The Redis candidate call alone: what one ``StoryIndex.add`` asks the server for its LSH
proposals, at a given number of proposals: the union with every member's entry in one script
(``CANDIDATES``: what a fresh writer asks), with the entries the library stores (published time
+ the low byte of each of 128 signature values, 136 bytes) and with full signatures (520 bytes,
the layout before d5d688a); the bucket union alone (``UNION``: what a writer asks once it has
met the proposals' entries); and the union followed by an HMGET of every entry (two round
trips: why a fresh writer does not ask that way).

    python benchmarks/bench_redis_candidates.py [--members 800,3000] [--calls 200] [--rounds 3]

A throwaway ``redis-server`` on loopback (``_redis.py``); 100,000 random entries of each width,
64 buckets whose union holds about ``--members`` numbers. Times are per call, client included
(the reply parsed as the library parses it). Synthetic: no text is read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _redis import redis_url  # noqa: E402

from dupdetect.storage.redis_scripts import CANDIDATES, UNION  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", default="800,3000", help="proposals per call (comma list)")
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    import redis

    rng = np.random.default_rng(1)
    with redis_url() as url:
        r = redis.Redis.from_url(url)
        for name, width in (("sig", 520), ("low", 136)):
            p = r.pipeline(transaction=False)
            for n in range(a.entries):
                p.hset(name, n, rng.bytes(width))
                if n % 5000 == 4999:
                    p.execute()
            p.execute()
        r.set("id", "x")
        full, union = r.register_script(CANDIDATES), r.register_script(UNION)
        print(
            "| proposals | round | 520-byte entries ms | 136-byte entries ms | union only ms "
            "(a writer that has every entry) | union, then HMGET of every entry (a fresh writer) |"
        )
        print("|---:|---:|---:|---:|---:|---:|")
        for m in [int(x) for x in a.members.split(",")]:
            pool = rng.choice(a.entries, m, replace=False)
            keys = [f"b{m}:{j}" for j in range(64)]
            for key in keys:  # 64 buckets drawn from the pool: their union is ~m numbers
                r.sadd(key, *rng.choice(pool, max(1, m // 20)).tolist())
            got = len(r.sunion(keys))
            for rnd in range(a.rounds):
                ms = []
                for entries in ("sig", "low", None, "fetch"):
                    t = time.perf_counter()
                    for _ in range(a.calls):
                        if entries in (None, "fetch"):
                            out = union(keys=["id", *keys], args=["x"])
                            nums = [int(x) for x in out[0].split(b",")]
                            if entries == "fetch":
                                b"".join(r.hmget("low", nums))
                        else:
                            out = full(keys=[entries, "id", *keys], args=["x"])
                            np.frombuffer(out[1], dtype=np.uint8)
                    ms.append((time.perf_counter() - t) / a.calls * 1000)
                print(f"| {got:,} | {rnd + 1} | " + " | ".join(f"{v:.2f}" for v in ms) + " |")


if __name__ == "__main__":
    main()
