"""The same-person threshold in use for a model and crop recipe: calibrated on the user's photos, or the default.

Calibrations are kept in ``thresholds.json`` in faceapp's user data folder,
one entry per ``model/crop`` (written atomically).  The CLI and the window read
the threshold from here; ``evaluate`` and the window's calibration write it.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from faceapp.core.defaults import DEFAULT_THRESHOLD
from faceapp.core.errors import StorageError

__all__ = ["thresholds_file", "saved", "threshold_for", "save", "meaning"]

THRESHOLDS_ENV = "FACEAPP_THRESHOLDS"


def thresholds_file() -> Path:
    """``$FACEAPP_THRESHOLDS``, else ``thresholds.json`` in faceapp's user data folder."""
    from faceapp.paths import user_data_dir

    env = os.environ.get(THRESHOLDS_ENV)
    return Path(env).expanduser() if env else user_data_dir() / "thresholds.json"


def _read() -> dict[str, Any]:
    path = thresholds_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or unreadable
        return {}  # an unreadable file is the same as no calibration; saving replaces it
    return data if isinstance(data, dict) else {}


def saved(model: str, crop: str) -> dict[str, Any] | None:
    """The saved calibration entry of ``model``/``crop`` (``{"threshold": …, …}``), or None."""
    entry = _read().get(f"{model}/{crop}")
    if isinstance(entry, dict) and isinstance(entry.get("threshold"), (int, float)):
        return entry
    return None


def threshold_for(model: str, crop: str) -> float:
    """The threshold to use: the calibrated one for ``model``/``crop``, else DEFAULT_THRESHOLD."""
    entry = saved(model, crop)
    return float(entry["threshold"]) if entry else DEFAULT_THRESHOLD


def save(model: str, crop: str, threshold: float, **details: Any) -> Path:
    """Remember ``threshold`` as ``model``/``crop``'s own (``details``: what it means, where it came from)."""
    data = _read()
    data[f"{model}/{crop}"] = {"threshold": round(float(threshold), 4), "saved_at": time.time(), **details}
    path = thresholds_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".thresholds-", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
        os.replace(temporary, path)
    except OSError as exc:
        raise StorageError(f"Cannot save the threshold in {path} ({exc.strerror or exc}); "
                           "check that folder's permissions.") from None
    return path


def meaning(entry: dict[str, Any] | None, threshold: float) -> str:
    """What ``threshold`` means on the photos ``entry`` (a saved calibration) was measured on:
    "at 0.42: 1 false match in 1,000, 3 % of true pairs missed" — or "" without a measured curve."""
    curve = entry.get("curve") if entry else None
    if not curve:
        return ""
    row = min(curve, key=lambda r: abs(r[0] - threshold))
    far, frr = float(row[1]), float(row[2])
    if far <= 0:
        false = "no false match seen"
    elif far < 0.5:
        false = f"1 false match in {round(1 / far):,}"
    else:
        false = f"{far * 100:.0f} % false matches"
    return f"at {threshold:.2f}: {false}, {frr * 100:.0f} % of true pairs missed"
