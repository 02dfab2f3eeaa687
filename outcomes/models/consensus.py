"""The consensus workflow: a process, its panel, Delphi rounds, ratings and their results.

Follows the COMET Handbook and COS-STAD/COS-STAR; docs/consensus.md explains the method.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_STAKEHOLDER_GROUPS = (
    "Patients and carers",
    "Health professionals",
    "Researchers",
    "Industry",
    "Regulators",
)


def default_languages() -> list[str]:
    return [settings.REFERENCE_LANGUAGE]


class ConsensusProcess(models.Model):
    class Status(models.TextChoices):
        SETUP = "setup", "Setting up"
        RUNNING = "running", "Delphi rounds running"
        MEETING = "meeting", "Consensus meeting"
        FINALISED = "finalised", "Finalised"
        PUBLISHED = "published", "Published"

    class RuleScope(models.TextChoices):
        ALL_PANELISTS = "all_panelists", "Over all panelists"
        EVERY_GROUP = "every_group", "In every stakeholder group"

    class Invitees(models.TextChoices):
        COMPLETED_PREVIOUS = "completed_previous", "Only those who completed the previous round"
        ALL = "all", "Every panelist"

    class CarryForward(models.TextChoices):
        NO_CONSENSUS = "no_consensus", "Only items without consensus"
        ALL = "all", "All items"

    core_outcome_set = models.ForeignKey(
        "outcomes.CoreOutcomeSet", on_delete=models.PROTECT, related_name="consensus_processes"
    )
    # The draft version this process builds; after publication it is the version's provenance.
    draft_version = models.OneToOneField(
        "outcomes.CoreOutcomeSetVersion", on_delete=models.PROTECT, related_name="consensus_process"
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, help_text="What panelists read before they consent.")
    consent_text = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SETUP)
    facilitators = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="facilitated_processes", blank=True)
    is_demo = models.BooleanField(default=False, help_text="Synthetic demonstration data, not a real panel.")
    # The languages panelists may answer in (codes of settings.LANGUAGES); English, the reference, is always one.
    languages = models.JSONField(default=default_languages)

    # The consensus definition (COMET default), pre-specified: locked when round 1 opens.
    rule_scope = models.CharField(max_length=16, choices=RuleScope.choices, default=RuleScope.ALL_PANELISTS)
    in_high_min_pct = models.PositiveSmallIntegerField(default=70, help_text="Consensus in: at least this % score 7-9")
    in_low_max_pct = models.PositiveSmallIntegerField(default=15, help_text="... and fewer than this % score 1-3")
    out_low_min_pct = models.PositiveSmallIntegerField(default=70, help_text="Consensus out: at least this % score 1-3")
    out_high_max_pct = models.PositiveSmallIntegerField(default=15, help_text="... and fewer than this % score 7-9")
    meeting_include_min_pct = models.PositiveSmallIntegerField(default=70)
    definition_locked_at = models.DateTimeField(null=True, blank=True)

    next_round_invitees = models.CharField(max_length=24, choices=Invitees.choices, default=Invitees.COMPLETED_PREVIOUS)
    carry_forward = models.CharField(max_length=16, choices=CarryForward.choices, default=CarryForward.ALL)
    reminder_days_before_close = models.PositiveSmallIntegerField(default=3)
    invitation_valid_days = models.PositiveSmallIntegerField(default=90)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "consensus processes"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    in_high_min_pct__lte=100,
                    in_low_max_pct__lte=100,
                    out_low_min_pct__lte=100,
                    out_high_max_pct__lte=100,
                    meeting_include_min_pct__lte=100,
                ),
                name="process_thresholds_are_percentages",
            ),
            models.CheckConstraint(
                condition=Q(invitation_valid_days__gte=1), name="process_invitation_valid_days_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def definition_locked(self) -> bool:
        return self.definition_locked_at is not None


class StakeholderGroup(models.Model):
    process = models.ForeignKey(ConsensusProcess, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["process", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["process", "name"], name="group_name_unique_per_process")]

    def __str__(self) -> str:
        return self.name


class Panelist(models.Model):
    """A person on a panel. They take part through a personal link; no account is needed.

    Only facilitators and admins may link a panelist's code to their email; everything else shows the code.
    """

    class LinkStatus(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    process = models.ForeignKey(ConsensusProcess, on_delete=models.CASCADE, related_name="panelists")
    group = models.ForeignKey(
        StakeholderGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="panelists"
    )
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    # Pseudonymous code used in every export and report.
    code = models.CharField(max_length=16)
    # SHA-256 of the personal link's token; the token itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    token_expires_at = models.DateTimeField()
    token_revoked_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    # The language the panelist reads the panel pages and emails in: one of the process's languages.
    language = models.CharField(max_length=8, default="en")
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["process", "code"]
        constraints = [
            models.UniqueConstraint(fields=["process", "email"], name="panelist_email_unique_per_process"),
            models.UniqueConstraint(fields=["process", "code"], name="panelist_code_unique_per_process"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def link_status(self) -> str:
        """Whether the personal link lets the panelist in: a revocation outlasts any expiry date."""
        if self.token_revoked_at is not None:
            return self.LinkStatus.REVOKED
        if self.token_expires_at <= timezone.now():
            return self.LinkStatus.EXPIRED
        return self.LinkStatus.ACTIVE


class Item(models.Model):
    """Something a panel rates: a candidate outcome, a proposed definition or instrument, or alternatives."""

    class Kind(models.TextChoices):
        OUTCOME = "outcome", _("Candidate outcome (importance 1-9)")
        DEFINITION = "definition", _("Proposed definition (agreement 1-9)")
        INSTRUMENT = "instrument", _("Proposed instrument (agreement 1-9)")
        ALTERNATIVES = "alternatives", _("Alternative definitions or instruments (choose one)")

    class Source(models.TextChoices):
        CANDIDATE = "candidate", "Candidate list"
        SUGGESTION = "suggestion", "Panelist suggestion"

    process = models.ForeignKey(ConsensusProcess, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OUTCOME)
    name = models.CharField(max_length=300)
    definition = models.TextField(blank=True)
    domains = models.ManyToManyField("outcomes.OutcomeDomain", related_name="consensus_items", blank=True)
    # For definition, instrument and alternatives items: the candidate outcome they are about.
    outcome_item = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="detail_items"
    )
    instrument = models.ForeignKey(
        "outcomes.Instrument", null=True, blank=True, on_delete=models.PROTECT, related_name="consensus_items"
    )
    timing = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.CANDIDATE)
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["process", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="outcome") & Q(outcome_item__isnull=True))
                | (~Q(kind="outcome") & Q(outcome_item__isnull=False)),
                name="item_detail_kinds_name_their_outcome",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="item_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class ItemOption(models.Model):
    """One alternative of an `alternatives` item."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=300)
    definition = models.TextField(blank=True)
    instrument = models.ForeignKey(
        "outcomes.Instrument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["item", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "label"], name="option_label_unique_per_item")]

    def __str__(self) -> str:
        return self.label


class Round(models.Model):
    class Kind(models.TextChoices):
        DELPHI = "delphi", _("Delphi round")
        MEETING = "meeting", _("Consensus meeting")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Not yet open")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    process = models.ForeignKey(ConsensusProcess, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.DELPHI)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    allow_suggestions = models.BooleanField(default=False)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    tallied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["process", "number"]
        constraints = [
            models.UniqueConstraint(fields=["process", "number"], name="round_number_unique_per_process"),
            models.CheckConstraint(condition=Q(number__gte=1), name="round_number_positive"),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(opens_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="round_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.process} - round {self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class RoundItem(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="round_items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="round_items")
    order = models.PositiveIntegerField(default=0)
    # Meeting rounds: counts entered live by the facilitator, added to any online votes.
    live_include = models.PositiveIntegerField(null=True, blank=True)
    live_exclude = models.PositiveIntegerField(null=True, blank=True)
    live_abstain = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["round", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "item"], name="item_once_per_round")]

    def __str__(self) -> str:
        return f"{self.round}: {self.item}"


