"""The world the permission matrix walks: two consensus processes (A: round 1 closed and tallied, round 2 open;
B: round 1 open), one user or panelist per role,
and the helpers that turn every URL pattern and every OpenAPI operation into a concrete request.

Panelists carry distinctive names, emails and comments so that a leak is a plain substring in a response body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from outcomes.models import (
    ConsensusProcess,
    CoreOutcomeSet,
    DataSource,
    Panelist,
    RegistryDump,
    Round,
    TrialAdoption,
    TrialCheck,
    WebhookDelivery,
    WebhookEndpoint,
)
from outcomes.services import consensus as svc
from outcomes.services.mapping import ItemInput, mapping_propose
from outcomes.services.network import data_source_create
from outcomes.services.tally import round_tally
from outcomes.services.trials import adoption_declare, trial_check_create
from outcomes.trials.inputs import ParsedTrial
from outcomes.trials.matching import TrialOutcome
from tests.factories import (
    CoreOutcomeSetFactory,
    CuratorFactory,
    DiseaseAreaFactory,
    FacilitatorFactory,
    SiteAdminFactory,
    WebhookEndpointFactory,
)

ROLES = ("anonymous", "panelist_a", "panelist_b", "facilitator_a", "facilitator_b", "curator", "admin")

# A published reference set with two versions (outcomes/data/bd4bo_core_outcome_sets.yaml); process A builds its
# next version, so the set also has a draft "in consensus" that only curators and A's facilitators may see.
PUBLIC_SET = "localised-prostate-cancer-compacters"
PUBLIC_AREA = "prostate-cancer"
PUBLIC_CONDITION = "prostate-cancer"


@dataclass
class Member:
    panelist: Panelist
    token: str
    comment: str


@dataclass
class World:
    users: dict[str, object]
    process_a: ConsensusProcess
    process_b: ConsensusProcess
    round_a1: Round  # closed and tallied: results and feedback exist
    round_a: Round  # round 2, open
    round_b: Round
    members_a: list[Member]
    members_b: list[Member]
    dump: RegistryDump
    public_set: CoreOutcomeSet
    data_source: DataSource | None = None
    webhook: WebhookEndpoint | None = None  # facilitator A's: only they and admins may see or manage it
    webhook_delivery: WebhookDelivery | None = None  # a finished delivery of it (replayable)
    secrets: dict[str, str] = field(default_factory=dict)
    trial_check: TrialCheck | None = None  # a check against the public set, and a declaration awaiting a curator
    adoption: TrialAdoption | None = None
    # An outcome of the public set with a proposed (not yet reviewed) concept set revision 1.
    mapped_identity: str = ""

    @property
    def panelist_a(self) -> Member:
        return self.members_a[0]

    @property
    def panelist_b(self) -> Member:
        return self.members_b[0]

    def token(self, role: str) -> str | None:
        return {"panelist_a": self.panelist_a.token, "panelist_b": self.panelist_b.token}.get(role)


def _rate(member: Member, round_: Round, score: int) -> None:
    item_ids = list(round_.round_items.values_list("item_id", flat=True))
    entries = [svc.RatingInput(item_id=pk, score=score, comment=member.comment) for pk in item_ids]
    svc.rating_submit(panelist=member.panelist, round=round_, ratings=entries, complete=True)


def _member(process: ConsensusProcess, round_: Round, *, name: str, email: str, comment: str, score: int) -> Member:
    panelist = svc.panelist_invite(process=process, email=email, name=name, by=None)
    token = svc.panelist_token_issue(panelist=panelist)
    panelist = svc.panelist_consent(panelist=panelist, group=process.groups.first())
    member = Member(panelist, token, comment)
    _rate(member, round_, score)
    svc.suggestion_submit(panelist=panelist, round=round_, name=f"Suggestion from {process.title}", rationale=comment)
    return member


def _process(cos: CoreOutcomeSet, facilitator, *, title: str, items: int) -> tuple[ConsensusProcess, Round]:
    process = svc.process_create(core_outcome_set=cos, title=title, by=facilitator, facilitators=[facilitator])
    for i in range(items):
        svc.item_create(process=process, name=f"{title} outcome {i + 1}", domain_numbers=[i + 1], by=facilitator)
    round_ = svc.round_create(process=process, by=facilitator, allow_suggestions=True)
    return process, svc.round_open(round=round_, by=facilitator)


def world_build() -> World:
    """Users for every role, processes A and B each with an open round rated by their panelists, and a dump."""
    users = {
        "facilitator_a": FacilitatorFactory(username="matrix-facilitator-a"),
        "facilitator_b": FacilitatorFactory(username="matrix-facilitator-b"),
        "curator": CuratorFactory(username="matrix-curator"),
        "admin": SiteAdminFactory(username="matrix-admin"),
    }
    public_set = CoreOutcomeSet.objects.get(slug=PUBLIC_SET)
    process_a, round_a = _process(public_set, users["facilitator_a"], title="Matrix process A", items=2)
    other_set = CoreOutcomeSetFactory(disease_area=DiseaseAreaFactory())
    process_b, round_b = _process(other_set, users["facilitator_b"], title="Matrix process B", items=2)
    members_a = [
        _member(
            process_a,
            round_a,
            name="Zebulon Quillfeather",
            email="zebulon.quillfeather@panel-a.example",
            comment="Xylophone-comment-of-zebulon",
            score=8,
        ),
        _member(
            process_a,
            round_a,
            name="Ottoline Brackenridge",
            email="ottoline.brackenridge@panel-a.example",
            comment="Marmalade-comment-of-ottoline",
            score=3,
        ),
    ]
    members_b = [
        _member(
            process_b,
            round_b,
            name="Barnaby Wolfsbane",
            email="barnaby.wolfsbane@panel-b.example",
            comment="Kumquat-comment-of-barnaby",
            score=9,
        )
    ]
    # Process A moves on: round 1 closed and tallied (the task would run on commit), round 2 open and rated.
    round_a1 = svc.round_close(round=round_a, by=users["facilitator_a"])
    round_tally(round=round_a1)
    round_a = svc.round_open(
        round=svc.round_create(process=process_a, by=users["facilitator_a"], allow_suggestions=True),
        by=users["facilitator_a"],
    )
    for member, score in zip(members_a, (9, 2), strict=True):
        _rate(member, round_a, score)
    dump = RegistryDump.objects.create(format="json", requested_by=users["curator"])
    data_source, _ = data_source_create(
        name="Matrix synthetic data source", country="NL", contact="dp@example.org", by=users["curator"]
    )
    version = public_set.versions.get(version="1.1.0")
    trial_check = trial_check_create(
        version=version, trial=ParsedTrial([TrialOutcome("Overall survival")]), source=TrialCheck.Source.LINES
    )
    adoption = adoption_declare(version=version, registry_id="NCT00000042", by=users["facilitator_b"])
    webhook = WebhookEndpointFactory(owner=users["facilitator_a"], url="https://hooks.example.org/matrix-webhook")
    webhook_delivery = WebhookDelivery.objects.create(
        endpoint=webhook,
        message_id="msg_matrix",
        event_type="version.published",
        payload={"type": "version.published", "data": {}},
        status=WebhookDelivery.Status.SUCCEEDED,
    )
    mapped = public_set.versions.get(version="1.0.0").outcomes.first()
    mapping_propose(
        outcome=mapped,
        items=[ItemInput(vocabulary="OMOP", code="4306655", name="Death", domain="death")],
        by=users["curator"],
    )
    return World(
        users=users,
        process_a=process_a,
        process_b=process_b,
        round_a1=round_a1,
        round_a=round_a,
        round_b=round_b,
        members_a=members_a,
        members_b=members_b,
        dump=dump,
        public_set=public_set,
        data_source=data_source,
        trial_check=trial_check,
        adoption=adoption,
        webhook=webhook,
        webhook_delivery=webhook_delivery,
        mapped_identity=str(mapped.identity),
    )


def secrets_hidden_from(world: World, role: str) -> list[str]:
    """What `role` must never read: the identity and the comments of process A's panelists; and nobody, not even its
    owner, the signing secret of a webhook once it was shown (pages and the API show its first characters only).

    A's facilitators and admins may read the panelists; panelist A (the first member) may read their own name, email
    and comments, never the other member's.
    """
    if role in ("facilitator_a", "admin"):
        return [world.webhook.secret]
    members = world.members_a[1:] if role == "panelist_a" else world.members_a
    hidden = [world.webhook.secret]
    for member in members:
        hidden += [member.panelist.name, member.panelist.email, member.comment]
    return hidden


# --- Clients ------------------------------------------------------------------------------------------------------


def page_client(world: World, role: str) -> Client:
    """A browser as `role`: users sign in; a panelist follows their personal link (the session then names them) and
    also sends the token header, as their API client would."""
    token = world.token(role)
    if token:
        client = Client(headers={"Authorization": f"Panelist {token}"})
        response = client.get(reverse("panel:enter", args=[token]))
        assert response.status_code == 302, f"{role} could not follow their personal link"
        return client
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def api_client(world: World, role: str) -> APIClient:
    """An API client as `role`: users authenticated (no CSRF), panelists with `Authorization: Panelist <token>`."""
    client = APIClient()
    token = world.token(role)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Panelist {token}")
    elif role != "anonymous":
        client.force_authenticate(world.users[role])
    return client


# --- URL patterns -----------------------------------------------------------------------------------------------


@dataclass
class Route:
    name: str  # "namespace:name"
    route: str  # the pattern text, for messages
    params: tuple[str, ...]


def _params(pattern) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters is not None:
        return tuple(converters)
    return tuple(pattern.regex.groupindex)


def routes(
    patterns=None, *, prefix: str = "", namespace: str = "", params: tuple[str, ...] = (), skip: tuple[str, ...] = ()
) -> Iterator[Route]:
    """Every named URL pattern of the site, with its full name and parameters; namespaces in `skip` are left out."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in skip:
                continue
            ns = ":".join(part for part in (namespace, entry.namespace or "") if part)
            yield from routes(
                entry.url_patterns,
                prefix=prefix + str(entry.pattern),
                namespace=ns,
                params=params + _params(entry.pattern),
                skip=skip,
            )
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield Route(name=name, route=prefix + str(entry.pattern), params=params + _params(entry.pattern))


