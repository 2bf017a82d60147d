"""Progress on stderr covers every stage of a batch run, and stays silent when not asked."""

from __future__ import annotations

import dupdetect


def test_every_stage_is_reported_when_asked(capsys) -> None:
    dupdetect.cluster(dupdetect.sample_dir(), progress=True)
    err = capsys.readouterr().err
    for stage in ("read", "featurize", "candidates", "verify", "group", "member scores"):
        assert f"dupdetect: {stage} " in err, stage
    assert "(9 documents, 0 errors)" in err


def test_silent_by_default_off_a_terminal(capsys) -> None:
    dupdetect.cluster(dupdetect.sample_dir())  # pytest's stderr is not a terminal
    dupdetect.cluster_texts(["نص قصير"], progress=False)
    assert capsys.readouterr().err == ""
