"""A panelist's link status (active, expired, revoked) is Panelist.link_status, shown alike by API, pages and admin."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from outcomes.models import Panelist
from outcomes.services import consensus as svc
from tests.factories import SiteAdminFactory
from tests.outcomes.consensus.conftest import add_member


def _expire(panelist: Panelist) -> Panelist:
    Panelist.objects.filter(pk=panelist.pk).update(token_expires_at=timezone.now() - dt.timedelta(days=1))
    panelist.refresh_from_db()
    return panelist


def test_a_link_is_active_until_it_expires_and_revoked_once_revoked_whatever_its_expiry(process):
    member = add_member(process, "ann@example.org")
    assert member.panelist.link_status == Panelist.LinkStatus.ACTIVE
    expired = _expire(member.panelist)
    assert expired.link_status == Panelist.LinkStatus.EXPIRED
    revoked = svc.panelist_revoke(panelist=expired, by=None)
    assert revoked.link_status == Panelist.LinkStatus.REVOKED


def test_the_facilitators_panel_page_shows_an_expired_link_as_expired_not_as_valid(client, process, facilitator):
    _expire(add_member(process, "ann@example.org").panelist)
    client.force_login(facilitator)
    body = client.get(reverse("facilitator:panelists", args=[process.pk])).content.decode()
    assert "expired on" in body and "valid until" not in body


def test_the_api_and_the_admin_report_the_same_link_status(client, process, facilitator, api_client_for):
    _expire(add_member(process, "ann@example.org").panelist)
    rows = api_client_for(facilitator).get(reverse("api:consensus-panelists", args=[process.pk])).json()
    assert [row["link_status"] for row in rows] == ["expired"]
    client.force_login(SiteAdminFactory())
    body = client.get(reverse("admin:outcomes_panelist_changelist")).content.decode()
    assert '<td class="field-link">Expired</td>' in body
