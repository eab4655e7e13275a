"""Charts drawn on the server as inline SVG: no JavaScript, nothing fetched from a CDN.

Every chart is a function from numbers and labels to an SVG string (wrapped in `Markup` so
Jinja2 does not escape it twice). Labels are escaped here, numbers are formatted here, so no
caller-supplied text reaches the markup unescaped. Each SVG has role="img", a <title> and an
aria-label, which is what a screen reader (and the browser tests) read.

A chart with a value that is infinite, NaN or so large that the axis arithmetic would
overflow (beyond +-1e300; amounts in the data can reach 1e308) says "cannot draw: ..." in
place of the plot, so one bad number in the data never makes a page fail.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

Format = Callable[[float], str]
WIDTH, HEIGHT = 560, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 28, 36
UP, DOWN, NEUTRAL, BAND = "#c0392b", "#1e8449", "#2c5d8a", "#aac4de"
TIER_COLORS = {"green": "#1e8449", "yellow": "#d4ac0d", "orange": "#e67e22", "red": "#c0392b"}
LABEL_CHARS = 46
MAX_DRAWABLE = 1e300
CANNOT_DRAW = "cannot draw: a value is not a finite number or is too large"


def drawable(values: Sequence[float]) -> bool:
    """True when every value is finite and small enough for the axis arithmetic."""
    return all(math.isfinite(v) and abs(v) <= MAX_DRAWABLE for v in values)


def plain(value: float) -> str:
    """Default number format: two decimals at most, thousands separated."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Scale:
    """A linear map from data values [lo, hi] to pixels [start, end]."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.hi - self.lo
        share = 0.5 if span == 0 else (value - self.lo) / span
        return round(self.start + share * (self.end - self.start), 2)


def nice_step(lo: float, hi: float) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving at most 5 intervals."""
    step = 10 ** math.floor(math.log10((hi - lo) / 4))
    for factor in (1, 2, 5, 10):
        if (hi - lo) / (step * factor) <= 5 + 1e-9:
            return step * factor
    return step * 10  # unreachable: factor 10 always fits


def nice_range(values: Sequence[float], include_zero: bool = True) -> tuple[float, float]:
    """A range covering `values` (and 0 if asked) with ends on round ticks, never empty."""
    lo, hi = min(values), max(values)
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi == lo:
        hi, lo = hi + 1.0, lo - (1.0 if lo != 0 else 0.0)
    step = nice_step(lo, hi)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step


def compact(value: float) -> str:
    """Large numbers short: 11,378,471 -> 11.4M, 2,500 -> 2.5k, 42 -> 42."""
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:.3g}G"
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:.3g}k"
    return plain(value)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _svg(title: str, body: list[str], height: int = HEIGHT) -> Markup:
    t = escape(title)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{t}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"><title>{t}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "middle", css: str = "label") -> str:
    return f'<text x="{x}" y="{y}" text-anchor="{anchor}" class="{css}">{escape(text)}</text>'


def _y_axis(scale: Scale, fmt: Format) -> list[str]:
    step = nice_step(scale.lo, scale.hi)
    parts = []
    for k in range(round((scale.hi - scale.lo) / step) + 1):
        value = scale.lo + k * step
        y = scale(value)
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y}" y2="{y}" class="grid"/>'
        )
        parts.append(_text(PAD_LEFT - 6, y + 4, fmt(value), anchor="end", css="tick"))
    return parts


