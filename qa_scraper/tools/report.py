"""A run's report: one static HTML file beside its manifest (``<run>.report.html``).

No server, no script, no CDN: the charts are inline SVG. Every bar and point carries
its number (``data-value`` and a ``<title>`` shown on hover), so what a browser shows
can be checked against the manifest. Sections: monitors, counts and duration, field
fill rates against their thresholds, rejects by stage and reason, HTTP statuses,
and items, rejects and fill rates over the last runs (the manifests in the folder).

Written after the manifest (not part of the commit point);
``python -m qa_scraper report <run>.manifest.json`` writes it again.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

from qa_scraper.delivery.manifest import read_manifest, run_manifests

HISTORY_RUNS = 20
_WIDTH = 360  # px of a full bar (rate 1.0 or the largest count)
_DASHES = ("", "6 3", "2 2")  # with the colours, so that neighbouring hues differ twice


def series_colours(count: int) -> list[str]:
    """``count`` different colours, hues spread evenly round the wheel and two lightnesses
    alternating (a fixed palette repeats its colours once there are more series than it)."""
    return [
        f"hsl({round(360 * index / max(count, 1))}, 70%, {38 if index % 2 else 50}%)"
        for index in range(count)
    ]


def run_labels(runs: list[str]) -> list[str]:
    """Short axis labels of run ids (``20261125T031700123Z``), unique per run: the day and
    the minute (``25 03:17``), down to the second or millisecond when runs share one."""
    for width in (4, 6, 9):  # HHMM, HHMMSS, HHMMSSmmm

        def label(run: str, width: int = width) -> str:
            time = run[9 : 9 + width]
            text = f"{run[6:8]} {time[:2]}:{time[2:4]}"
            if width > 4:
                text += f":{time[4:6]}"
            return text + (f".{time[6:9]}" if width > 6 else "")

        labels = [label(run) for run in runs]
        if len(set(labels)) == len(labels):
            return labels
    return list(runs)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 run``, ``3 runs``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def report_path(manifest_path: Path) -> Path:
    return manifest_path.with_name(
        manifest_path.name.removesuffix(".manifest.json") + ".report.html"
    )


def _a(value: Any) -> str:
    return escape(str(value), quote=True)


def _fmt(value: float) -> str:
    return f"{value:.2f}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"


def hbars(
    chart: str,
    rows: list[tuple[str, float]],
    maximum: float,
    thresholds: dict[str, float] | None = None,
) -> str:
    """Horizontal bars: one ``<rect class="bar" data-label data-value>`` per row."""
    thresholds = thresholds or {}
    label_w, row_h = 250, 20
    height = row_h * len(rows) + 10
    out = [
        f'<svg class="chart" data-chart="{_a(chart)}" width="{label_w + _WIDTH + 70}"'
        f' height="{height}" role="img" xmlns="http://www.w3.org/2000/svg">'
    ]
    if not rows:
        return f'<p class="empty" data-chart="{_a(chart)}">none</p>'
    for index, (label, value) in enumerate(rows):
        y = 5 + index * row_h
        width = _WIDTH * value / maximum if maximum else 0
        minimum = thresholds.get(label)
        low = minimum is not None and value < minimum
        out.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar{" low" if low else ""}" x="{label_w}" y="{y + 2}"'
            f' width="{width:.1f}" height="{row_h - 5}" data-label="{_a(label)}"'
            f' data-value="{_a(value)}"><title>{escape(label)}: {_fmt(value)}</title></rect>'
            f'<text x="{label_w + width + 4:.1f}" y="{y + 13}">{_fmt(value)}</text>'
        )
        if minimum is not None:
            x = label_w + _WIDTH * minimum / maximum
            out.append(
                f'<line class="threshold" x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + row_h}"'
                f' data-label="{_a(label)}" data-value="{_a(minimum)}">'
                f"<title>{escape(label)} minimum: {_fmt(minimum)}</title></line>"
            )
    out.append("</svg>")
    return "".join(out)


def vbars(chart: str, rows: list[tuple[str, float]]) -> str:
    """Vertical bars over runs (oldest left); ``data-run`` names the run."""
    if not rows:
        return f'<p class="empty" data-chart="{_a(chart)}">none</p>'
    labels = run_labels([run for run, _ in rows])
    step, height = max(56, 7 * max(len(label) for label in labels) + 10), 140
    maximum = max(value for _, value in rows) or 1
    out = [
        f'<svg class="chart" data-chart="{_a(chart)}" width="{step * len(rows) + 20}"'
        f' height="{height + 40}" role="img" xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, ((run, value), label) in enumerate(zip(rows, labels, strict=True)):
        h = height * value / maximum
        x = 10 + index * step
        out.append(
            f'<rect class="bar" x="{x}" y="{height - h + 15:.1f}" width="{step - 8}"'
            f' height="{h:.1f}" data-run="{_a(run)}" data-value="{_a(value)}">'
            f"<title>{escape(run)}: {_fmt(value)}</title></rect>"
            f'<text x="{x + (step - 8) / 2}" y="{height - h + 11:.1f}"'
            f' text-anchor="middle">{_fmt(value)}</text>'
            f'<text class="run" x="{x + (step - 8) / 2}" y="{height + 30}"'
            f' text-anchor="middle">{escape(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def lines(chart: str, runs: list[str], series: dict[str, list[float | None]]) -> str:
    """Fill rates over runs: one polyline per field, a ``circle.point`` per value."""
    if not runs or not series:
        return f'<p class="empty" data-chart="{_a(chart)}">none</p>'
    step, height, left = max(30, 600 // max(len(runs), 1)), 160, 40
    out = [
        f'<svg class="chart" data-chart="{_a(chart)}" width="{left + step * len(runs) + 230}"'
        f' height="{max(height + 30, 20 + 14 * len(series))}" role="img"'
        ' xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in (0, 0.5, 1):
        y = 10 + height * (1 - tick)
        out.append(
            f'<line class="grid" x1="{left}" x2="{left + step * len(runs)}" y1="{y}" y2="{y}"/>'
            f'<text x="{left - 4}" y="{y + 4}" text-anchor="end">{tick:g}</text>'
        )
    colours = series_colours(len(series))
    for number, (field, values) in enumerate(sorted(series.items())):
        colour, dash = colours[number], _DASHES[number % len(_DASHES)]
        points = [
            (left + step * index + step / 2, 10 + height * (1 - value), run, value)
            for index, (run, value) in enumerate(zip(runs, values, strict=True))
            if value is not None
        ]
        out.append(
            f'<polyline class="series" data-field="{_a(field)}" fill="none" stroke="{colour}"'
            f' stroke-width="1.5" stroke-dasharray="{dash}" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            + '"/>'
        )
        for x, y, run, value in points:
            out.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"'
                f' data-field="{_a(field)}" data-run="{_a(run)}" data-value="{_a(value)}">'
                f"<title>{escape(field)} {escape(run)}: {_fmt(value)}</title></circle>"
            )
        legend_y = 14 + number * 14
        legend_x = left + step * len(runs) + 12
        out.append(
            f'<line class="legend" data-field="{_a(field)}" x1="{legend_x}" x2="{legend_x + 14}"'
            f' y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="{colour}" stroke-width="3"'
            f' stroke-dasharray="{dash}"/><text x="{legend_x + 18}" y="{legend_y}">'
            f"{escape(field)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def rejects_by_reason(rejects_path: Path) -> list[tuple[str, int]]:
    """``stage: reason`` (first error, its path dropped, shortened) → number of pages."""
    counts: Counter[str] = Counter()
    if rejects_path.exists():
        for raw in rejects_path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            errors = record.get("errors") or [{}]
            message = str(errors[0].get("message", "?")).split(": ")[0][:60]
            counts[f"{record.get('stage', '?')}: {message}"] += 1
    return sorted(counts.items(), key=lambda entry: (-entry[1], entry[0]))


def history(folder: Path, run_id: str) -> list[dict[str, Any]]:
    """This run's manifest and up to HISTORY_RUNS - 1 before it, oldest first."""
    manifests = [
        manifest
        for name, manifest in run_manifests(folder)
        if name <= run_id and (name == run_id or _chartable(manifest))
    ]
    return manifests[-HISTORY_RUNS:]


