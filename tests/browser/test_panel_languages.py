"""A panelist answers in German in a real browser: long German compounds and longer translations fit a desktop and a
375-pixel phone screen without sideways scrolling, and the pages are accessible (lang attributes, axe clean)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from outcomes.models import ContentTranslation
from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, screenshot
from tests.factories import FacilitatorFactory
from tests.outcomes.consensus.conftest import add_member, make_process, open_first_round, rate_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Synthetic test content: long compounds as German builds them, to stress the layout.
LONG_NAMES = [
    "Gesundheitsbezogene Lebensqualitätseinschränkungsbewertung",
    "Krankenhauswiederaufnahmewahrscheinlichkeit nach Herzinsuffizienzdekompensation",
]
LONG_DEFINITION = (
    "Selbstberichtete Alltagsbeeinträchtigung durch Atemnot, Erschöpfung und Schlafstörungen, erhoben mit dem "
    "Lebensqualitätsfragebogen zu Studienbeginn, nach drei Monaten und nach zwölf Monaten."
)


def german_panel(facilitator):
    """A process in English and German, round 1 closed (so round 2 shows feedback), round 2 open; a panelist
    who reads it in German."""
    process = make_process(facilitator, items=2, title="Heart panel")
    svc.process_update(process=process, by=facilitator, languages=["en", "de"], consent_text="Agree?")
    process.refresh_from_db()
    texts = {"title": "Konsensbefragung Herzinsuffizienz", "consent_text": "Einverstanden?"}
    for field, text in texts.items():
        svc.translation_set(
            process=process, target=process, field=field, language="de", text=text, reviewed=True, by=facilitator
        )
    for group in process.groups.all():
        svc.translation_set(
            process=process,
            target=group,
            field="name",
            language="de",
            text=f"Interessenvertretungsgruppe {group.order}",
            reviewed=True,
            by=facilitator,
        )
    for item, name in zip(process.items.order_by("order"), LONG_NAMES, strict=True):
        svc.item_update(item=item, name=item.name, definition="What it means", domain_numbers=[1], by=facilitator)
        item.refresh_from_db()
        for field, text in (("name", name), ("definition", LONG_DEFINITION)):
            svc.translation_set(
                process=process, target=item, field=field, language="de", text=text, reviewed=True, by=facilitator
            )
    members = [add_member(process, f"b{i}@example.org", group_index=i % 2) for i in range(4)]
    round1 = open_first_round(process, facilitator)
    for score, member in zip((9, 7, 5, 8), members, strict=True):
        rate_all(member, round1, score)
    svc.round_close(round=round1, by=facilitator)
    round_tally(round=round1)
    svc.round_open(round=svc.round_create(process=process, by=facilitator), by=facilitator)
    svc.panelist_language_set(panelist=members[0].panelist, language="de")
    return members[0]


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_a_german_panelist_reads_the_round_with_feedback_in_german_on_desktop_and_phone(
    browser, site, device, viewport
):
    member = german_panel(FacilitatorFactory())
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        page.goto(site + reverse("panel:enter", args=[member.token]))
        assert page.locator("html").get_attribute("lang") == "de"
        page.goto(site + reverse("panel:round", args=[2]))
        assert page.get_by_text(LONG_NAMES[0]).first.is_visible()
        assert page.locator(f'span[lang="de"]:has-text("{LONG_NAMES[1]}")').count() >= 1
        assert page.get_by_role("button", name="Runde 2 abschicken").is_visible()
        assert "So hat die Gruppe bewertet" in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert axe_violations(page, site) == []
        screenshot(page, f"panel-round-de-{device}")
        page.goto(site + reverse("panel:home"))
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert axe_violations(page, site) == []
    finally:
        context.close()


def test_the_panelist_switches_the_language_from_the_page(page, site):
    member = german_panel(FacilitatorFactory())
    page.goto(site + reverse("panel:enter", args=[member.token]))
    page.goto(site + reverse("panel:round", args=[2]))
    page.get_by_label("Sprache", exact=True).select_option("en")
    page.get_by_role("button", name="Sprache wechseln").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Submit round 2").is_visible()
    assert page.get_by_text("Outcome 1").first.is_visible()


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_set_page_shows_reviewed_translations_beside_the_english_and_fits_a_phone(browser, site, device, viewport):
    from outcomes.models import CoreOutcomeSetVersion

    version = CoreOutcomeSetVersion.objects.get(core_outcome_set__slug="ichom-heart-failure", version="1.0.0")
    for outcome, text in zip(version.outcomes.order_by("order")[:2], LONG_NAMES, strict=True):
        ContentTranslation.objects.create(
            outcome=outcome, field="name", language="de", text=text, status="reviewed", reviewed_at=timezone.now()
        )
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        page.goto(site + reverse("web:set-detail", args=["ichom-heart-failure"]))
        page.get_by_role("link", name="Deutsch").click()
        assert page.locator(f'.outcome-translation[lang="de"]:has-text("{LONG_NAMES[1]}")').first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert axe_violations(page, site) == []
        screenshot(page, f"set-languages-{device}")
    finally:
        context.close()
