"""The real window scanning a library, in a process of its own (run by test_reliable.py).

    python tests/gui/library_app.py close-while-walking MODELS_DIR LIBRARY FOLDER
    python tests/gui/library_app.py scan MODELS_DIR LIBRARY FOLDER

``close-while-walking``: the folder is walked slowly (a network share: each look at
one of its files takes 50 ms), and the window is closed while the scan walks it.
Prints one JSON line: when the close was asked for and when the process was about
to exit (``time.monotonic()``), and whether the scan saw the cancel.
``scan``: prints ``progress DONE TOTAL`` for every photo the scan finishes, then
``finished`` — the parent kills it (-9) in between.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from faceapp.gui.main_window import MainWindow

    mode, models_dir, library, folder = sys.argv[1:5]
    if mode == "close-while-walking":
        # The folder is on a slow share: every look at a file under it (os.stat, which os.path.isfile and
        # Path.stat call too) takes 50 ms.  Slowed where the file system answers, not inside the scanner.
        share = tuple({os.path.join(folder, ""), os.path.join(os.path.realpath(folder), "")})
        stat = os.stat

        def slow_stat(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if isinstance(path, (str, bytes, os.PathLike)) and os.fsdecode(path).startswith(share):
                time.sleep(0.05)
            return stat(path, *args, **kwargs)

        os.stat = slow_stat

    app = QApplication([])
    settings = QSettings(str(Path(library).with_suffix(".ini")), QSettings.Format.IniFormat)
    settings.setValue("library/path", library)
    window = MainWindow(models_dir=models_dir, settings=settings)
    window.show()
    report: dict[str, object] = {}

    def status(text: str) -> None:
        if mode == "close-while-walking" and text == "Looking through the folders…" and "close_asked_at" not in report:
            report["close_asked_at"] = time.monotonic()
            window.close()

    def progress(value) -> None:  # noqa: ANN001 - a ScanProgress
        print(f"progress {value.done} {value.total}", flush=True)

    def finished(summary) -> None:  # noqa: ANN001 - a ScanSummary or an exception
        report["cancelled"] = getattr(summary, "cancelled", None)
        print("finished", flush=True)
        if mode == "scan":
            window.close()

    window.library.status.connect(status)
    window.engine.status.connect(status)  # the worker says it is walking the folders
    window.library.scanProgress.connect(progress)
    window.library.scanFinished.connect(finished)
    window.engine.modelReady.connect(lambda _info: window.library.scan([folder]))
    window.start_worker()
    app.exec()
    window.engine.stop(timeout_ms=120_000)  # as faceapp.gui.app.run does
    report["exiting_at"] = time.monotonic()
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
