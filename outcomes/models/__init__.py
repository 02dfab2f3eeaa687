from __future__ import annotations

from .audit import AuditEvent
from .consensus import (
    ConsensusProcess,
    Item,
    ItemOption,
    ItemResult,
    Panelist,
    Participation,
    Rating,
    Round,
    RoundItem,
    StakeholderGroup,
    Suggestion,
)
from .operations import OutboxMessage, RegistryDump
from .search import SearchSynonym, SearchWord, SetSearchIndex
from .sets import (
    CoreArea,
    CoreOutcomeSet,
    CoreOutcomeSetVersion,
    Instrument,
    Measurement,
    Outcome,
    OutcomeDomain,
    Reference,
)
from .translations import ContentTranslation

__all__ = [
    "AuditEvent",
    "ConsensusProcess",
    "ContentTranslation",
    "CoreArea",
    "CoreOutcomeSet",
    "CoreOutcomeSetVersion",
    "Instrument",
    "Item",
    "ItemOption",
    "ItemResult",
    "Measurement",
    "OutboxMessage",
    "Outcome",
    "OutcomeDomain",
    "Panelist",
    "Participation",
    "Rating",
    "Reference",
    "RegistryDump",
    "Round",
    "RoundItem",
    "SearchSynonym",
    "SearchWord",
    "SetSearchIndex",
    "StakeholderGroup",
    "Suggestion",
]
