"""A study's self-contained ``report.html``: what to review first (the analysis' ``review:`` warnings), reference
flags, the measurement table (value, unit, frames, method, reference/flag), notes, the study's PNGs (QC montage or
label overlay, volume curves) embedded as data URIs with a link to the file beside it, and the provenance.

One writer for ``cinema analyse`` and ``cinema measure`` (through :func:`CineMALib.report.write_outputs`)."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from CineMALib.provenance import REVIEW
from CineMALib.measure.report import Measurement, Report
from CineMALib.atomic import atomic_write_text

STYLE = ("body{font-family:sans-serif;margin:1.5em;max-width:1200px}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;font-size:13px}"
         "td.v{text-align:right;white-space:nowrap}td.m{color:#555;font-size:12px}.flag{color:#b00}"
         "img{max-width:100%}")


def _row(m: Measurement) -> str:
    frames = ", ".join(str(f) for f in m.frames)
    ref = escape(m.citation) + (f'<div class="flag">{escape(m.flag)}</div>' if m.flag else "")
    return (f"<tr><td>{escape(m.name)}</td><td class=v>{escape(m.formatted())}</td><td>{escape(m.unit)}</td>"
            f"<td>{escape(m.phase)} {escape(frames)}</td><td class=m>{escape(m.method)}</td>"
            f"<td class=m>{ref}</td></tr>")


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    name = escape(path.name)
    return f'<figure><img alt="{name}" src="data:image/png;base64,{data}"><figcaption><a href="{name}">{name}</a>' \
           "</figcaption></figure>"


def report_html(report: Report, images: list[Path] | tuple[Path, ...] = ()) -> str:
    """The HTML text; ``images`` are PNG files (normally in the same folder) to embed and link."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>CineMA report: {escape(report.study_id)}"
             f"</title><style>{STYLE}</style></head><body><h1>CineMA report: {escape(report.study_id)}</h1>",
             "<p>Research software, not a medical device. Values are recomputed from the labels and landmarks; "
             "a flag appears only where the reference source was verified (see the reference column).</p>"]
    reviews = [REVIEW + str(v) for k, v in report.provenance.items() if k.startswith(REVIEW)]  # as the CLI prints
    if reviews:  # warnings the analysis left for a person to check (e.g. heart not found with confidence)
        parts.append("<h2 class=flag>Review</h2><ul>" + "".join(f"<li class=flag>{escape(r)}</li>" for r in reviews)
                     + "</ul>")
    if report.flags():
        parts.append("<h2>Flags</h2><ul>" + "".join(f"<li class=flag>{escape(f)}</li>" for f in report.flags())
                     + "</ul>")
    parts.append("<h2>Measurements</h2><table><tr><th>measure</th><th>value</th><th>unit</th><th>frames</th>"
                 "<th>method</th><th>reference / flag</th></tr>" + "".join(_row(m) for m in report.rows) + "</table>")
    if report.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in report.notes) + "</ul>")
    for path in images:
        parts.append(_image(Path(path)))
    if report.provenance:
        parts.append("<h2>Provenance</h2><table>" + "".join(
            f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in report.provenance.items())
            + "</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report_html(report: Report, path: str | Path, images: list[Path] | tuple[Path, ...] = ()) -> Path:
    """Write ``report.html`` atomically."""
    return atomic_write_text(path, report_html(report, images))
