"""A trial designer checks a trial against a set, declares that the trial uses it; a curator verifies the
declaration; the set page counts the trial. Accessible throughout."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser.conftest import axe_violations
from tests.factories import CuratorFactory, OutsiderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
HF = "ichom-heart-failure"
# A synthetic outcome list (not a real trial's registration).
OUTCOMES = "KCCQ clinical summary score\nAll-cause mortality\nPHQ-2\nHospitalisation for heart failure\nSerum potassium"


def sign_in(page, site: str, username: str) -> None:
    page.goto(site + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_a_trial_designer_checks_and_declares_and_a_curator_verifies_then_the_set_page_counts_the_trial(page, site):
    OutsiderFactory(username="trialist")
    CuratorFactory(username="curator")
    sign_in(page, site, "trialist")
    page.goto(site + reverse("web:trial-check") + f"?set={HF}")
    assert axe_violations(page, site) == []
    page.get_by_label("The trial's outcomes, one per line").fill(OUTCOMES)
    page.get_by_role("button", name="Check the trial").click()
    verdict = page.locator("#verdict").inner_text()
    assert "uses the set under the Kirkham rule" in verdict
    assert "Serum potassium" in page.locator("#extra-heading + ul").inner_text()
    assert axe_violations(page, site) == []
    page.get_by_label("Trial registry identifier").fill("NCT12345678")
    page.get_by_role("button", name="Declare adoption").click()
    assert "A curator will verify it" in page.locator(".messages").inner_text()
    sign_out(page)

    sign_in(page, site, "curator")
    page.goto(site + reverse("web:adoption-queue"))
    assert axe_violations(page, site) == []
    page.get_by_role("button", name="Verify NCT12345678").click()
    assert "NCT12345678 is verified" in page.locator(".messages").inner_text()

    page.goto(site + reverse("web:set-detail", args=[HF]))
    assert page.locator("#used-by").inner_text() == "Used by 1 trial"
    page.locator("#used-by").click()
    assert "NCT12345678" in page.locator("#adoptions-heading + ul").inner_text()
    assert axe_violations(page, site) == []
    page.goto(site + reverse("web:uptake"))
    assert axe_violations(page, site) == []