class Participation(models.Model):
    """A panelist's place in one round: invited, started, completed."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="participations")
    panelist = models.ForeignKey(Panelist, on_delete=models.CASCADE, related_name="participations")
    invited_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round", "panelist"]
        constraints = [
            models.UniqueConstraint(fields=["round", "panelist"], name="participation_unique_per_round"),
        ]

    def __str__(self) -> str:
        return f"{self.panelist} in {self.round}"


class RatingQuerySet(models.QuerySet):
    def tallied(self) -> RatingQuerySet:
        """The answers a tally counts: submitted (not a draft) by a panelist who completed the round.
        (round_tally applies the same rule with IN lists over one round, for its query plan.)"""
        return self.filter(
            is_draft=False,
            panelist__participations__round=models.F("round_item__round"),
            panelist__participations__completed_at__isnull=False,
        )


class Rating(models.Model):
    """A panelist's answer on one item of one round.

    A panelist has at most one submitted answer and one draft per item and round. Submitting writes the submitted
    answer (and drops the draft); saving progress writes only the draft. Only submitted answers are tallied and
    downloaded, so a submitted answer changes only by a new submission.
    """

    class Vote(models.TextChoices):
        INCLUDE = "include", _("Include")
        EXCLUDE = "exclude", _("Exclude")
        ABSTAIN = "abstain", _("Abstain")

    # Indexes are few on purpose: a whole round (100 rows) is inserted per submission. Lookups by round item use
    # the (round_item, panelist) unique index; the option index holds only the ratings that chose one.
    round_item = models.ForeignKey(RoundItem, on_delete=models.CASCADE, related_name="ratings", db_index=False)
    panelist = models.ForeignKey(Panelist, on_delete=models.CASCADE, related_name="ratings")
    # GRADE scale: 1-3 not important, 4-6 important but not critical, 7-9 critical.
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    unable_to_score = models.BooleanField(default=False)
    option = models.ForeignKey(
        ItemOption, null=True, blank=True, on_delete=models.CASCADE, related_name="ratings", db_index=False
    )
    vote = models.CharField(max_length=8, choices=Vote.choices, blank=True)
    comment = models.TextField(blank=True)
    proposed_wording = models.TextField(blank=True)
    # A draft is saved progress, shown back to the panelist only; never tallied, never downloaded.
    is_draft = models.BooleanField(default=False, db_default=False)
    # When the submission that set this answer was made (null on a draft).
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RatingQuerySet.as_manager()

    class Meta:
        ordering = ["round_item", "panelist"]
        indexes = [models.Index(fields=["option"], condition=Q(option__isnull=False), name="rating_chosen_option")]
        constraints = [
            models.UniqueConstraint(
                fields=["round_item", "panelist", "is_draft"], name="one_rating_per_panelist_item_round"
            ),
            models.CheckConstraint(
                condition=Q(is_draft=False) | Q(submitted_at__isnull=True), name="rating_draft_is_not_submitted"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=9), name="rating_score_1_to_9"
            ),
            models.CheckConstraint(
                condition=~(Q(unable_to_score=True) & Q(score__isnull=False)),
                name="rating_unable_to_score_has_no_score",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.panelist} on {self.round_item_id}"


class Suggestion(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        ACCEPTED = "accepted", _("Accepted into the next round")
        MERGED = "merged", _("Merged into an existing item")
        REJECTED = "rejected", _("Rejected")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="suggestions")
    panelist = models.ForeignKey(Panelist, on_delete=models.CASCADE, related_name="suggestions")
    name = models.CharField(max_length=300)
    definition = models.TextField(blank=True)
    rationale = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    resulting_item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    merged_into = models.ForeignKey(Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""), name="rejected_suggestion_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ItemResult(models.Model):
    """The tally of one item in one round: over all panelists (group is null) and per stakeholder group."""

    class Classification(models.TextChoices):
        IN = "in", "Consensus in"
        OUT = "out", "Consensus out"
        NONE = "none", "No consensus"

    round_item = models.ForeignKey(RoundItem, on_delete=models.CASCADE, related_name="results")
    group = models.ForeignKey(StakeholderGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    n = models.PositiveIntegerField(
        default=0, help_text="The denominator: panelists who scored the item; at a meeting, the votes cast."
    )
    n_unable = models.PositiveIntegerField(default=0)
    n_low = models.PositiveIntegerField(default=0)
    n_mid = models.PositiveIntegerField(default=0)
    n_high = models.PositiveIntegerField(default=0)
    pct_low = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    pct_mid = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    pct_high = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    median = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    q1 = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    q3 = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    # Score distribution 1..9 and, for alternatives, votes per option id; meeting votes as include/exclude/abstain.
    distribution = models.JSONField(default=dict, blank=True)
    # Meeting rounds only (null in Delphi rounds): online votes plus, in the overall row, the live counts.
    # Votes cast are include + exclude; abstentions are counted beside them, never in a percentage.
    n_include = models.PositiveIntegerField(null=True, blank=True)
    n_exclude = models.PositiveIntegerField(null=True, blank=True)
    n_abstain = models.PositiveIntegerField(null=True, blank=True)
    votes_cast = models.PositiveIntegerField(null=True, blank=True)
    classification = models.CharField(max_length=8, choices=Classification.choices, default=Classification.NONE)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round_item", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["round_item"],
                condition=Q(group__isnull=True),
                name="one_overall_result_per_round_item",
            ),
            models.UniqueConstraint(
                fields=["round_item", "group"],
                condition=Q(group__isnull=False),
                name="one_group_result_per_round_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_item} ({self.group or 'all'}): {self.classification}"
