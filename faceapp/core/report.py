"""Results as JSON-ready dicts and as plain text, shared by the CLI and the GUI.

The JSON schema is documented in README.md ("JSON output"); keep them in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faceapp.core.types import AnalysisResult, Face, FaceResult, Verdict
from faceapp.core.wording import plural

__all__ = ["detection_dict", "face_dict", "analysis_dict", "detection_text", "analysis_text", "verdict_text", "verdict_word",
           "verdict_people", "verdict_numbers", "who_line", "who_text"]


def detection_dict(face: Face, number: int) -> dict[str, object]:
    """A detected face: ``number`` (from 1), box ``[x, y, w, h]``, confidence, landmarks, rotation."""
    return {
        "number": number,
        "box": face.box.as_list(),
        "confidence": round(float(face.confidence), 4),
        "landmarks": face.landmarks.as_dict() if face.landmarks else None,
        "rotation": face.rotation,
    }


def face_dict(result: FaceResult, number: int, descriptor: bool = False) -> dict[str, object]:
    """A described face: :func:`detection_dict` plus identities (and the descriptor)."""
    entry = detection_dict(result.face, number)
    entry["identities"] = [{"name": i.name, "probability": round(float(i.probability), 6)}
                           for i in result.identities]
    if descriptor:
        entry["descriptor"] = [round(float(v), 7) for v in result.descriptor]
    return entry


def analysis_dict(path: str, result: AnalysisResult, descriptor: bool = False) -> dict[str, object]:
    """One photo's entry of the CLI's ``--json`` output."""
    return {
        "path": path,
        "width": result.image_size[0],
        "height": result.image_size[1],
        "faces": [face_dict(face, n, descriptor) for n, face in enumerate(result.faces, start=1)],
        "timings_ms": dict(result.timings_ms),
    }


def _faces_header(name: str, count: int) -> str:
    return f"{name}: {plural(count, 'face')}" + (" found" if count == 0 else "")


def _face_line(number: int, face: Face) -> str:
    box = face.box
    turned = f", turned {face.rotation}°" if face.rotation else ""
    return f"  face {number}: x={box.x} y={box.y} {box.width}×{box.height}, confidence {face.confidence:.2f}{turned}"


def detection_text(name: str, faces: Sequence[Face]) -> str:
    """Human-readable lines for one photo's detected faces."""
    return "\n".join([_faces_header(name, len(faces))] +
                     [_face_line(number, face) for number, face in enumerate(faces, start=1)])


def analysis_text(name: str, result: AnalysisResult, identities: bool = True) -> str:
    """Human-readable lines for one photo: faces and, with ``identities``, their top names."""
    lines = [_faces_header(name, len(result.faces))]
    for number, face_result in enumerate(result.faces, start=1):
        lines.append(_face_line(number, face_result.face))
        if identities:
            if not result.has_identities:
                lines.append("    identities unavailable: this model file has no classifier (_notop_)")
            for rank, identity in enumerate(face_result.identities, start=1):
                lines.append(f"    {rank}. {identity.name:<32} {identity.probability * 100:6.2f} %")
    return "\n".join(lines)


def verdict_word(verdict: Verdict) -> str:
    """``MATCH`` or ``NO MATCH``."""
    return "MATCH" if verdict.match else "NO MATCH"


def verdict_people(verdict: Verdict) -> str:
    """What the verdict says of the two faces: ``the same person`` or ``different people``."""
    return "the same person" if verdict.match else "different people"


def verdict_numbers(verdict: Verdict) -> str:
    """``cosine distance 0.312 ≤ threshold 0.50; similarity 0.688``."""
    relation = "≤" if verdict.match else ">"
    return (f"cosine distance {verdict.distance:.3f} {relation} threshold {verdict.threshold:.2f}; "
            f"similarity {verdict.similarity:.3f}")


def verdict_text(verdict: Verdict, label_a: str, label_b: str) -> str:
    """One line: the verdict in words, naming the faces compared."""
    return f"{verdict_word(verdict)}: {label_a} and {label_b} look like {verdict_people(verdict)} ({verdict_numbers(verdict)})"


def who_line(answer: Any, names: dict[int, str]) -> tuple[str, str]:
    """One face's "who is this?" answer in the window: (the label on its box, the line under the photo).

    ``answer``: a :class:`~faceapp.core.library.search.Suggestion`; ``names``: person id → name.
    """
    nearest = names.get(answer.person, "")
    if answer.status == "match":
        return nearest, f"{nearest} · {answer.distance:.2f}"
    if answer.status == "unsure":
        return (f"{nearest}?", f"{nearest}? · {answer.distance:.2f} (or {names.get(answer.runner_up, '')} "
                               f"· {answer.runner_up_distance:.2f})")
    if answer.status == "nobody":
        return "?", "unknown (no one named yet)"
    return "?", "unknown" + (f" (nearest: {nearest} · {answer.distance:.2f})" if nearest else "")


def who_text(answer: Any, names: dict[int, str], where: str) -> str:
    """One face's "who is this?" answer as the CLI says it; ``where``: the confirmed face it is nearest to."""
    if answer.status == "nobody":
        return "unknown (no named faces in this library yet: 'faceapp-cli people add NAME PHOTO')"
    nearest = f"{names.get(answer.person)} at {answer.distance:.3f}" if answer.person is not None else ""
    if answer.status == "match":
        runner = f"; next {names.get(answer.runner_up)} at {answer.runner_up_distance:.3f}" if answer.runner_up else ""
        return f"{names.get(answer.person)} (distance {answer.distance:.3f} to {where}{runner})"
    if answer.status == "unsure":
        return (f"unsure: {nearest}, but {names.get(answer.runner_up)} is at {answer.runner_up_distance:.3f} "
                "(within the margin)")
    return f"unknown{f' (nearest: {nearest})' if nearest else ''}"
