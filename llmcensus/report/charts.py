"""Inline SVG charts, generated in Python: no JavaScript, no external file, nothing fetched.

Every label may come from a probed host (family and model names), so every text node and attribute goes through
``_esc`` (controls and bidi characters made inert, text cut to ``DISPLAY_LIMIT``, then XML-escaped); the templates
insert the returned SVG as markup, which is safe only because of that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from llmcensus.inert import DISPLAY_LIMIT, inert

PALETTE = ("#3b6ea8", "#e08a2c", "#5a9e5a", "#b84a4a", "#8a6bb8", "#8c6d4f", "#d47fb4", "#7f7f7f", "#b5b83a",
           "#3ab5c0")  # fmt: skip
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _esc(text: object) -> str:
    return escape(inert(str(text), limit=DISPLAY_LIMIT), quote=True)


def _fmt(value: float, unit: str) -> str:
    if unit == "pct":
        return f"{value * 100:.1f} %"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _open(name: str, title: str, width: int, height: int) -> list[str]:
    return [
        f'<svg class="chart" data-chart="{_esc(name)}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" {FONT}>',
        f"<title>{_esc(title)}</title>",
        f'<text x="8" y="18" font-size="14" font-weight="600">{_esc(title)}</text>',
    ]


def _end_label(x: float, y: float, series: str, color: str, used: list[float]) -> str:
    """A series' name at the end of its line, moved down past the labels already ``used`` (tied series end on the
    same point: their labels stack instead of overprinting)."""
    ly = y + 4
    while any(abs(ly - u) < 12 for u in used):
        ly += 12
    used.append(ly)
    short = series if len(series) <= 16 else series[:15] + "…"
    return f'<text x="{x + 8:.1f}" y="{ly:.1f}" fill="{color}"><title>{_esc(series)}</title>{_esc(short)}</text>'


def bar_chart(name: str, title: str, items: list[tuple[str, float]], *, unit: str = "pct", width: int = 640) -> str:
    """Horizontal bars, one per (label, value), in the given order."""
    row, top, label_w = 22, 30, 170
    height = top + row * max(len(items), 1) + 10
    peak = max((v for _, v in items), default=0) or 1
    plot_w = width - label_w - 80
    out = _open(name, title, width, height)
    if not items:
        out.append(f'<text x="{label_w}" y="{top + 14}" fill="#666">no data</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = max(plot_w * value / peak, 0)
        short = label if len(label) <= 26 else label[:25] + "…"
        out += [
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end"><title>{_esc(label)}</title>{_esc(short)}</text>',
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{PALETTE[0]}"/>',
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}">{_esc(_fmt(value, unit))}</text>',
        ]
    out.append("</svg>")
    return "\n".join(out)


def grouped_bars(
    name: str, title: str, categories: list[str], series: dict[str, list[float]], *, unit: str = "pct"
) -> str:
    """Vertical bars: for each category, one bar per series (e.g. host share next to observation share)."""
    width, height, left, top, bottom = 640, 300, 50, 50, 50
    n = max(len(series), 1)
    group_w = (width - left - 20) / max(len(categories), 1)
    bar_w = min(group_w * 0.8 / n, 60)
    peak = max((v for vals in series.values() for v in vals), default=0) or 1
    plot_h = height - top - bottom
    out = _open(name, title, width, height)
    for k, sname in enumerate(series):
        out.append(f'<rect x="{left + k * 150}" y="26" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>')
        out.append(f'<text x="{left + k * 150 + 14}" y="35">{_esc(sname)}</text>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#999"/>')
    for i, cat in enumerate(categories):
        gx = left + i * group_w + (group_w - bar_w * n) / 2
        for k, vals in enumerate(series.values()):
            v = vals[i] if i < len(vals) else 0.0
            h = plot_h * v / peak
            x = gx + k * bar_w
            out += [
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"/>',
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle" font-size="10">'
                f"{_esc(_fmt(v, unit))}</text>",
            ]
        out.append(f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                   f"{_esc(cat)}</text>")  # fmt: skip
    out.append("</svg>")
    return "\n".join(out)


def rank_lines(name: str, title: str, periods: list[str], ranks: dict[str, list[int | None]], max_rank: int) -> str:
    """Rank over time (rank 1 at the top), one line per series; a None breaks the line."""
    width, height, left, top, right = 640, 320, 40, 34, 130
    plot_w, plot_h = width - left - right, height - top - 40
    step = plot_w / max(len(periods) - 1, 1)

    def y(rank: int) -> float:
        return top + plot_h * (rank - 1) / max(max_rank - 1, 1)

    out = _open(name, title, width, height)
    used: list[float] = []  # tied series end on the same point: stack their labels instead of overprinting
    for r in range(1, max_rank + 1):
        out.append(f'<text x="{left - 6}" y="{y(r) + 4:.1f}" text-anchor="end" font-size="10">{r}</text>')
    for i, p in enumerate(periods):
        out.append(f'<text x="{left + i * step:.1f}" y="{height - 14}" text-anchor="middle" font-size="10">'
                   f"{_esc(p)}</text>")  # fmt: skip
    for k, (series, values) in enumerate(ranks.items()):
        color = PALETTE[k % len(PALETTE)]
        pts = [(left + i * step, y(v)) for i, v in enumerate(values) if v is not None and v <= max_rank]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, yy in pts:
            out.append(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="3" fill="{color}"/>')
        if pts:
            out.append(_end_label(pts[-1][0], pts[-1][1], series, color, used))
    out.append("</svg>")
    return "\n".join(out)


def heatmap(name: str, title: str, labels: list[str], cells: dict[tuple[str, str], float]) -> str:
    """A symmetric matrix (e.g. hosts carrying both families); darker = more."""
    cell, left, top = 34, 110, 110
    size = max(left + cell * len(labels) + 20, 40 + 8 * len(title))
    peak = max(cells.values(), default=0) or 1
    out = _open(name, title, size, top + cell * len(labels) + 20)
    for i, lab in enumerate(labels):
        short = _esc(lab if len(lab) <= 14 else lab[:13] + "…")
        out.append(f'<text x="{left - 6}" y="{top + i * cell + cell / 2 + 4:.1f}" text-anchor="end">{short}</text>')
        x = left + i * cell + cell / 2
        out.append(f'<text x="{x:.1f}" y="{top - 6}" transform="rotate(-45 {x:.1f} {top - 6})">{short}</text>')
    for i, a in enumerate(labels):
        for j, b in enumerate(labels):
            v = cells.get((a, b), cells.get((b, a), 0.0)) if a != b else 0.0
            shade = int(245 - 190 * v / peak)
            out.append(
                f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell - 1}" height="{cell - 1}" '
                f'fill="rgb({shade},{shade + 5 if shade < 250 else 250},255)"><title>{_esc(a)} + {_esc(b)}: '
                f"{_esc(_fmt(v, 'n'))}</title></rect>"
            )
    out.append("</svg>")
    return "\n".join(out)


def stacked_bars(name: str, title: str, periods: list[str], series: dict[str, list[float]], *, unit: str = "n") -> str:
    """Vertical bars over time, one per period, each stacked from its series (e.g. hosts per runtime per month);
    every segment carries its value as a tooltip."""
    width, height, left, top, bottom, right = 640, 320, 56, 34, 40, 130
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(len(periods), 1)
    bar_w = max(min(slot * 0.8, 60), 1)
    totals = [sum(vals[i] for vals in series.values() if i < len(vals)) for i in range(len(periods))]
    peak = max(totals, default=0) or 1
    out = _open(name, title, width, height)
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>')
    out.append(f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="10">{_esc(_fmt(peak, unit))}</text>')
    every = max(1, -(-len(periods) // 8))  # at most about eight period labels
    for i, period in enumerate(periods):
        x = left + i * slot + (slot - bar_w) / 2
        base = float(top + plot_h)
        for k, (sname, vals) in enumerate(series.items()):
            v = vals[i] if i < len(vals) else 0.0
            if v <= 0:
                continue
            h = plot_h * v / peak
            base -= h
            out.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{_esc(period)} {_esc(sname)}: '
                f"{_esc(_fmt(v, unit))}</title></rect>"
            )
        if i % every == 0:
            out.append(f'<text x="{left + (i + 0.5) * slot:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                       f'font-size="10">{_esc(period)}</text>')  # fmt: skip
    for k, sname in enumerate(series):
        y = top + 4 + k * 16
        short = sname if len(sname) <= 16 else sname[:15] + "…"
        color = PALETTE[k % len(PALETTE)]
        out.append(f'<rect x="{left + plot_w + 10}" y="{y}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{left + plot_w + 24}" y="{y + 9}"><title>{_esc(sname)}</title>{_esc(short)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def line_chart(name: str, title: str, periods: list[str], series: Mapping[str, Sequence[float | None]], *,
               unit: str = "n", width: int = 640) -> str:
    """Values over time, one line per series (a None leaves a gap); y from 0 to the largest value."""
    height, left, top, bottom, right = 300, 64, 34, 40, 130
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(periods) - 1, 1)
    peak = max((v for vals in series.values() for v in vals if v is not None), default=0) or 1

    def y(v: float) -> float:
        return top + plot_h * (1 - v / peak)

    out = _open(name, title, width, height) + [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#999"/>',
    ]
    for v in (0.0, peak / 2, float(peak)):
        label = f"{v * 100:.1f} %" if unit == "pct" else (f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}")
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="10">{_esc(label)}</text>')
    every = max(1, -(-len(periods) // 8))  # at most about eight period labels
    for i, p in enumerate(periods):
        if i % every == 0 or i == len(periods) - 1:
            out.append(f'<text x="{left + i * step:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                       f'font-size="10">{_esc(p)}</text>')  # fmt: skip
    if not periods:
        out.append(f'<text x="{left + 10}" y="{top + 20}" fill="#666">no data</text>')
    used: list[float] = []
    for k, (sname, values) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        pts = [(left + i * step, y(v), v) for i, v in enumerate(values) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy, _ in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for (x, yy, v), period in zip(pts, [p for p, v in zip(periods, values, strict=False) if v is not None],
                                      strict=False):
            shown = f"{v * 100:.1f} %" if unit == "pct" else f"{v:,.0f}"
            out.append(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="3" fill="{color}"><title>{_esc(period)} '
                       f"{_esc(sname)}: {_esc(shown)}</title></circle>")  # fmt: skip
        if pts:
            out.append(_end_label(pts[-1][0], pts[-1][1], sname, color, used))
    out.append("</svg>")
    return "\n".join(out)
