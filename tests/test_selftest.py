"""``faceapp --self-test`` from source: the same check a build runs (tests/e2e covers the build)."""

from __future__ import annotations

import json

from faceapp.core.library import search
from faceapp.selftest import self_test


def test_self_test_analyses_and_recognises_the_sample(models_dir, capsys):
    assert self_test(str(models_dir)) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is True and summary["faces"] == 1 and summary["library"] == "ok"


def test_self_test_fails_when_the_library_cannot_recognise(models_dir, capsys, monkeypatch):
    monkeypatch.setattr(search.PeopleIndex, "suggest", lambda self, queries, *a, **k: [search.Suggestion("unknown")])
    assert self_test(str(models_dir)) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is False and summary["library"] == "who answered unknown"


def test_self_test_without_model_files(tmp_path, capsys):
    assert self_test(str(tmp_path)) == 3
    assert "faceapp-cli models download resnet50" in json.loads(capsys.readouterr().out)["error"]
