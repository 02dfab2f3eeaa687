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
from .mapping import ConceptSetItem, ConceptSetRevision
from .network import DataSource, FeasibilityReport
from .notifications import Subscription, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .omop import OmopConcept, OmopConceptAncestor, OmopConceptRelationship, OmopVocabulary
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
from .trials import TrialAdoption, TrialCheck

__all__ = [
    "AuditEvent",
    "ConceptSetItem",
    "ConceptSetRevision",
    "ConsensusProcess",
    "ContentTranslation",
    "CoreArea",
    "CoreOutcomeSet",
    "CoreOutcomeSetVersion",
    "DataSource",
    "FeasibilityReport",
    "Instrument",
    "Item",
    "ItemOption",
    "ItemResult",
    "Measurement",
    "OmopConcept",
    "OmopConceptAncestor",
    "OmopConceptRelationship",
    "OmopVocabulary",
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
    "Subscription",
    "Suggestion",
    "TrialAdoption",
    "TrialCheck",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