def sample_values(world: World) -> dict[str, object]:
    """One value per parameter name, pointing at process A's objects or the public reference set."""
    return {
        "slug": world.public_set.slug,
        "version": "1.1.0",
        "a": "1.0.0",
        "b": "1.1.0",
        "pk": world.process_a.pk,
        "process_id": world.process_a.pk,
        "group_id": world.process_a.groups.first().pk,
        "item_id": world.process_a.items.first().pk,
        "panelist_id": world.members_a[1].panelist.pk,
        "number": 3,
        "acronym": "EQ-5D",
        "format": "json",
        "token": world.panelist_a.token,
        "action": "close",
        "identity": world.mapped_identity,
    }


def url_kwargs(name: str, params: tuple[str, ...], world: World, overrides: dict[str, dict]) -> dict[str, object]:
    """Concrete kwargs for a URL name: the per-name overrides first, then the per-parameter samples."""
    samples = sample_values(world)
    chosen = overrides.get(name, {})
    kwargs = {}
    for param in params:
        if param in chosen:
            value = chosen[param]
            kwargs[param] = value(world) if callable(value) else value
        elif param in samples:
            kwargs[param] = samples[param]
        else:
            raise LookupError(f"No sample value for parameter {param!r} of {name!r}: add one to sample_values.")
    return kwargs


_PATH_PARAM = re.compile(r"{(\w+)}")


def schema_path(template: str, world: World, overrides: dict[str, dict]) -> str:
    """An OpenAPI path template with its {params} filled in the same way as URL kwargs."""
    names = tuple(_PATH_PARAM.findall(template))
    kwargs = url_kwargs(template, names, world, overrides)
    return _PATH_PARAM.sub(lambda m: str(kwargs[m.group(1)]), template)
