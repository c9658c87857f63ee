"""Drive the real window hard, in a process of its own (run by test_stress.py).

    python tests/gui/stress_app.py drops MODELS_DIR BAD_FILE PHOTO...
    python tests/gui/stress_app.py download EMPTY_MODELS_DIR URL

Prints one JSON line with what the window showed at the end; the parent test
checks it, the exit status, the time to exit and that stderr has no traceback.
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
    from PySide6.QtCore import QMimeData, QSettings, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from faceapp.gui.engine.jobs import AnalyzeJob
    from faceapp.gui.main_window import MainWindow
    from tests.gui.helpers import drop, file_mime, recorder

    app = QApplication([])
    mode, models_dir = sys.argv[1], sys.argv[2]
    settings = QSettings(str(Path(models_dir).parent / f"stress-{mode}.ini"), QSettings.Format.IniFormat)
    download_url = sys.argv[3] if mode == "download" else None
    window = MainWindow(models_dir=models_dir, settings=settings, download_url=download_url)
    window.show()
    window.start_worker()
    report: dict[str, object] = {}
    deadline = QTimer()  # a hung window reports a timeout instead of hanging the test
    deadline.setSingleShot(True)
    deadline.timeout.connect(lambda: (report.update(timeout=True), finish()))
    deadline.start(240_000)

    def when(signals, condition, then) -> None:  # noqa: ANN001
        """Call ``then`` once ``condition()`` holds: at once, or at the first emission of one of ``signals``
        (GUI-thread signals, emitted after the state the condition reads has changed) after which it does."""
        if condition():
            then()
            return
        done = []

        def check(*_args) -> None:  # noqa: ANN002
            if not done and condition():
                done.append(True)
                for signal in signals:
                    signal.disconnect(check)
                then()

        for signal in signals:
            signal.connect(check)

    def finish() -> None:
        deadline.stop()
        report["closing_at"] = time.monotonic()
        print(json.dumps(report), flush=True)
        window.close()
        # Mime data made here in Python belongs to the clipboard; Qt would free it at
        # exit, after Python is gone, and crash (PYSIDE-2254).  faceapp itself never puts
        # Python-made data on the clipboard.
        QGuiApplication.clipboard().clear()
        app.quit()

    if mode == "download":
        def start_download() -> None:
            received = recorder()  # download progress: bytes done
            window.engine.progress.connect(lambda done, _total: received.record(done))
            window.model_files.dialog.download_button.click()
            # Bytes arrived (the server stalls after a few): close now, mid-download.
            when((received.recorded,), lambda: any(done > 0 for done in received.items), finish)

        when((window.engine.modelFailed,), lambda: window.model_files.dialog is not None, start_download)
        app.exec()
        window.engine.stop(timeout_ms=120_000)  # as faceapp.gui.app.run does
        return 0

    bad, photos = Path(sys.argv[3]), [Path(p) for p in sys.argv[4:]]
    plan: list[tuple[str, str, Path]] = []  # (pane, how, file)
    for index in range(100):
        pane = "AB"[index % 2]
        source = bad if index % 4 == 3 else photos[index % len(photos)]
        plan.append((pane, "paste" if index % 5 == 0 else "drop", source))
    plan[-1] = ("B", "drop", photos[0])
    plan[-2] = ("A", "drop", photos[1])
    last = {pane: source for pane, _how, source in plan}
    steps = iter(enumerate(plan))

    def next_step() -> None:
        step = next(steps, None)
        if step is None:
            settle()
            return
        index, (pane, how, source) = step
        if how == "paste":
            mime = QMimeData()
            mime.setData("image/jpeg" if source.suffix != ".png" else "image/png", source.read_bytes())
            QGuiApplication.clipboard().setMimeData(mime)
            window.compare.active_pane = pane
            empty = [name for name, p in window.compare.panes.items() if p.rgb is None]
            if empty:
                window.compare.take_items(pane, [("data", source.read_bytes())])  # paste would fill the empty pane
            else:
                window.compare.paste()
        else:
            drop(window.compare.panes[pane], file_mime(source))
        if index == 30:
            window.choose_crop("tutorial")
        if index == 45:
            window.choose_model("senet50")  # its files are missing: the dialog opens meanwhile
        if index == 60:
            window.model_files.close_dialog()
            window.choose_model("resnet50")
        if index == 75:
            window.choose_crop("vggface2")
        QTimer.singleShot(25, next_step)

    def shown(pane: str) -> bool:
        view = window.compare.panes[pane]
        if last[pane] == bad:
            return view.message_bar.isVisibleTo(view) and bad.name in view.message.text()
        return view.label == last[pane].name and view.result is not None

    def settle() -> None:
        report["drops_done_at"] = time.monotonic()
        compare = window.compare
        when((compare.analysed, compare.loader.failed, window.engine.modelReady),
             lambda: window.engine.ready and all(shown(p) for p in "AB"), close_mid_analysis)

    def close_mid_analysis() -> None:
        panes = window.compare.panes
        report.update(labels={p: panes[p].label for p in "AB"},
                      faces={p: len(panes[p].result.faces) for p in "AB" if panes[p].result is not None},
                      crop=window.engine.crop, model=window.engine.info.model,
                      expected={p: last[p].name for p in "AB"})
        started = recorder()  # jobs the engine starts from now on
        window.engine.worker.started.connect(started.record)
        window.compare.open_paths([str(photos[-1]), str(photos[-1])])
        # Close the moment the engine starts analysing them (the decode is done): mid-analysis.
        when((started.recorded,), lambda: any(isinstance(job, AnalyzeJob) for job in started.items), finish)

    report["started_at"] = time.monotonic()
    when((window.engine.modelReady,), lambda: window.engine.ready, next_step)
    app.exec()
    window.engine.stop(timeout_ms=120_000)  # as faceapp.gui.app.run does
    return 0


if __name__ == "__main__":
    sys.exit(main())
