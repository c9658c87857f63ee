"""Turning exceptions into what a user reads: one sentence, with the details on demand."""

from __future__ import annotations

import traceback

from faceapp.core.errors import FaceAppError

__all__ = ["user_message", "details", "finding"]


def user_message(exc: BaseException, what: str) -> str:
    """One sentence for the user: faceapp's own errors speak for themselves."""
    if isinstance(exc, FaceAppError):
        return str(exc)
    return f"Something went wrong while {what}; see the details, and report it if it happens again."


def details(exc: BaseException) -> str:
    """The text behind "Details": the error's type and message, and for a bug its traceback."""
    if isinstance(exc, FaceAppError):
        return "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return "".join(traceback.format_exception(exc)).strip()


def finding(message: str) -> str:
    """The finding of a faceapp message without its advice: ``"X failed (why); do Y."`` → ``"X failed (why)."``.

    For places that give the advice themselves (the model dialog's offline hint).
    """
    head = message.split("; ", 1)[0].rstrip(".")
    return head + "."
