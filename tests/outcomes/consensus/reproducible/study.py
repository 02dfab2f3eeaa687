"""Drive a consensus process through the HTTP API only, as an outside methodologist's script would.

The set it builds a version of is registry data (made by a factory); everything about the process is an HTTP
request by a curator, who facilitates the process they create: the process itself, items (outcome, instrument and
alternatives items), definition, panelists (their personal links read from the invitation emails), consent, rounds
and their round items, ratings, choices and votes, live counts, close, finalise, publish, the downloads and the
published version.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.permissions import CURATORS_GROUP
from tests.factories import CoreOutcomeSetFactory, DiseaseAreaFactory


@dataclass(frozen=True)
class Choice:
    """The option (by its label) a panelist chooses on an alternatives item."""

    label: str


Answer = int | str | Choice | None  # a score 1-9, "unable", a vote ("include", "exclude", "abstain") or a Choice


@dataclass
class Study:
    capture: object  # django_capture_on_commit_callbacks
    facilitator: APIClient
    process_id: int
    set_slug: str
    groups: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    options: dict[tuple[str, str], int] = field(default_factory=dict)  # (item, label) -> option id
    tokens: dict[str, str] = field(default_factory=dict)  # email -> personal link token
    codes: dict[str, str] = field(default_factory=dict)  # email -> pseudonymous code
    rounds: dict[int, int] = field(default_factory=dict)  # number -> round id
    # What each panelist last SUBMITTED per round: what the ratings download must hold, and nothing else.
    submitted: dict[tuple[int, str], dict[str, Answer]] = field(default_factory=dict)

    @classmethod
    def start(cls, user, capture, title: str) -> Study:
        """A curator starts the process (POST processes/) and so facilitates it."""
        user.groups.add(Group.objects.get_or_create(name=CURATORS_GROUP)[0])
        cos = CoreOutcomeSetFactory(disease_area=DiseaseAreaFactory())
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(
            reverse("api:consensus-process-list"), {"core_outcome_set": cos.slug, "title": title}, format="json"
        )
        assert response.status_code == 201, response.content
        process = response.json()
        assert (process["status"], process["core_outcome_set"]) == ("setup", cos.slug)
        study = cls(capture=capture, facilitator=client, process_id=process["id"], set_slug=cos.slug)
        study.groups = {g["name"]: g["id"] for g in process["groups"]}
        return study

    # --- HTTP ---------------------------------------------------------------------------------------------------

    def _check(self, response, status: int = 200):
        assert response.status_code == status, (response.status_code, response.content[:2000])
        return response

    def get(self, url: str, client: APIClient | None = None):
        response = self._check((client or self.facilitator).get(url))
        return response.json() if response["Content-Type"].startswith("application/json") else response

    def send(self, method: str, url: str, body: dict | None = None, status: int = 200, client=None) -> dict:
        with self.capture(execute=True):  # tasks (emails, tallies) run once the request commits
            response = getattr(client or self.facilitator, method)(url, body or {}, format="json")
        return self._check(response, status).json() if response.content else {}

    def panelist(self, email: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Panelist {self.tokens[email]}")
        return client

    # --- Set-up -------------------------------------------------------------------------------------------------

    def define(self, **definition) -> None:
        self.send("patch", reverse("api:consensus-process-detail", args=[self.process_id]), definition)

    def add_items(self, names: list[str]) -> None:
        for name in names:
            self.add_item(name)

    def add_item(self, name: str, **fields) -> dict:
        """An item; `about` names the outcome item an instrument or alternatives item is about."""
        body = {"name": name, **fields}
        if "about" in body:
            body["outcome_item"] = self.items[body.pop("about")]
        else:
            body.setdefault("domains", [1])
        item = self.send("post", reverse("api:consensus-items", args=[self.process_id]), body, 201)
        self.items[name] = item["id"]
        for option in item["options"]:
            self.options[(name, option["label"])] = option["id"]
        return item

    def items_listed(self) -> list[dict]:
        return self.get(reverse("api:consensus-items", args=[self.process_id]))

    def invite(self, email: str, group: str) -> None:
        url = reverse("api:consensus-panelists", args=[self.process_id])
        sent = len(mail.outbox)
        panelist = self.send("post", url, {"email": email, "group_id": self.groups[group]}, 201)
        self.codes[email] = panelist["code"]
        (message,) = mail.outbox[sent:]
        self.tokens[email] = re.search(r"/panel/t/([^/\s]+)/", message.body).group(1)
        self.send("post", reverse("api:panel-consent"), {"consent": True}, client=self.panelist(email))

    # --- Rounds -------------------------------------------------------------------------------------------------

    def open_round(self, number: int, kind: str = "delphi") -> None:
        created = self.send("post", reverse("api:consensus-round-list", args=[self.process_id]), {"kind": kind}, 201)
        assert created["number"] == number
        self.rounds[number] = created["id"]
        self.send("post", reverse("api:consensus-round-open", args=[created["id"]]))

    def answer(self, email: str, number: int, answers: dict[str, Answer], *, complete: bool = True) -> None:
        ratings = []
        for name, answer in answers.items():
            entry: dict = {"item_id": self.items[name]}
            if answer == "unable":
                entry["unable_to_score"] = True
            elif isinstance(answer, Choice):
                entry["option_id"] = self.options[(name, answer.label)]
            elif isinstance(answer, str):
                entry["vote"] = answer
            else:
                entry["score"] = answer
            ratings.append(entry)
        url = reverse("api:panel-round", args=[number])
        self.send("put", url, {"ratings": ratings, "complete": complete}, client=self.panelist(email))
        if complete:
            self.submitted[(number, email)] = dict(answers)

    def round_items(self, number: int) -> dict[str, int]:
        """Item name -> round item id (what live counts are recorded on), from the round as the API reads it."""
        round_ = self.get(reverse("api:consensus-round-detail", args=[self.rounds[number]]))
        return {row["name"]: row["id"] for row in round_["items"]}

    def live_counts(self, number: int, name: str, include: int, exclude: int, abstain: int) -> None:
        round_item_id = self.round_items(number)[name]
        body = {"include": include, "exclude": exclude, "abstain": abstain}
        self.send("put", reverse("api:consensus-meeting-counts", args=[round_item_id]), body)

    def close_round(self, number: int) -> None:
        self.send("post", reverse("api:consensus-round-close", args=[self.rounds[number]]))
        rounds = self.get(reverse("api:consensus-round-list", args=[self.process_id]))
        assert next(r for r in rounds if r["number"] == number)["tallied_at"] is not None

    def finalise_and_publish(self) -> str:
        """The published version's number."""
        self.send("post", reverse("api:consensus-finalise", args=[self.process_id]))
        published = self.send("post", reverse("api:consensus-publish", args=[self.process_id]))
        assert published["status"] == "published"
        return published["version"]

    def published_version(self, number: str) -> dict:
        """The published version as anyone reads it: its JSON export (the API's version document)."""
        url = reverse("api:version-export", args=[self.set_slug, number, "json"])
        return json.loads(self._check(APIClient().get(url)).content)

    # --- Downloads ----------------------------------------------------------------------------------------------

    def download_csv(self, name: str, client: APIClient | None = None) -> list[dict]:
        response = self.get(reverse(f"api:consensus-{name}-csv", args=[self.process_id]), client)
        assert response["Content-Type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))

    def download_json(self, name: str, client: APIClient | None = None) -> dict:
        return self.get(reverse(f"api:consensus-{name}", args=[self.process_id]), client)
