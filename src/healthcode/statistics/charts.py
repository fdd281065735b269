"""Bar charts as geometry for server-drawn SVG (pure): the template draws the rectangles, axes and
labels computed here, so that a chart needs no script and looks the same everywhere."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 10, 30
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Series:
    """One kind of bar: its key in the data, its label (an English msgid) and its CSS class."""

    key: str
    label: str
    css: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    """What the template draws: bars, the value axis's ticks and the category labels below."""

    series: Sequence[Series]
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    base: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not self.bars


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def short_number(value: int) -> str:
    """An axis label that stays short on a phone: 950, 2,500, 37.5k, 1.2M."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if value >= 10_000:
        return f"{value / 1000:.3g}k"
    return f"{value:,}"


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    values: Mapping[str, Sequence[int]],
    *,
    stacked: bool,
) -> Chart:
    """Bars per category, one per series side by side, or ``stacked`` one on another.
    ``values[series.key][i]`` is the value of category ``i``."""
    count = len(categories)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    columns = [[int(values.get(s.key, [0] * count)[i] or 0) for s in series] for i in range(count)]
    top = max((sum(c) if stacked else max(c, default=0)) for c in columns) if columns else 0
    scale_max = nice_ceiling(top)
    base = HEIGHT - BOTTOM
    slot = plot_width / count if count else plot_width
    gap = min(slot * 0.2, 6)
    bars: list[Bar] = []
    for i, column in enumerate(columns):
        x = LEFT + i * slot + gap / 2
        width = slot - gap
        level = 0
        for n, (item, value) in enumerate(zip(series, column, strict=True)):
            if value <= 0:
                continue
            height = value / scale_max * plot_height
            if stacked:
                y = base - (level + value) / scale_max * plot_height
                bars.append(Bar(round(x, 1), round(y, 1), round(width, 1), round(height, 1), item.css))
                level += value
            else:
                one = width / len(series)
                left = round(x + n * one, 1)
                bars.append(Bar(left, round(base - height, 1), round(one, 1), round(height, 1), item.css))
    fractions = [f for f in (0, 0.25, 0.5, 0.75, 1) if float(scale_max * f).is_integer()]
    y_ticks = [Tick(round(base - f * plot_height, 1), short_number(int(scale_max * f))) for f in fractions]
    step = max(1, math.ceil(count / MAX_X_LABELS))
    x_ticks = [Tick(round(LEFT + (i + 0.5) * slot, 1), categories[i]) for i in range(0, count, step)]
    return Chart(series, bars, y_ticks, x_ticks)
