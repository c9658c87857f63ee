"""Closed sets of names (statuses, actions, kinds of jobs) as enums that read as plain text.

Its own small module: the window's first paint imports it, and nothing else of the core's types.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Kind"]


class Kind(str, Enum):
    """A closed set of names that also reads as plain text: compares equal to its value and
    prints as it (JSON shows the value), while a misspelt name fails where it is made."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)
