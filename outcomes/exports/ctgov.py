"""ClinicalTrials.gov outcome measures (the outcomesModule of a study record, API v2 field names), as JSON.

One measure per outcome and timepoint; the instruments are named in the description. Titles, descriptions and time
frames are cut to the registry's limits (255 / 999 / 255 characters). A core outcome set says what every trial
should measure, not which outcome is primary, so every measure is listed as secondary: a trial designer promotes
its primary outcome.
"""

from __future__ import annotations

import orjson

from outcomes.exports import is_draft, version_page_url
from outcomes.models import CoreOutcomeSetVersion

TITLE_MAX = 255
DESCRIPTION_MAX = 999
TIME_FRAME_MAX = 255
UNSPECIFIED_TIME_FRAME = "Not specified by the core outcome set; as defined by the trial protocol"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def outcome_measures(version: CoreOutcomeSetVersion) -> dict:
    cos = version.core_outcome_set
    canonical = version_page_url(slug=cos.slug, version=version.version)
    measures = []
    for outcome in version.outcomes.all():
        by_timing: dict[str, list[str]] = {}
        for m in outcome.measurements.all():
            names = by_timing.setdefault(m.timing, [])
            if m.instrument_id:
                names.append(f"{m.instrument.name} ({m.instrument.acronym})")
        if not by_timing:
            by_timing[""] = []
        for timing, instruments in by_timing.items():
            description = " ".join(
                part
                for part in (
                    outcome.definition,
                    f"Measured with: {', '.join(instruments)}." if instruments else "",
                    f"Core outcome of {cos.title}, version {version.version}: {canonical}",
                )
                if part
            )
            measures.append(
                {
                    "measure": _cut(outcome.name, TITLE_MAX),
                    "description": _cut(description, DESCRIPTION_MAX),
                    "timeFrame": _cut(timing or UNSPECIFIED_TIME_FRAME, TIME_FRAME_MAX),
                }
            )
    return {
        "source": {
            "set": cos.title,
            "slug": cos.slug,
            "version": version.version,
            "status": version.status,
            "draft": is_draft(version),
            "canonical_url": canonical,
        },
        "outcomesModule": {"primaryOutcomes": [], "secondaryOutcomes": measures},
    }


def outcome_measures_bytes(version: CoreOutcomeSetVersion) -> bytes:
    return orjson.dumps(outcome_measures(version), option=orjson.OPT_INDENT_2)
