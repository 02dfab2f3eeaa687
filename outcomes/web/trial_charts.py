"""A set's uptake as a bar chart: verified adoptions per month (bars) and their running total, as SVG computed on
the server (as outcomes.web.charts draws the outcome wheel); the template repeats the numbers in a table."""

from __future__ import annotations

from dataclasses import dataclass

from outcomes.selectors.trials import UptakeMonth

WIDTH = 600.0
HEIGHT = 200.0
MARGIN = 24.0


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    title: str


@dataclass
class UptakeChart:
    bars: list[Bar]
    line: str  # SVG polyline points of the running total
    maximum: int
    width: float = WIDTH
    height: float = HEIGHT


def uptake_chart(months: list[UptakeMonth]) -> UptakeChart | None:
    if not months:
        return None
    maximum = max(max(m.cumulative for m in months), 1)
    step = (WIDTH - 2 * MARGIN) / len(months)
    scale = (HEIGHT - 2 * MARGIN) / maximum
    bars, points = [], []
    for k, m in enumerate(months):
        x = MARGIN + k * step
        height = m.verified * scale
        bars.append(
            Bar(
                x=round(x + step * 0.15, 2),
                y=round(HEIGHT - MARGIN - height, 2),
                width=round(step * 0.7, 2),
                height=round(height, 2),
                label=m.month,
                title=f"{m.month}: {m.verified} verified, {m.cumulative} in total",
            )
        )
        points.append(f"{x + step / 2:.2f},{HEIGHT - MARGIN - m.cumulative * scale:.2f}")
    return UptakeChart(bars=bars, line=" ".join(points), maximum=maximum)
