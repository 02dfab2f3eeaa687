"""HTML and script that panelists type (comments, suggestions) are shown escaped on every page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from outcomes.services import consensus as svc
from outcomes.services.consensus import RatingInput
from tests.outcomes.consensus.conftest import add_member

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

pytestmark = pytest.mark.django_db


def test_script_typed_by_a_panelist_is_escaped_on_panel_and_facilitator_pages(client, process, facilitator):
    member = add_member(process, "hostile@example.org")
    round_ = svc.round_create(process=process, by=facilitator, allow_suggestions=True)
    svc.round_open(round=round_, by=facilitator)
    items = list(round_.round_items.select_related("item"))
    svc.rating_submit(
        panelist=member.panelist,
        round=round_,
        ratings=[RatingInput(item_id=ri.item_id, score=7, comment=SCRIPT) for ri in items],
        complete=True,
    )
    svc.suggestion_submit(panelist=member.panelist, round=round_, name=f"Outcome {SCRIPT}", rationale=SCRIPT)

    client.get(reverse("panel:enter", args=[member.token]))
    panel_pages = [reverse("panel:round", args=[round_.number]), reverse("panel:suggestions")]
    client.force_login(facilitator)
    facilitator_pages = [
        reverse("facilitator:suggestions", args=[process.pk]),
        reverse("facilitator:round-results", args=[process.pk, round_.number]),
        reverse("facilitator:report", args=[process.pk]),
    ]
    for url in panel_pages + facilitator_pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert SCRIPT not in body, url
    shown = client.get(reverse("facilitator:suggestions", args=[process.pk])).content.decode()
    assert f"Outcome {ESCAPED}" in shown and f"<em>{ESCAPED}</em>" in shown
