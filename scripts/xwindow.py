"""Xvfb and xdotool helpers shared by the screenshot script and the start-up benchmark."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

__all__ = ["start_xvfb", "find_faceapp_window", "wait_for_faceapp_window"]


def start_xvfb(display: str, size: str = "1280x900x24") -> subprocess.Popen:
    """A virtual X screen on ``display``; terminate() it when done."""
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", size, "-nolisten", "tcp"])
    time.sleep(1.0)
    return server


def find_faceapp_window(env: dict[str, str]) -> str | None:
    """The id of faceapp's visible main window, or None."""
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^faceapp$"],
                           env=env, capture_output=True, text=True)
    return found.stdout.split()[0] if found.stdout.strip() else None


def wait_for_faceapp_window(env: dict[str, str], timeout: float, poll: float = 0.2,
                            alive: Callable[[], bool] = lambda: True) -> str:
    """Poll until faceapp's window is mapped; RuntimeError after ``timeout`` seconds or once ``alive()`` is false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        window = find_faceapp_window(env)
        if window:
            return window
        time.sleep(poll)
    raise RuntimeError("the faceapp window did not appear")
