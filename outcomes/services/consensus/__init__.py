"""The consensus workflow: set up a process, run Delphi rounds and a meeting, finalise and publish.

Every function is one state change in one transaction, audited. Refusals raise ValidationError with a
field-keyed message dict and leave nothing written. docs/consensus.md explains the method. Callers use the
package (`from outcomes.services import consensus as svc`); the modules follow the workflow's seams.
"""

from outcomes.services.consensus.candidates import (
    CSV_MAX_BYTES,
    CSV_MAX_OPTIONS,
    CSV_MAX_ROWS,
    CsvImportError,
    OptionInput,
    candidates_import_csv,
    item_create,
    item_update,
    item_was_rated,
)
from outcomes.services.consensus.common import (
    NUL,
    token_hash,
)
from outcomes.services.consensus.panelists import (
    PanelistTokenError,
    panelist_authenticate,
    panelist_check_active,
    panelist_check_active_or_refuse,
    panelist_consent,
    panelist_invitation_email,
    panelist_invitation_resend,
    panelist_invite,
    panelist_language_set,
    panelist_link,
    panelist_revoke,
    panelist_token_issue,
)
from outcomes.services.consensus.processes import (
    DEFINITION_FIELDS,
    SETTING_FIELDS,
    group_create,
    group_delete,
    group_update,
    process_create,
    process_finalise,
    process_publish,
    process_update,
)
from outcomes.services.consensus.ratings import (
    RatingInput,
    RatingsRefused,
    meeting_live_counts_set,
    rating_submit,
)
from outcomes.services.consensus.reminders import (
    reminders_send,
)
from outcomes.services.consensus.rounds import (
    round_close,
    round_create,
    round_open,
)
from outcomes.services.consensus.suggestions import (
    suggestion_decide,
    suggestion_submit,
)
from outcomes.services.consensus.translations import (
    MissingTranslation,
    outcome_translations_copy,
    process_languages_problem,
    translation_kind,
    translation_set,
    translation_target,
    translations_missing,
    translations_refuse_missing,
)

__all__ = [
    "CSV_MAX_BYTES",
    "CSV_MAX_OPTIONS",
    "CSV_MAX_ROWS",
    "DEFINITION_FIELDS",
    "NUL",
    "SETTING_FIELDS",
    "CsvImportError",
    "MissingTranslation",
    "OptionInput",
    "PanelistTokenError",
    "RatingInput",
    "RatingsRefused",
    "candidates_import_csv",
    "group_create",
    "group_delete",
    "group_update",
    "item_create",
    "item_update",
    "item_was_rated",
    "meeting_live_counts_set",
    "outcome_translations_copy",
    "panelist_authenticate",
    "panelist_check_active",
    "panelist_check_active_or_refuse",
    "panelist_consent",
    "panelist_invitation_email",
    "panelist_invitation_resend",
    "panelist_invite",
    "panelist_language_set",
    "panelist_link",
    "panelist_revoke",
    "panelist_token_issue",
    "process_create",
    "process_finalise",
    "process_languages_problem",
    "process_publish",
    "process_update",
    "rating_submit",
    "reminders_send",
    "round_close",
    "round_create",
    "round_open",
    "suggestion_decide",
    "suggestion_submit",
    "token_hash",
    "translation_kind",
    "translation_set",
    "translation_target",
    "translations_missing",
    "translations_refuse_missing",
]
