"""Pieces of the HTML report written by ``castlab demo``: sections, figures, tables, audio;
and :func:`markdown_table`, the one markdown table writer (results pages, ``table.md`` files).

The report is one self-contained ``index.html`` (figures embedded as base64 PNG or inline SVG)
plus the output files it links to, so it opens offline in any browser.

Examples
--------
>>> import tempfile
>>> report = Report("castlab demo")
>>> section = report.section("tunes", "An ABC language model.")
>>> section.paragraph("Hello")
>>> path = report.write(tempfile.mkdtemp())
>>> path.name
'index.html'
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from castlab.core.artifacts import write_text

__all__ = ["Report", "Section", "markdown_table"]


@dataclass
class Section:
    """One domain's part of the report; add pieces in reading order."""

    title: str
    intro: str = ""
    parts: list[str] = field(default_factory=list)

    def paragraph(self, text: str) -> None:
        """Add a paragraph of plain text (escaped)."""
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def html(self, fragment: str) -> None:
        """Add a trusted HTML fragment written by castlab itself."""
        self.parts.append(fragment)

    def figure(self, png_path: str | Path, caption: str = "") -> None:
        """Embed a PNG figure (base64) with a caption."""
        data = base64.b64encode(Path(png_path).read_bytes()).decode("ascii")
        self.parts.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def svg(self, svg_path: str | Path, caption: str = "") -> None:
        """Inline an SVG picture (e.g. sheet music) with a caption."""
        text = Path(svg_path).read_text()
        start = text.find("<svg")
        self.parts.append(
            f'<figure class="svg">{text[start:]}<figcaption>{html.escape(caption)}'
            "</figcaption></figure>"
        )

    def table(self, frame: Any, caption: str = "", float_format: str = "{:.3f}") -> None:
        """Add a pandas DataFrame as an HTML table."""
        table = frame.to_html(index=False, float_format=float_format.format, border=0)
        self.parts.append(
            f"<figure>{table}<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def audio(self, path: str | Path, label: str, *, relative_to: str | Path) -> None:
        """Add an audio player for a WAV file next to the report."""
        rel = os.path.relpath(path, relative_to)
        self.parts.append(
            f'<div class="audio">{html.escape(label)}<br><audio controls preload="none" '
            f'src="{html.escape(rel)}"></audio></div>'
        )

    def links(self, paths: list[str | Path], *, relative_to: str | Path) -> None:
        """Add a line of links to output files."""
        items = " · ".join(
            f'<a href="{html.escape(os.path.relpath(p, relative_to))}">{html.escape(Path(p).name)}</a>'
            for p in paths
        )
        self.parts.append(f"<p class='links'>{items}</p>")


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
h1{border-bottom:2px solid #444}h2{margin-top:2em;border-bottom:1px solid #bbb}
figure{margin:1em 0}img{max-width:100%}figcaption{color:#555;font-size:.9em}
table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #ddd}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto}.svg svg{max-width:100%;height:auto}
.audio{display:inline-block;margin:.3em 1em .3em 0}.error{color:#a00}
"""


@dataclass
class Report:
    """A whole report: a title and one section per domain."""

    title: str
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str, intro: str = "") -> Section:
        """Start a new section and return it."""
        section = Section(title, intro)
        self.sections.append(section)
        return section

    def render(self) -> str:
        """Return the whole report as an HTML string."""
        body = [f"<h1>{html.escape(self.title)}</h1>"]
        if len(self.sections) > 1:
            body.append(
                "<ul>"
                + "".join(
                    f'<li><a href="#s{i}">{html.escape(s.title)}</a></li>'
                    for i, s in enumerate(self.sections)
                )
                + "</ul>"
            )
        for i, section in enumerate(self.sections):
            body.append(f'<h2 id="s{i}">{html.escape(section.title)}</h2>')
            if section.intro:
                body.append(f"<p>{html.escape(section.intro)}</p>")
            body.extend(section.parts)
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head><body>"
            + "\n".join(body)
            + "</body></html>\n"
        )

    def write(self, directory: str | Path) -> Path:
        """Write ``index.html`` into ``directory`` atomically and return its path."""
        return write_text(Path(directory) / "index.html", self.render())


def _cell(value: object, digits: int, thousands: bool) -> str:
    comma = "," if thousands else ""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return ""
        text = f"{value:{comma}.{digits}f}"
        if value != 0 and float(text.replace(",", "")) == 0:  # 0.000: show significant digits
            return f"{value:.{digits}g}"
        return text
    if thousands and isinstance(value, int | np.integer) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def markdown_table(frame: Any, digits: int = 3, *, thousands: bool = False) -> str:
    """A DataFrame as a GitHub pipe table, ending in a newline (no tabulate dependency).

    Floats get ``digits`` decimals (a non-zero one that would show as 0 gets ``digits``
    significant digits instead), missing values an empty cell, everything else ``str``;
    ``thousands`` adds thousands separators to numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"a": [1, 12345], "b": [0.5, float("nan")], "p": [1e-7, 0.25]})
    >>> print(markdown_table(frame, digits=2), end="")
    | a | b | p |
    |---|---|---|
    | 1 | 0.50 | 1e-07 |
    | 12345 |  | 0.25 |
    >>> print(markdown_table(frame[["a"]], thousands=True).splitlines()[-1])
    | 12,345 |
    """
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += [
        "| " + " | ".join(_cell(v, digits, thousands) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"
