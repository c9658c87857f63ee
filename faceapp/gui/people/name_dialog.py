"""Asking for a person's name: type a new one or pick one of your people (one dialog for every view)."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QWidget

__all__ = ["ask_person_name"]


def ask_person_name(parent: QWidget, title: str, names: list[str], new_only: bool = False,
                    existing_only: bool = False, default: str = "") -> str | None:
    """The name chosen, stripped, or None when cancelled or empty.

    ``names``: your people, offered in the list; ``new_only``: a free text field;
    ``existing_only``: pick from ``names`` only.
    """
    if new_only or not names:
        text, ok = QInputDialog.getText(parent, title, "Name:", text=default)
    else:
        label = "Person:" if existing_only else "Name (type a new one or choose):"
        text, ok = QInputDialog.getItem(parent, title, label, names, 0, not existing_only)
    text = " ".join(str(text).split())
    return text if ok and text else None
