"""The "outcome wheel": a version's outcomes by COMET core area (inner ring) and domain (outer ring), as SVG paths.

Computed on the server so that the page needs no JavaScript; the template draws it and repeats the same
numbers in a visually hidden table for screen readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from outcomes.selectors.registry import CoreAreaGroup, DomainGroup

CENTRE = 100.0
INNER = (34.0, 58.0)  # core-area ring radii
OUTER = (61.0, 96.0)  # domain ring radii
# Segments narrower than this many degrees get no number label: it would not fit.
MIN_LABEL_DEGREES = 14.0


@dataclass
class Segment:
    path: str
    core_area: str
    title: str
    label: str
    label_x: float
    label_y: float


@dataclass
class Wheel:
    areas: list[Segment]
    domains: list[Segment]
    outcome_count: int
    core_areas: list[CoreAreaGroup]


def _point(radius: float, degrees: float) -> tuple[float, float]:
    # 0 degrees at twelve o'clock, clockwise.
    radians = math.radians(degrees - 90)
    return CENTRE + radius * math.cos(radians), CENTRE + radius * math.sin(radians)


def _ring_path(inner: float, outer: float, start: float, end: float) -> str:
    """An annular sector; a full circle is drawn as two halves so that the arc is well defined."""
    if end - start >= 359.99:
        return _ring_path(inner, outer, start, start + 180) + " " + _ring_path(inner, outer, start + 180, end)
    large = 1 if end - start > 180 else 0
    (x1, y1), (x2, y2) = _point(outer, start), _point(outer, end)
    (x3, y3), (x4, y4) = _point(inner, end), _point(inner, start)
    return (
        f"M{x1:.2f} {y1:.2f}A{outer:g} {outer:g} 0 {large} 1 {x2:.2f} {y2:.2f}"
        f"L{x3:.2f} {y3:.2f}A{inner:g} {inner:g} 0 {large} 0 {x4:.2f} {y4:.2f}Z"
    )


def _segment(radii: tuple[float, float], start: float, end: float, core_area: str, title: str, label: str) -> Segment:
    mid_radius = (radii[0] + radii[1]) / 2
    x, y = _point(mid_radius, (start + end) / 2)
    return Segment(
        path=_ring_path(*radii, start, end),
        core_area=core_area,
        title=title,
        label=label if end - start >= MIN_LABEL_DEGREES else "",
        label_x=round(x, 2),
        label_y=round(y, 2),
    )


def outcome_wheel(core_areas: list[CoreAreaGroup]) -> Wheel | None:
    """Each domain's slice is proportional to its number of outcomes (an outcome in two domains counts in both)."""
    groups: list[tuple[CoreAreaGroup, DomainGroup]] = [(area, group) for area in core_areas for group in area.domains]
    total = sum(len(group.outcomes) for _, group in groups)
    if not total:
        return None
    per_outcome = 360.0 / total
    areas, domains = [], []
    angle = 0.0
    for area in core_areas:
        area_start = angle
        for group in area.domains:
            end = angle + len(group.outcomes) * per_outcome
            count = len(group.outcomes)
            title = f"{group.domain.number}. {group.domain.name}: {count} outcome{'s' if count != 1 else ''}"
            domains.append(_segment(OUTER, angle, end, area.core_area, title, str(group.domain.number)))
            angle = end
        count = area.outcome_count
        title = f"{area.label}: {count} outcome{'s' if count != 1 else ''}"
        areas.append(_segment(INNER, area_start, angle, area.core_area, title, ""))
    distinct = len({o.pk for _, group in groups for o in group.outcomes})
    return Wheel(areas=areas, domains=domains, outcome_count=distinct, core_areas=core_areas)