def _chartable(manifest: dict[str, Any]) -> bool:
    """A past manifest with what the history charts read (an edited or foreign one is left
    out: it made every later run's report fail)."""
    files = manifest.get("files")
    return (
        isinstance(manifest.get("run_id"), str)
        and isinstance(files, dict)
        and all(
            isinstance(files.get(kind), dict) and isinstance(files[kind].get("lines"), int)
            for kind in ("items", "rejects")
        )
        and isinstance(manifest.get("coverage") or {}, dict)
    )


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:left}
.chart text{font-size:12px;fill:#333}.bar{fill:#4c78a8}.bar.low{fill:#d62728}
.threshold{stroke:#000;stroke-width:2;stroke-dasharray:3 2}.grid{stroke:#ddd}
.ok{color:#2a7a2a;font-weight:bold}.failed{color:#c62828;font-weight:bold}.muted{color:#777}
"""


def coverage_name(rule: str) -> str:
    """``dict/replies/_items/clinic`` (a Spidermon rule) → ``replies.clinic`` (the manifest's)."""
    parts = rule.split("/")[1:]  # the item type first
    return ".".join(part for part in parts if part != "_items")


def coverage_thresholds(thresholds: dict[str, Any]) -> dict[str, float]:
    """Minimum fill rates by the manifest's field names (``replies.clinic``), from Spidermon's
    rules (``dict/replies/_items/clinic``), or as manifests before them named them."""
    rules = thresholds.get("SPIDERMON_FIELD_COVERAGE_RULES")
    if isinstance(rules, dict):
        return {coverage_name(rule): minimum for rule, minimum in rules.items()}
    return dict(thresholds.get("QA_FIELD_COVERAGE_MIN") or {})


def render(manifest: dict[str, Any], folder: Path) -> str:
    run_id = manifest["run_id"]
    stats = manifest.get("stats", {})
    monitors = manifest.get("monitors") or {}
    thresholds = coverage_thresholds(monitors.get("thresholds") or {})
    coverage = manifest.get("coverage") or {}
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>Run {escape(run_id)}</title><style>{_CSS}</style></head><body>",
        f'<h1>doctorqna run <span id="run-id">{escape(run_id)}</span></h1>',
    ]
    if monitors:
        failed = monitors.get("failed") or []
        verdict = (
            f'<span class="failed" id="verdict">monitors failed: {escape(", ".join(failed))}'
            "</span> (exit code 7)"
            if failed
            else '<span class="ok" id="verdict">monitors passed</span>'
        )
        parts.append(f"<p>{verdict}</p><table id=monitors><tr><th>monitor<th>status<th>reason")
        for entry in monitors.get("results", []):
            parts.append(
                f'<tr data-monitor="{_a(entry["name"])}" data-status="{_a(entry["status"])}">'
                f"<td>{escape(entry['name'])}<td>{escape(entry['status'])}"
                f"<td class=muted>{escape(entry.get('reason') or '')}"
            )
        parts.append("</table>")
    counts = manifest.get("counts", {})
    duration = stats.get("elapsed_time_seconds")
    parts.append("<h2>Run</h2><table id=counts>")
    for key, value in (
        ("mode", manifest.get("mode")),
        ("finish reason", manifest.get("finish_reason")),
        ("started", manifest.get("started_at")),
        ("finished", manifest.get("finished_at")),
        ("duration (s)", None if duration is None else round(duration, 1)),
        *counts.items(),
    ):
        parts.append(f'<tr data-key="{_a(key)}"><th>{escape(key)}<td>{escape(str(value))}')
    parts.append("</table>")
    rendering = manifest.get("render") or {}
    if rendering.get("pages") or rendering.get("needs_browser") or rendering.get("failed"):
        parts.append("<h2>Rendered in Chromium</h2><table id=render>")
        rows = [
            ("pages rendered", rendering.get("pages", 0)),
            *((f"why: {why}", n) for why, n in (rendering.get("reasons") or {}).items()),
            ("needed a browser (none)", rendering.get("needs_browser", 0)),
            ("render failed", rendering.get("failed", 0)),
            *((f"sub-requests: {k}", n) for k, n in (rendering.get("subrequests") or {}).items()),
            ("browser time (s)", rendering.get("browser_seconds", 0)),
        ]
        for key, value in rows:
            parts.append(f'<tr data-key="{_a(key)}"><th>{escape(key)}<td>{escape(str(value))}')
        parts.append("</table>")
    parts.append(
        "<h2>Field fill rates</h2><p class=muted>share of items (for list fields: of entries)"
        " with the field filled; dashed line: the monitor's minimum; red: below it"
        f" ({plural(monitors.get('items_scraped', 0), 'item')})</p>"
    )
    parts.append(hbars("coverage", list(coverage.items()), 1.0, thresholds))
    rejects_name = (manifest.get("files", {}).get("rejects") or {}).get("name", "")
    rejects = rejects_by_reason(folder / rejects_name) if rejects_name else []
    parts.append("<h2>Rejects by stage and reason</h2>")
    parts.append(hbars("rejects", rejects, max((n for _, n in rejects), default=1)))
    prefix = "downloader/response_status_count/"
    statuses = sorted((key[len(prefix) :], v) for key, v in stats.items() if key.startswith(prefix))
    parts.append("<h2>HTTP statuses</h2>")
    parts.append(hbars("statuses", statuses, max((n for _, n in statuses), default=1)))
    past = history(folder, run_id)
    runs = [entry["run_id"] for entry in past]
    last = "Last run" if len(past) == 1 else f"Last {len(past)} runs"
    parts.append(f'<h2 id="history">{last}</h2><h3>Items written</h3>')
    parts.append(
        vbars("history-items", [(m["run_id"], m["files"]["items"]["lines"]) for m in past])
    )
    parts.append("<h3>Rejects</h3>")
    parts.append(
        vbars("history-rejects", [(m["run_id"], m["files"]["rejects"]["lines"]) for m in past])
    )
    parts.append("<h3>Fill rates of the monitored fields</h3>")
    fields = sorted(thresholds) or sorted(coverage)
    series = {
        field: [(m.get("coverage") or {}).get(field) for m in past]
        for field in fields
        if any((m.get("coverage") or {}).get(field) is not None for m in past)
    }
    parts.append(lines("history-coverage", runs, series))
    parts.append("</body></html>\n")
    return "".join(parts)


def write_report(manifest_path: Path) -> Path:
    """Write ``<run>.report.html`` beside the manifest (atomically); return its path."""
    manifest_path = Path(manifest_path)
    manifest = read_manifest(manifest_path)
    target = report_path(manifest_path)
    part = target.with_name(target.name + ".part")
    part.write_text(render(manifest, manifest_path.parent), encoding="utf-8")
    os.replace(part, target)
    return target
