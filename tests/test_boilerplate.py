from __future__ import annotations

import pytest

from dupdetect import strip_boilerplate

STORY = (
    "افتتح وزير النقل اليوم الطريق السريع الجديد الذي يربط العاصمة بالميناء الشمالي.\n"
    "وقال الوزير إن المشروع استغرق ثلاث سنوات وبلغت كلفته مئتي مليون دينار.\n"
    "ويتوقع أن يخفف الطريق الازدحام على الطرق القديمة بنسبة كبيرة خلال العام المقبل.\n"
)


@pytest.mark.parametrize(
    "trailer",
    [
        "إقرأ أيضاً:\nخبر آخر لا علاقة له بالقصة عن أسعار الذهب في الأسواق المحلية اليوم.",
        "اقرأ أيضا\nعنوان آخر",
        "مقالات ذات صلة\nعنوان أول\nعنوان ثان",
        "مقالات مشابهة\n  • عنوان أول\n  • عنوان ثان",
        "كلمات دلالية: نقل طرق وزارة",
        "اترك تعليقاً\nلن يتم نشر عنوان بريدك الإلكتروني، وكل الخانات المطلوبة عليها نجمة *",
        "المصدر: وكالة الأنباء\nكلمات دلالية: نقل",
        "Read also: another story about something else entirely",
    ],
)
def test_trailers_are_cut(trailer: str) -> None:
    out = strip_boilerplate(STORY + trailer)
    assert out == STORY.rstrip("\n")


def test_chrome_lines_dropped_story_kept() -> None:
    text = "تاريخ النشر: 12 مارس 2024\n" + STORY
    assert strip_boilerplate(text) == STORY.rstrip("\n")


def test_one_word_marker_inside_a_sentence_is_story() -> None:
    line = "التعليقات التي أدلى بها الوزير أثارت جدلا واسعا في البرلمان"
    text = STORY + line
    assert strip_boilerplate(text).endswith(line)


def test_marker_at_the_very_start_does_not_erase_the_story() -> None:
    text = "المصدر: وكالة الأنباء\n" + STORY
    assert "الطريق السريع" in strip_boilerplate(text)


def test_type_error() -> None:
    with pytest.raises(TypeError):
        strip_boilerplate(None)  # type: ignore[arg-type]


def test_seed_trailers(seeds) -> None:
    texts = {k: p.read_text(encoding="utf-8") for k, p in seeds.items()}
    out0 = strip_boilerplate(texts["000"])
    assert "كلمات دلالية" not in out0 and "الأونروا" not in out0
    assert "هرتسوغ" in out0  # the story's last paragraph is kept
    out1 = strip_boilerplate(texts["001"])
    assert "اترك تعليقاً" not in out1 and "142 طائرة" in out1
    out3 = strip_boilerplate(texts["003"])
    assert "مقالات مشابهة" not in out3 and "فيصل بن فرحان" not in out3
    assert "اهتمام استراتيجي متبادل" in out3
