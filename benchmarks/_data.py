"""Every benchmark's data, read from ``../shared`` (never copied into the repository).

    ../shared/eval/saudinewsnet/*.zip     -> saudinewsnet(), sentences()   (speed, scale, story)
    ../shared/eval/semeval2022_ar_dev.jsonl -> semeval()                   (quality)
    ../shared/eval/ecbplus_dev/            -> ecbplus()                    (quality, English)
    ../shared/eval/ans_stance_dev.csv      -> ans_stance()                 (quality, headlines)
    ../shared/seeds/*.txt                  -> seeds()                      (quality)
    ENGLISH                                   a small English set written for this benchmark

Every loader returns ``None`` when its data is absent, so a script can skip that section.
``$DUPDETECT_EVAL``, ``$DUPDETECT_SEEDS`` and ``$SAUDINEWSNET`` override the folders.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

__all__ = [
    "EVAL",
    "SEEDS",
    "SAUDINEWSNET",
    "saudinewsnet",
    "sentences",
    "semeval",
    "ecbplus",
    "ans_stance",
    "seeds",
    "ENGLISH",
]

REPO = Path(__file__).resolve().parents[1]
EVAL = Path(os.environ.get("DUPDETECT_EVAL", REPO.parent / "shared" / "eval"))
SEEDS = Path(os.environ.get("DUPDETECT_SEEDS", REPO.parent / "shared" / "seeds"))
SAUDINEWSNET = Path(os.environ.get("SAUDINEWSNET", EVAL / "saudinewsnet"))


def saudinewsnet(max_zips: int | None = None) -> list[dict[str, Any]] | None:
    """SaudiNewsNet records in zip-name order, then file order (None when absent).

    Each zip holds one JSON array of ``{source, url, date_extracted, title, author, content}``;
    every record gets ``text = title.strip() + "\\n" + content``, the document the benchmarks
    cluster.
    """
    zips = sorted(glob.glob(str(SAUDINEWSNET / "*.zip")))[:max_zips]
    if not zips:
        return None
    out: list[dict[str, Any]] = []
    for path in zips:
        with zipfile.ZipFile(path) as z:
            for name in sorted(n for n in z.namelist() if n.endswith(".json")):
                for rec in json.loads(z.read(name).decode("utf-8")):
                    rec["title"] = (rec.get("title") or "").strip()
                    rec["text"] = f"{rec['title']}\n{rec.get('content') or ''}"
                    out.append(rec)
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|\n+")


def sentences(records: list[dict[str, Any]], *, min_words: int = 6) -> list[str]:
    """Distinct sentences of the records' ``content`` with at least ``min_words`` words, in
    first-seen order (wire copies repeat sentences across outlets; each is kept once)."""
    seen: dict[str, None] = {}
    for rec in records:
        for s in _SENTENCE_END.split(rec.get("content") or ""):
            s = s.strip()
            if len(s.split()) >= min_words:
                seen.setdefault(s, None)
    return list(seen)


def semeval() -> list[dict[str, Any]] | None:
    """SemEval-2022 ar-ar pairs: ``pair, title_1, text_1, title_2, text_2, overall`` (1..4)."""
    p = EVAL / "semeval2022_ar_dev.jsonl"
    if not p.is_file():
        return None
    with p.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def ecbplus() -> tuple[Path, dict[str, str]] | None:
    """ECB+ dev: ``(docs folder, file name -> event label)`` (496 documents, 42 events)."""
    root = EVAL / "ecbplus_dev"
    labels = root / "labels.json"
    if not labels.is_file() or not (root / "docs").is_dir():
        return None
    return root / "docs", json.loads(labels.read_text(encoding="utf-8"))


def ans_stance(split: str = "dev") -> list[tuple[str, str, str]] | None:
    """ANS headline pairs ``(s1, s2, stance)``; stance is agree / disagree / other."""
    p = EVAL / f"ans_stance_{split}.csv"
    if not p.is_file():
        return None
    with p.open(encoding="utf-8", newline="") as f:
        return [(r["s1"], r["s2"], r["stance"]) for r in csv.DictReader(f)]


def seeds() -> Path | None:
    """The seeds folder (000 and 003 one story, 001 the same people at another event)."""
    return SEEDS if SEEDS.is_dir() and any(SEEDS.glob("*.txt")) else None


# English sanity set, written for this benchmark (original text, not from any outlet). Keys:
# "<topic>_<n>"; items sharing a key with a trailing letter (x_1a / x_1b) are the intended
# near-duplicates, everything else must stay apart.
ENGLISH: dict[str, str] = {
    "rail_1a": "The city council approved a plan on Tuesday to extend the northern tram line by "
    "six kilometres, adding four stations between the harbour and the university campus. "
    "Construction is expected to start next spring and cost about 240 million euros.",
    "rail_1b": "City councillors on Tuesday voted for a six-kilometre extension of the northern "
    "tram line, with four new stations linking the harbour to the university campus. Work "
    "should begin next spring; the budget is roughly 240 million euros.",
    "flood_1a": "Heavy rain caused the river to burst its banks overnight, flooding more than 300 "
    "homes in the valley villages. Emergency crews evacuated elderly residents by boat and "
    "opened two school gyms as shelters.",
    "flood_1b": "More than 300 homes in valley villages were flooded overnight after heavy rain "
    "pushed the river over its banks. Rescue teams used boats to evacuate elderly residents, "
    "and two school gyms were opened as emergency shelters.",
    "chess_1a": "A sixteen-year-old from Chennai won the national chess championship on Sunday, "
    "beating the defending champion in a tense final game that lasted more than five hours.",
    "chess_1b": "A 16-year-old player from Chennai is the new national chess champion after "
    "defeating the title holder on Sunday in a tense final game lasting over five hours.",
    "bank": "The central bank kept its benchmark interest rate unchanged at 4.5 percent, citing "
    "stubborn services inflation, but signalled that a cut could come before the end of the "
    "summer if wage growth continues to slow.",
    "vaccine": "Health officials launched a measles vaccination campaign in primary schools after "
    "a cluster of cases was confirmed in the eastern district. Parents can book free "
    "appointments online or at local pharmacies.",
    "football": "The home side came back from two goals down to draw 2-2 with the league leaders, "
    "with the equaliser scored by a substitute striker in the final minute of stoppage time.",
    "wildfire": "Firefighters are battling a wildfire that has burned through 1,200 hectares of "
    "pine forest near the coast. Strong winds have pushed the flames toward a camping area, "
    "which was cleared as a precaution.",
    "tech": "A smartphone maker recalled 80,000 charging adapters after reports that the plastic "
    "casing could crack and expose live parts. Customers are asked to stop using them and "
    "request a free replacement.",
    "election": "Opposition parties agreed on a joint candidate for the presidential runoff, "
    "hoping to unite voters behind a single programme of anti-corruption measures and "
    "pension reform.",
    "museum": "The national museum reopened its ancient Egypt gallery after a three-year "
    "renovation, displaying more than 500 objects including a painted coffin never shown to "
    "the public before.",
    "strike": "Dock workers began a 48-hour strike over pay and shift patterns, leaving dozens of "
    "container ships waiting outside the port and raising fears of shortages in shops.",
    "space": "The space agency confirmed that its lunar lander touched down near the south pole "
    "of the Moon, where it will search for water ice in permanently shadowed craters.",
    "drought": "Farmers in the southern plains say this year's wheat harvest could be the worst in "
    "two decades, as months without rain have left the soil cracked and reservoirs half empty.",
    "court": "The supreme court ruled that the new surveillance law violates privacy rights, "
    "ordering the government to rewrite the provisions on storing phone records within a year.",
    "airline": "A budget airline announced twelve new routes from the regional airport, including "
    "direct flights to Lisbon, Krakow and Marrakech starting in October.",
    "quake": "A magnitude 5.8 earthquake shook the mountain region early on Friday, damaging old "
    "stone houses and cutting power to several towns; no deaths have been reported so far.",
    "tennis": "The top seed was knocked out of the tournament in the second round, losing in "
    "straight sets to a qualifier ranked outside the world's top hundred.",
    # Same people and place as rail_1a, different event: must not join the rail pair.
    "rail_2": "The city council postponed a vote on raising tram fares after protests outside the "
    "town hall, where students from the university campus demanded a cheaper monthly pass.",
}
