"""A calibration as JSON (stable, documented in README.md), as a CSV of its curve, and as an HTML page with plots.

The plots are SVG written here (ROC, DET, distance histograms with the chosen
threshold marked): no plotting library — the app bundle has no room for one
(BENCHMARKS.md) — and the window shows the same SVG.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from faceapp.core.evaluation.calibration import Calibration
from faceapp.core.evaluation.rates import (
    FAR_TARGETS,
    curve_at,
    enough_impostors,
    probit,
)

__all__ = ["calibration_dict", "compact_curve", "left_out_lines", "write_csv", "svg_plots", "write_html"]


def compact_curve(curve: np.ndarray, step: float = 0.01) -> list[list[float]]:
    """[threshold, FAR, FRR] every ``step`` from 0 to 1: what the threshold slider can reach."""
    rows = []
    for threshold in np.round(np.arange(0.0, 1.0 + step / 2, step), 4):
        far, frr = curve_at(curve, float(threshold))
        rows.append([float(threshold), round(far, 7), round(frr, 7)])
    return rows


def calibration_dict(calibration: Calibration) -> dict[str, Any]:
    e = calibration.evaluation
    at_far = {}
    for target in FAR_TARGETS:
        row = e.at_far[target]
        key = f"{target:g}"
        if isinstance(row, dict):
            interval = e.intervals.get(f"tar@{target:g}")
            at_far[key] = {**{k: round(v, 6) for k, v in row.items()},
                           "tar_95": [round(v, 6) for v in interval] if interval else None}
        else:
            at_far[key] = {"not_enough_pairs": True, "impostor_pairs_needed": enough_impostors(target)}
    return {
        "source": calibration.source, "space": calibration.space,
        "people": len(calibration.people), "photos": len(calibration.photos),
        "photos_used": sum(p.descriptor is not None for p in calibration.photos),
        "from_library": sum(p.from_library for p in calibration.photos),
        "left_out": [{"path": p.path, "reason": p.problem} for p in calibration.photos if p.descriptor is None],
        "several_faces": [p.path for p in calibration.photos if p.faces > 1],
        "pairs": {"genuine": calibration.genuine_pairs, "impostor": calibration.impostor_pairs_used,
                  "impostor_possible": calibration.impostor_pairs_possible, "seed": calibration.seed},
        "eer": round(e.eer, 6), "eer_threshold": round(e.eer_threshold, 6),
        "eer_95": [round(v, 6) for v in e.intervals["eer"]] if "eer" in e.intervals else None,
        "best_accuracy": round(e.best_accuracy, 6), "best_accuracy_threshold": round(e.best_accuracy_threshold, 6),
        "at_far": at_far, "bootstrap": e.bootstrap, "notes": calibration.notes,
    }


def eer_sentence(data: dict[str, Any]) -> str:
    """``Equal error rate 2.10 % (95 %: 1.80–2.40 %) at threshold 0.412`` from :func:`calibration_dict`."""
    interval = f" (95 %: {data['eer_95'][0] * 100:.2f}–{data['eer_95'][1] * 100:.2f} %)" if data["eer_95"] else ""
    return f"Equal error rate {data['eer'] * 100:.2f} %{interval} at threshold {data['eer_threshold']:.3f}"


def left_out_lines(data: dict[str, Any], shown: int = 5) -> list[str]:
    """One line per photo left out (the first ``shown``) with its reason, from :func:`calibration_dict`'s dict."""
    lines = []
    for item in data["left_out"][:shown]:
        name = Path(item["path"]).name
        lines.append(item["reason"] if name in item["reason"] else f"{name}: {item['reason']}")
    if len(data["left_out"]) > shown:
        lines.append(f"… and {len(data['left_out']) - shown} more (the JSON report lists them all).")
    return lines


