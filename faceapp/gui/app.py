"""Start-up: parse arguments, show the window, then start the engine thread.

The window is on screen before ONNX Runtime (or NumPy) is imported: only the
worker thread imports them, after the first paint.
"""

from __future__ import annotations

import argparse
import logging
import sys

from faceapp import APP_ID, APP_NAME, __version__
from faceapp.gui.first_paint import after_first_paint

__all__ = ["run", "build_parser", "after_first_paint"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=APP_NAME, description="Compare faces in two photos.")
    parser.add_argument("photos", nargs="*", metavar="PHOTO", help="up to two photos: the first fills pane A, the second B")
    parser.add_argument("--models-dir", metavar="DIR", help="folder holding the model files")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="headless check of this installation: build the model from --models-dir, "
                             "analyse the bundled sample photo, print a JSON summary")
    return parser


def run(argv: list[str]) -> int:
    """Run the app; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.self_test:
        from faceapp.selftest import self_test

        return self_test(args.models_dir)
    if len(args.photos) > 2:
        print(f"{APP_NAME}: give at most two photos (got {len(args.photos)}); the window has two panes.", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from PySide6.QtWidgets import QApplication

    from faceapp.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setOrganizationDomain(APP_ID)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    window = MainWindow(models_dir=args.models_dir)
    window.show()

    def begin() -> None:
        # Only once the window is painted: reading photos and starting the engine
        # thread (and with it ONNX Runtime) compete with the first paint otherwise.
        window.compare.open_paths(args.photos)
        window.start_worker()

    after_first_paint(window, begin)
    status = app.exec()
    # Normally the window closed after the engine thread ended; should the loop end first, wait for it
    # here: a QThread destroyed while it runs aborts the process.
    window.engine.stop(timeout_ms=120_000)
    return status

