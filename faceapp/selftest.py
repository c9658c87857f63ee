"""``faceapp --self-test``: prove an installation or a build works, headless.

Builds the model from the model folder, analyses the sample photo shipped in
``resources/``, scans it into a throw-away people library (SQLite, the scan's
reading thread) and asks "who is this?" of it after naming its face; prints a
JSON summary and exits 0 when a face was found, described and recognised.  No Qt
is involved.  Where there is no console (a windowed build on
Windows or macOS) the summary goes to ``faceapp-self-test.json`` in the working folder.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from faceapp import __version__
from faceapp.core.defaults import DEFAULT_MODEL
from faceapp.core.errors import FaceAppError, ModelFilesMissing
from faceapp.paths import resource_path

__all__ = ["self_test"]


def self_test(models_dir: str | None = None, model: str = DEFAULT_MODEL) -> int:
    """Run the check and print its JSON summary; returns the exit status (0 ok, 1 failed, 3 no models)."""
    summary: dict[str, object] = {"faceapp": __version__, "model": model, "models_dir": models_dir, "ok": False}
    try:
        started = time.perf_counter()
        from faceapp.core.backend import keras, tensorflow
        from faceapp.core.engine import Engine
        from faceapp.core.images import load_image

        summary.update(tensorflow=tensorflow().__version__, keras=keras().__version__)
        engine = Engine(model=model, models_dir=models_dir)
        engine.load()
        summary["weights"] = str(engine.model.weights_path)
        summary["load_ms"] = round((time.perf_counter() - started) * 1000.0, 1)
        sample = resource_path("sample.jpg")
        result = engine.analyze(load_image(sample))
        descriptors_ok = all(np.isfinite(face.descriptor).all() for face in result.faces)
        summary.update(
            sample=str(sample), faces=len(result.faces), identities_available=result.has_identities,
            descriptor_dim=int(result.faces[0].descriptor.size) if result.faces else 0,
            top_identity=(result.faces[0].identities[0].name if result.faces and result.faces[0].identities else None),
            timings_ms=result.timings_ms,
        )
        summary["library"] = _library_check(engine, sample) if result.faces else None
        summary["ok"] = bool(result.faces) and descriptors_ok and summary["library"] == "ok"
        status = 0 if summary["ok"] else 1
    except ModelFilesMissing as exc:
        summary["error"] = str(exc)
        status = 3
    except FaceAppError as exc:
        summary["error"] = str(exc)
        status = 1
    except Exception as exc:  # noqa: BLE001 - a self-test reports every failure as data
        summary["error"] = f"{type(exc).__name__}: {exc}"
        status = 1
    text = json.dumps(summary, indent=2)
    if sys.stdout is None:  # a windowed build on Windows/macOS has no console
        with open("faceapp-self-test.json", "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    else:
        print(text)
        sys.stdout.flush()
    return status


def _library_check(engine, sample) -> str:  # noqa: ANN001
    """Scan the sample into a temporary library, name its face, and ask who it is: "ok" or what failed."""
    import shutil
    import tempfile
    from pathlib import Path

    from faceapp.core.defaults import DEFAULT_THRESHOLD, MATCH_MARGIN
    from faceapp.core.library import Library, recognition
    from faceapp.core.library.scan import Scanner

    with tempfile.TemporaryDirectory(prefix="faceapp-self-test-") as folder:
        photos = Path(folder) / "photos"
        photos.mkdir()
        shutil.copy(sample, photos / "sample.jpg")
        with Library.open(Path(folder) / "library.sqlite") as library:
            scan = Scanner(library, [photos], engine.model_name, engine.crop, engine.models_dir, engine=engine).run()
            if scan.faces < 1:
                return f"the scan found {scan.faces} faces"
            person, face, _ = recognition.enrol(library, engine, "Self-test", photos / "sample.jpg")
            _, matrix = library.descriptors(engine.space, [face.id])
            answer = recognition.suggest(library, engine.space, matrix, DEFAULT_THRESHOLD, MATCH_MARGIN, [face.id])[0]
            if answer.status != "match" or answer.person != person.id:
                return f"who answered {answer.status}"
    return "ok"