def write_csv(calibration: Calibration, path: str | Path) -> Path:
    """threshold, far, tar, frr every 0.001 from 0 to 2."""
    path = Path(path)
    lines = ["threshold,far,tar,frr"]
    for threshold in np.round(np.arange(0.0, 2.0005, 0.001), 4):
        far, frr = curve_at(calibration.evaluation.curve, float(threshold))
        lines.append(f"{threshold:.3f},{far:.7f},{1 - frr:.7f},{frr:.7f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- SVG ------------------------------------------------------------------------------------------------

_W, _H, _PAD = 420, 300, 46


def _svg(title: str, body: list[str], x_label: str, y_label: str, ticks_x: list[tuple[float, str]],
         ticks_y: list[tuple[float, str]], marks: list[tuple[float, float]] = ()) -> str:
    """An SVG chart frame; ``body`` items are drawn in the unit square (0…1 both ways, y up), ``marks``
    (points of that square) as round red dots on top."""
    inner_w, inner_h = _W - 2 * _PAD, _H - 2 * _PAD
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
           f'font-family="sans-serif" font-size="11"><title>{html.escape(title)}</title>',
           f'<rect x="0" y="0" width="{_W}" height="{_H}" fill="white"/>',
           f'<text x="{_W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">{html.escape(title)}</text>',
           f'<g transform="translate({_PAD},{_H - _PAD}) scale({inner_w},{-inner_h})">']
    out += body
    out.append("</g>")
    for x, y in marks:
        px, py = _PAD + min(max(x, 0.0), 1.0) * inner_w, _H - _PAD - min(max(y, 0.0), 1.0) * inner_h
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5" fill="#d32f2f" stroke="white" stroke-width="1.5"/>')
    out.append(f'<rect x="{_PAD}" y="{_PAD}" width="{inner_w}" height="{inner_h}" fill="none" stroke="#444"/>')
    for value, label in ticks_x:
        x = _PAD + value * inner_w
        out.append(f'<line x1="{x:.1f}" y1="{_H - _PAD}" x2="{x:.1f}" y2="{_H - _PAD + 4}" stroke="#444"/>'
                   f'<text x="{x:.1f}" y="{_H - _PAD + 15}" text-anchor="middle">{label}</text>')
    for value, label in ticks_y:
        y = _H - _PAD - value * inner_h
        out.append(f'<line x1="{_PAD - 4}" y1="{y:.1f}" x2="{_PAD}" y2="{y:.1f}" stroke="#444"/>'
                   f'<text x="{_PAD - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    out.append(f'<text x="{_W / 2}" y="{_H - 8}" text-anchor="middle">{html.escape(x_label)}</text>')
    out.append(f'<text x="12" y="{_H / 2}" text-anchor="middle" transform="rotate(-90 12 {_H / 2})">'
               f'{html.escape(y_label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _polyline(xs: np.ndarray, ys: np.ndarray, colour: str, width: float = 2.0) -> str:
    points = " ".join(f"{x:.5f},{y:.5f}" for x, y in zip(np.clip(xs, 0, 1), np.clip(ys, 0, 1)))
    return (f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="{width}" '
            'vector-effect="non-scaling-stroke"/>')


def svg_plots(calibration: Calibration, threshold: float) -> dict[str, str]:
    """{"roc", "det", "histogram"}: SVG documents, with ``threshold`` marked."""
    e = calibration.evaluation
    curve = e.curve
    if len(curve) > 4000:  # enough points for a 420-px plot
        curve = curve[np.unique(np.linspace(0, len(curve) - 1, 4000).astype(int))]
    far, tar = curve[:, 1], curve[:, 2]
    mark_far, mark_frr = curve_at(e.curve, threshold)
    # ROC on a log FAR axis from 10⁻⁵ to 1.
    lo = -5.0

    def log_x(values: np.ndarray) -> np.ndarray:
        return (np.log10(np.maximum(values, 10 ** lo)) - lo) / -lo

    roc = _svg("ROC", [_polyline(log_x(far), tar, "#1565c0")], "false accept rate (log)", "true accept rate",
               [((k - lo) / -lo, f"1e{k}" if k else "1") for k in range(-5, 1)], [(v, f"{v:.1f}") for v in (0, .25, .5, .75, 1)],
               [(float(log_x(np.array([mark_far]))[0]), 1 - mark_frr)])
    # DET: FRR against FAR, both on normal deviate axes from 0.01 % to 50 %.
    span = probit(np.array([1e-4, 0.5]))

    def dev(values: np.ndarray) -> np.ndarray:
        return (probit(values) - span[0]) / (span[1] - span[0])

    det = _svg("DET", [_polyline(dev(far), dev(1 - tar), "#1565c0")], "false accept rate", "false reject rate",
               [(float(dev(np.array([p]))[0]), f"{p * 100:g}%") for p in (1e-4, 1e-3, 1e-2, 0.1, 0.5)],
               [(float(dev(np.array([p]))[0]), f"{p * 100:g}%") for p in (1e-4, 1e-3, 1e-2, 0.1, 0.5)],
               [(float(dev(np.array([mark_far]))[0]), float(dev(np.array([mark_frr]))[0]))])
    bins = np.linspace(0, 1.2, 61)
    g, _ = np.histogram(calibration.genuine, bins)
    i, _ = np.histogram(calibration.impostor, bins)
    g, i = g / max(g.sum(), 1), i / max(i.sum(), 1)
    top = max(g.max(), i.max(), 1e-9)
    centres = (bins[:-1] + bins[1:]) / 2 / 1.2
    line = threshold / 1.2
    histogram = _svg("Distances", [
        _polyline(centres, g / top, "#2e7d32"), _polyline(centres, i / top, "#c62828"),
        f'<line x1="{line:.4f}" y1="0" x2="{line:.4f}" y2="1" stroke="#333" stroke-dasharray="4 3" '
        'vector-effect="non-scaling-stroke"/>'],
        "cosine distance (green: same person, red: different; dashed: threshold)", "share of pairs",
        [(v / 1.2, f"{v:.1f}") for v in (0, .2, .4, .6, .8, 1.0, 1.2)], [(0, "0"), (1, f"{top * 100:.0f}%")])
    return {"roc": roc, "det": det, "histogram": histogram}


def write_html(calibration: Calibration, path: str | Path, threshold: float | None = None) -> Path:
    """A page with the numbers and the three plots (threshold marked: ``threshold`` or the EER one)."""
    path = Path(path)
    data = calibration_dict(calibration)
    mark = calibration.evaluation.eer_threshold if threshold is None else threshold
    plots = svg_plots(calibration, mark)
    rows = []
    for key, row in data["at_far"].items():
        if row.get("not_enough_pairs"):
            rows.append(f"<tr><td>{key}</td><td colspan=3>not enough pairs (needs {row['impostor_pairs_needed']:,} "
                        "different-person pairs)</td></tr>")
        else:
            interval = f"{row['tar_95'][0] * 100:.1f}–{row['tar_95'][1] * 100:.1f} %" if row["tar_95"] else ""
            rows.append(f"<tr><td>{key}</td><td>{row['threshold']:.3f}</td><td>{row['tar'] * 100:.1f} %</td>"
                        f"<td>{interval}</td></tr>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in data["notes"])
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>faceapp calibration</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}svg{{margin:6px}}</style></head><body>
<h1>Threshold calibration</h1>
<p>{html.escape(data['source'])} — {data['people']} people, {data['photos_used']} of {data['photos']} photos used
({data['from_library']} described from the library), {data['pairs']['genuine']:,} same-person pairs,
{data['pairs']['impostor']:,} different-person pairs. Descriptors: {html.escape(data['space'])}.</p>
<ul>{notes}</ul>
<p><b>{html.escape(eer_sentence(data))}</b>;
best accuracy {data['best_accuracy'] * 100:.2f} % at {data['best_accuracy_threshold']:.3f}.
Intervals: {html.escape(data['bootstrap'])}.</p>
<table><tr><th>FAR ≤</th><th>threshold</th><th>TAR</th><th>TAR 95 %</th></tr>{''.join(rows)}</table>
<div>{plots['roc']}{plots['det']}{plots['histogram']}</div>
<p>The red point and the dashed line mark threshold {mark:.3f}.</p>
<script type="application/json" id="data">{html.escape(json.dumps(data))}</script>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path
