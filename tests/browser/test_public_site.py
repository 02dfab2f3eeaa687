"""A clinician uses the public website in a real browser: find, read, compare, download; accessible throughout."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import bibtexparser
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from diseases.models import DiseaseArea
from tests.browser.conftest import PHONE, axe_violations, screenshot
from tests.outcomes.builders import add_sets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMPACTERS = "localised-prostate-cancer-compacters"
ICHOM_PROSTATE = "ichom-localized-prostate-cancer"


def public_pages() -> list[tuple[str, str]]:
    """Every public page of the website, with the name its screenshots get in docs/screenshots."""
    return [
        ("home", reverse("web:home")),
        ("disease-area", reverse("web:disease-area", args=["heart-disease"])),
        ("condition", reverse("web:condition-detail", args=["heart-failure"])),
        ("search", reverse("web:search") + "?q=symptom+burden"),
        ("browse", reverse("web:search") + "?area=prostate-cancer&status=published"),
        ("set-heart-failure", reverse("web:set-detail", args=["ichom-heart-failure"])),
        ("set-compacters", reverse("web:set-detail", args=[COMPACTERS])),
        ("domains", reverse("web:domain-list")),
        ("domain", reverse("web:domain-detail", args=[1])),
        ("instruments", reverse("web:instrument-list")),
        ("instrument", reverse("web:instrument-detail", args=["EQ-5D"])),
        ("compare", reverse("web:compare") + f"?a={COMPACTERS}&b={ICHOM_PROSTATE}"),
        ("compare-error", reverse("web:compare") + f"?a={COMPACTERS}&b=no-such-set"),
        ("version", reverse("web:version-detail", args=[COMPACTERS, "1.0.0"])),
        ("version-diff", reverse("web:version-diff", args=[COMPACTERS, "1.0.0", "1.1.0"])),
        ("login", reverse("login")),
    ]


def test_a_clinician_finds_the_heart_failure_set_by_search_and_downloads_an_export(page, site):
    page.goto(site + reverse("web:home"))
    page.get_by_label("Search sets, outcomes and definitions").fill("heart failure")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=heart+failure")
    result = page.get_by_role("link", name="ICHOM Standard Set for heart failure")
    assert result.is_visible()
    assert "title" in page.locator(".result", has=result).locator(".match-reasons").inner_text()

    result.click()
    page.wait_for_url(f"**{reverse('web:set-detail', args=['ichom-heart-failure'])}")
    assert page.get_by_role("heading", level=1).inner_text() == "ICHOM Standard Set for heart failure"
    assert "Symptom burden" in page.locator(".wheel-figure table").text_content()

    with page.expect_download() as download_info:
        page.locator(".export-button[data-format=json]").click()
    download = download_info.value
    assert download.failure() is None
    document = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert "ichom-heart-failure" in json.dumps(document)
    assert "Symptom burden" in json.dumps(document)


def test_a_clinician_compares_the_two_compacters_versions_from_the_version_history(page, site):
    page.goto(site + reverse("web:set-detail", args=[COMPACTERS]))
    history = page.locator("section[aria-labelledby=history-heading]")
    history.get_by_role("link", name="Compare with 1.0.0").click()
    page.wait_for_url(f"**/sets/{COMPACTERS}/diff/1.0.0/1.1.0/")
    body = page.locator("main").inner_text()
    assert "1.0.0" in body and "1.1.0" in body


def test_a_clinician_picks_two_sets_by_typing_in_the_compare_comboboxes_with_the_keyboard(page, site):
    page.goto(site + reverse("web:compare"))
    first = page.get_by_role("combobox", name="First set")
    first.focus()
    page.keyboard.type("compacters")
    options = page.locator("#a-listbox [role=option]")
    options.first.wait_for()
    assert first.get_attribute("aria-expanded") == "true"
    assert options.count() == 1  # suggestions for what is typed, never the whole registry
    page.keyboard.press("ArrowDown")
    assert first.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
    assert options.first.get_attribute("aria-selected") == "true"
    assert axe_violations(page, site) == []  # with the listbox open
    page.keyboard.press("Enter")
    assert first.input_value() == "Core outcome set for effectiveness trials in localised prostate cancer (COMPACTERS)"
    assert first.get_attribute("aria-expanded") == "false"

    page.keyboard.press("Tab")
    second = page.get_by_role("combobox", name="Second set")
    assert page.evaluate("document.activeElement.id") == "id_b_q"
    page.keyboard.type("ichom locali")
    page.locator("#b-listbox [role=option]").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert second.input_value() == "ICHOM Standard Set for localized prostate cancer"

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Compare"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/compare/?*a={COMPACTERS}*")
    assert f"b={ICHOM_PROSTATE}" in page.url
    shared = page.locator("tr.compare-shared")
    assert shared.count() >= 3
    assert any("Renal and urinary outcomes" in text for text in shared.all_inner_texts())
    assert axe_violations(page, site) == []


def test_the_skip_link_is_the_first_tab_stop_is_visible_when_focused_and_moves_to_the_content(page, site):
    page.goto(site + reverse("web:set-detail", args=["ichom-heart-failure"]))
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0
    assert skip.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize(("name", "path"), public_pages())
def test_public_page_has_no_serious_or_critical_accessibility_violation(page, site, name, path):
    response = page.goto(site + path)
    assert response is not None and response.status in (200, 400)
    assert axe_violations(page, site) == []
    screenshot(page, f"{name}-desktop")


@pytest.mark.parametrize(("name", "path"), public_pages())
def test_public_page_fits_a_375_pixel_phone_screen_without_sideways_scrolling(browser, site, name, path):
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(site + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert axe_violations(page, site) == []
        screenshot(page, f"{name}-phone")
    finally:
        context.close()


def test_instrument_page_with_a_space_in_its_acronym_opens_from_the_instrument_list(page, site):
    page.goto(site + reverse("web:instrument-list"))
    page.get_by_role("link", name="Rose Dyspnea Scale").click()
    page.wait_for_url(f"**/instruments/{quote('Rose Dyspnea Scale')}/")
    assert "ICHOM Standard Set for coronary artery disease" in page.locator("main").inner_text()


def test_the_citation_can_be_copied_with_one_button(page, site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(site + reverse("web:set-detail", args=[COMPACTERS]))
    button = page.get_by_role("button", name="Copy citation")
    button.focus()
    page.keyboard.press("Enter")
    status = page.locator("#citation-status")
    status.wait_for(state="attached")
    page.wait_for_function("document.getElementById('citation-status').textContent.length > 0")
    assert status.inner_text() == "Citation copied."
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("COMPACTERS study group. Core outcome set for effectiveness trials")
    assert copied.endswith(f"/sets/{COMPACTERS}/v/1.1.0/")


def test_the_cite_menu_opens_with_the_keyboard_and_copies_a_bibtex_entry_a_parser_reads(page, site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(site + reverse("web:version-detail", args=[COMPACTERS, "1.1.0"]))
    summary = page.locator(".cite-menu summary")
    summary.focus()
    page.keyboard.press("Enter")
    button = page.get_by_role("button", name="Copy BibTeX")
    button.wait_for(state="visible")
    assert axe_violations(page, site) == []  # with the menu open
    button.click()
    expect(page.locator("#cite-bibtex-status")).to_have_text("Citation copied.")
    (entry,) = bibtexparser.parse_string(page.evaluate("navigator.clipboard.readText()")).entries
    assert entry["author"] == "{COMPACTERS study group}" and entry["version"] == "1.1.0"
    download = page.get_by_role("link", name="Download CITATION.cff")
    assert download.get_attribute("href") == reverse("api:version-cite", args=[COMPACTERS, "1.1.0", "cff"])


def test_a_long_list_of_sets_is_paged_with_the_keyboard_and_the_page_links_fit_a_phone(browser, page, site):
    add_sets(45, area=DiseaseArea.objects.get(slug="heart-disease"), outcome="Pain interference")
    page.goto(site + reverse("web:search") + "?q=pain&area=heart-disease")
    pages = page.get_by_role("navigation", name="Pages")
    pages.get_by_role("link", name="Next page").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=pain&area=heart-disease&page=2")
    assert pages.get_by_role("link", name="Page 2").get_attribute("aria-current") == "page"
    assert "Sets 21–40 of 45" in page.locator("main").inner_text()
    assert axe_violations(page, site) == []
    screenshot(page, "search-pages-desktop")

    phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    try:
        phone.goto(site + reverse("web:search") + "?q=pain&area=heart-disease&page=2")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert axe_violations(phone, site) == []
        screenshot(phone, "search-pages-phone")
    finally:
        phone.context.close()
