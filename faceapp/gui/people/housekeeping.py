"""Asking before forgetting: the window's side of "Forget missing photos" and "Remove and forget their faces".

The rules (what a prune may forget, what an erasure deletes) are the core's
(:mod:`faceapp.core.library.housekeeping`); these dialogs show what the core
planned or did, and ask.  Nothing named is forgotten unless the user ticks it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from faceapp.core.wording import plural

__all__ = ["ask_prune", "confirm_erase", "show_erased", "erased_text"]


def ask_prune(parent: QWidget, plan: Any) -> tuple[tuple[int, ...], bool] | None:
    """Show what a prune ``plan`` (a core PrunePlan) would forget and ask; returns (photo ids to forget,
    whether photos with a named face go too), or None when the user keeps everything."""
    from faceapp.core.library.pathtext import shown

    forget, named = list(plan.forget), list(plan.kept_named)
    gone = "whose file is gone" if len(forget) == 1 else "whose files are gone"
    text = (f"Forget {plural(len(forget), 'photo')} {gone}? Their faces go with them."
            if forget else "No missing photo can be forgotten without forgetting a name.")
    if named:
        text += (f"\n{plural(len(named), 'missing photo')} show{'s' if len(named) == 1 else ''} someone you named: "
                 "kept, unless you tick the box.")
    box = QMessageBox(QMessageBox.Icon.Question, "Forget missing photos", text, parent=parent)
    lines = [f"forget: {shown(record.path)}" for record in forget]
    lines += [f"kept (named): {shown(record.path)}" for record in named]
    box.setDetailedText("\n".join(lines))
    tick = None
    if named:
        tick = QCheckBox(f"Also forget the {plural(len(named), 'photo')} where someone is named")
        box.setCheckBox(tick)
    go = box.addButton("Forget", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    if box.clickedButton() is not go:
        return None
    include = tick is not None and tick.isChecked()
    ids = [record.id for record in forget] + ([record.id for record in named] if include else [])
    return (tuple(ids), include) if ids else None


def confirm_erase(parent: QWidget, name: str, faces: int) -> bool:
    """Ask before erasing ``name`` and their ``faces`` confirmed faces (cannot be undone)."""
    answer = QMessageBox.warning(
        parent, f"Remove and forget {name}",
        f"Remove {name} and forget their {plural(faces, 'confirmed face')}? Their descriptors, thumbnails and "
        f"pasted photos that show only them are deleted from this computer; this cannot be undone.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


def erased_text(erasure: Any) -> str:
    """One sentence on what an erasure (a core Erasure) deleted."""
    text = (f"Erased {erasure.person}: {plural(erasure.faces, 'confirmed face')} with their descriptors, "
            f"{plural(erasure.rejections, 'rejection')}, {plural(erasure.thumbnails, 'thumbnail')} and "
            f"{plural(len(erasure.copies), 'pasted copy', 'pasted copies')}.")
    if not erasure.compacted:
        text += " Another program has the library open: close it, then erase again to empty the file's log."
    return text


def show_erased(parent: QWidget, erasure: Any) -> None:
    """Show what was deleted, with the deleted copies' paths under Details."""
    from faceapp.core.library.pathtext import shown

    box = QMessageBox(QMessageBox.Icon.Information, "Erased", erased_text(erasure), parent=parent)
    if erasure.copies:
        box.setDetailedText("\n".join(f"deleted {shown(path)}" for path in erasure.copies))
    box.exec()