def line_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    fmt: Format = plain,
    band: Sequence[tuple[float, float] | None] | None = None,
    colors: Sequence[str] | None = None,
) -> Markup:
    """Points joined by a line (gaps where a value is missing), with optional interval bars.

    Args:
        labels: x-axis labels, one per point (shown for at most 8 evenly spaced points).
        values: y values; None leaves a gap.
        title: what the chart shows (also its accessible name).
        fmt: how a y value is written.
        band: per point an interval (low, high) drawn as a whisker, or None.
        colors: per point fill colour (e.g. the risk tier), default one colour.
    """
    known = [v for v in values if v is not None]
    spans = [b for b in (band or []) if b is not None]
    if not known:
        return _svg(title, [_text(WIDTH / 2, HEIGHT / 2, "no data")])
    if not drawable(known + [x for b in spans for x in b]):
        return _svg(title, [_text(WIDTH / 2, HEIGHT / 2, CANNOT_DRAW)])
    lo, hi = nice_range(known + [x for b in spans for x in b], include_zero=False)
    y = Scale(lo, hi, HEIGHT - PAD_BOTTOM, PAD_TOP)
    step = (WIDTH - PAD_LEFT - PAD_RIGHT) / max(len(values), 1)
    xs = [round(PAD_LEFT + step * (i + 0.5), 2) for i in range(len(values))]
    body = [_text(PAD_LEFT, 16, title, anchor="start", css="title"), *_y_axis(y, fmt)]
    path, pen = [], "M"
    for x, v in zip(xs, values, strict=True):
        if v is None:
            pen = "M"
            continue
        path.append(f"{pen}{x},{y(v)}")
        pen = "L"
    body.append(f'<path d="{" ".join(path)}" class="line" fill="none" stroke="{NEUTRAL}"/>')
    every = max(1, math.ceil(len(values) / 8))
    for i, (x, v) in enumerate(zip(xs, values, strict=True)):
        if band is not None and band[i] is not None:
            low, high = band[i]  # type: ignore[misc]
            body.append(
                f'<line x1="{x}" x2="{x}" y1="{y(low)}" y2="{y(high)}" '
                f'class="band" stroke="{BAND}"/>'
            )
        if v is not None:
            fill = colors[i] if colors is not None else NEUTRAL
            body.append(
                f'<circle cx="{x}" cy="{y(v)}" r="4" fill="{escape(fill)}">'
                f"<title>{escape(labels[i])}: {escape(fmt(v))}</title></circle>"
            )
        if i % every == 0 or i == len(values) - 1:
            body.append(_text(x, HEIGHT - PAD_BOTTOM + 16, labels[i], css="tick"))
    return _svg(title, body)


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    fmt: Format = plain,
    colors: Sequence[str] | None = None,
) -> Markup:
    """Vertical bars from zero, each labelled with its value."""
    if not bars:
        return _svg(title, [_text(WIDTH / 2, HEIGHT / 2, "no data")])
    if not drawable([v for _, v in bars]):
        return _svg(title, [_text(WIDTH / 2, HEIGHT / 2, CANNOT_DRAW)])
    lo, hi = nice_range([v for _, v in bars])
    y = Scale(lo, hi, HEIGHT - PAD_BOTTOM, PAD_TOP)
    step = (WIDTH - PAD_LEFT - PAD_RIGHT) / len(bars)
    body = [_text(PAD_LEFT, 16, title, anchor="start", css="title"), *_y_axis(y, fmt)]
    for i, (label, value) in enumerate(bars):
        x = round(PAD_LEFT + step * i + step * 0.15, 2)
        top, bottom = sorted((y(value), y(0.0)))
        fill = colors[i] if colors is not None else NEUTRAL
        body.append(
            f'<rect x="{x}" y="{top}" width="{round(step * 0.7, 2)}" '
            f'height="{round(bottom - top, 2)}" fill="{escape(fill)}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
        centre = round(x + step * 0.35, 2)
        body.append(_text(centre, top - 4, fmt(value), css="value"))
        body.append(_text(centre, HEIGHT - PAD_BOTTOM + 16, label, css="tick"))
    return _svg(title, body)


def waterfall_chart(
    base: float, steps: Sequence[tuple[str, float]], *, title: str, fmt: Format = plain
) -> Markup:
    """Horizontal waterfall: the base value, each contribution in turn, then the total.

    Contributions that raise the value are red (more risk), those that lower it green; the
    last bar is base + sum(steps), so the chart adds up exactly like SHAP values do.
    """
    row, label_width = 24, 300
    if not drawable([base, *(d for _, d in steps), base + sum(d for _, d in steps)]):
        return _svg(title, [_text(WIDTH / 2, HEIGHT / 2, CANNOT_DRAW)])
    height = PAD_TOP + row * (len(steps) + 2) + 12
    rows = [("Base rate", 0.0, base, NEUTRAL, fmt(base))]
    level = base
    for label, delta in steps:
        shown = ("+" if delta >= 0 else "") + fmt(delta)
        rows.append((label, level, level + delta, UP if delta > 0 else DOWN, shown))
        level += delta
    rows.append(("Predicted", 0.0, level, NEUTRAL, fmt(level)))
    lo, hi = nice_range([end for _, _, end, _, _ in rows])
    x = Scale(lo, hi, label_width, WIDTH - 70)
    body = [_text(8, 16, title, anchor="start", css="title")]
    for i, (label, start, end, fill, shown) in enumerate(rows):
        top = PAD_TOP + row * i
        left, right = sorted((x(start), x(end)))
        body.append(_text(label_width - 6, top + 16, _short(label), anchor="end"))
        body.append(
            f'<rect x="{left}" y="{top + 4}" width="{max(round(right - left, 2), 1)}" '
            f'height="{row - 8}" fill="{fill}">'
            f"<title>{escape(label)}: {escape(shown)}</title></rect>"
        )
        body.append(_text(right + 4, top + 16, shown, anchor="start", css="value"))
    return _svg(title, body, height=height)


PAST = "#7f8c8d"


def _received_bars(
    xs: Sequence[float], past: Sequence[tuple[str, float]], y: Scale, width: float, fmt: Format
) -> list[str]:
    """Grey bars of the cash received in past weeks."""
    parts = []
    for x, (label, value) in zip(xs, past, strict=False):
        top, bottom = sorted((y(value), y(0.0)))
        parts.append(
            f'<rect x="{round(x - width / 2, 2)}" y="{top}" width="{round(width, 2)}" '
            f'height="{round(bottom - top, 2)}" fill="{PAST}" class="received">'
            f"<title>{escape(label)}: received {escape(fmt(value))}</title></rect>"
        )
    return parts


def _expected_band(
    xs: Sequence[float], future: Sequence[tuple[str, float, float, float]], y: Scale, fmt: Format
) -> list[str]:
    """The shaded p10-p90 band, the expected line and a point per forecast week."""
    upper = [f"{x},{y(high)}" for x, (_, _, _, high) in zip(xs, future, strict=True)]
    lower = [f"{x},{y(low)}" for x, (_, _, low, _) in zip(xs, future, strict=True)]
    line = " ".join(
        f"{'M' if i == 0 else 'L'}{x},{y(f[1])}"
        for i, (x, f) in enumerate(zip(xs, future, strict=True))
    )
    parts = [
        f'<polygon points="{" ".join(upper + lower[::-1])}" fill="{BAND}" class="band"/>',
        f'<path d="{line}" class="line" fill="none" stroke="{NEUTRAL}"/>',
    ]
    for x, (label, expected, low, high) in zip(xs, future, strict=True):
        parts.append(
            f'<circle cx="{x}" cy="{y(expected)}" r="3" fill="{NEUTRAL}"><title>{escape(label)}: '
            f"expected {escape(fmt(expected))} (p10 {escape(fmt(low))}, p90 {escape(fmt(high))})"
            "</title></circle>"
        )
    return parts


def cash_chart(
    past: Sequence[tuple[str, float]],
    future: Sequence[tuple[str, float, float, float]],
    *,
    title: str,
    fmt: Format = compact,
) -> Markup:
    """Weekly cash: received weeks as grey bars, then expected receipts as a line over the
    shaded p10-p90 band; a dashed line marks the as-of date between them.

    Args:
        past: (week label, received) per past week, oldest first.
        future: (week label, expected, p10, p90) per forecast week.
    """
    values = [v for _, v in past] + [x for _, *rest in future for x in rest]
    if not future:
        return _svg(title, [_text(WIDTH / 2, HEIGHT / 2, "no data")])
    if not drawable(values):
        return _svg(title, [_text(WIDTH / 2, HEIGHT / 2, CANNOT_DRAW)])
    lo, hi = nice_range(values)
    y = Scale(lo, hi, HEIGHT - PAD_BOTTOM, PAD_TOP)
    labels = [label for label, _ in past] + [label for label, *_ in future]
    step = (WIDTH - PAD_LEFT - PAD_RIGHT) / len(labels)
    xs = [round(PAD_LEFT + step * (i + 0.5), 2) for i in range(len(labels))]
    body = [_text(PAD_LEFT, 16, title, anchor="start", css="title"), *_y_axis(y, fmt)]
    body += _received_bars(xs, past, y, step * 0.7, fmt)
    body += _expected_band(xs[len(past) :], future, y, fmt)
    if past:
        edge = round(PAD_LEFT + step * len(past), 2)
        body.append(
            f'<line x1="{edge}" x2="{edge}" y1="{PAD_TOP}" y2="{HEIGHT - PAD_BOTTOM}" '
            'class="grid" stroke-dasharray="4 3"/>'
        )
    every = max(1, math.ceil(len(labels) / 8))
    for i, (x, label) in enumerate(zip(xs, labels, strict=True)):
        if i % every == 0:
            body.append(_text(x, HEIGHT - PAD_BOTTOM + 16, label, css="tick"))
    return _svg(title, body)
