"""What the consensus services share: the process alias, the personal-link hash, the NUL guard and the
round lock."""

from __future__ import annotations

import hashlib

from django.db import connection

from outcomes.models import (
    ConsensusProcess,
    CoreOutcomeSetVersion,
    Round,
)
from outcomes.services.errors import refuse as _refuse  # the name every refusal below uses

Process = ConsensusProcess
VersionStatus = CoreOutcomeSetVersion.Status

# PostgreSQL cannot store a NUL in text: free text that did not pass a form or serializer field (which refuse it)
# is checked here, so that it is a message naming the field, not a 500.
NUL = "\x00"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refuse_once_finalised(process: ConsensusProcess, what: str) -> None:
    if process.status in (Process.Status.FINALISED, Process.Status.PUBLISHED):
        raise _refuse("process", f"The process is {process.get_status_display().lower()}: {what} can no longer change.")


def _lock_round(round_: Round, *, shared: bool) -> Round:
    """Lock the round row. Submissions take a shared lock (they run side by side); closing takes an exclusive
    one, so a submission either commits before the close or sees the round closed. SQLite locks the whole file."""
    if shared and connection.vendor == "postgresql":
        # One query: the row as it is once we hold the lock (Django's select_for_update has no FOR SHARE).
        table = connection.ops.quote_name(Round._meta.db_table)
        return Round.objects.raw(f"SELECT * FROM {table} WHERE id = %s FOR SHARE", [round_.pk])[0]  # noqa: S608
    return Round.objects.select_for_update(of=("self",)).select_related("process").get(pk=round_.pk)
