"""Labels: safe .npy reading and names cleaned for people."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from faceapp.core.errors import WeightsError
from faceapp.core.vggface.labels import clean_name, load_labels


@pytest.mark.parametrize("raw,clean", [
    (" A._J._Buckley", "A. J. Buckley"),
    ("b' A._J._Buckley'", "A. J. Buckley"),
    (b" Aaron_Yoo", "Aaron Yoo"),
    (' "Weird_Al_Yankovic" ', "Weird Al Yankovic"),
    ("Jean-Claude__Van_Damme", "Jean-Claude Van Damme"),
])
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


def test_plain_string_array(tmp_path):
    path = tmp_path / "l.npy"
    np.save(path, np.array([" A._J._Buckley", " Aaron_Yoo"]))
    assert load_labels(path, 2) == ("A. J. Buckley", "Aaron Yoo")


def test_bytes_array(tmp_path):
    path = tmp_path / "l.npy"
    np.save(path, np.array([b" Aaron_Yoo"]))
    assert load_labels(path) == ("Aaron Yoo",)


def test_object_array_of_strings_allowed(tmp_path):
    path = tmp_path / "l.npy"
    np.save(path, np.array([" Aaron_Yoo", " Ab_Cd"], dtype=object), allow_pickle=True)
    assert load_labels(path, 2) == ("Aaron Yoo", "Ab Cd")


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_object_array_with_foreign_object_refused(tmp_path, capsys):
    path = tmp_path / "evil.npy"
    np.save(path, np.array([_Evil()], dtype=object), allow_pickle=True)
    with pytest.raises(WeightsError, match="'evil.npy'"):
        load_labels(path)
    assert "pwned" not in capsys.readouterr().out


def test_raw_pickle_refused(tmp_path):
    path = tmp_path / "p.npy"
    path.write_bytes(pickle.dumps(["x"]))
    with pytest.raises(WeightsError, match="not a valid labels file"):
        load_labels(path)


def test_wrong_count_and_non_strings(tmp_path):
    path = tmp_path / "l.npy"
    np.save(path, np.array(["a", "b"]))
    with pytest.raises(WeightsError, match="2 names where the model needs 8631"):
        load_labels(path, 8631)
    np.save(path, np.arange(3))
    with pytest.raises(WeightsError, match="other than names"):
        load_labels(path)
