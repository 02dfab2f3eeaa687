"""Panels in several languages: the process's languages, translations and their review, the refusal to open a round
with a missing translation, the panelist's language on pages and in emails, the translations API and CSV columns."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from outcomes.models import ContentTranslation, Item, Round
from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally
from tests.outcomes.consensus.conftest import add_member, make_process, open_first_round, rate_all

GERMAN_MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]
GERMAN_GROUPS = {
    "Patients and carers": "Patientinnen, Patienten und Angehörige",
    "Health professionals": "Gesundheitsfachleute",
    "Researchers": "Forschende",
    "Industry": "Industrie",
    "Regulators": "Zulassungsbehörden",
}


def german_process(facilitator, *, items: int = 2):
    """A process in English and German whose every text has a reviewed German translation."""
    process = make_process(facilitator, items=items, title="Heart panel")
    svc.process_update(
        process=process, by=facilitator, languages=["en", "de"], description="About the panel", consent_text="Agree?"
    )
    process.refresh_from_db()
    translate_everything(process, facilitator)
    return process


def translate_everything(process, facilitator) -> None:
    german = {"title": "Herz-Befragung", "description": "Über die Befragung", "consent_text": "Einverstanden?"}
    for field, text in german.items():
        svc.translation_set(
            process=process, target=process, field=field, language="de", text=text, reviewed=True, by=facilitator
        )
    for group in process.groups.all():
        svc.translation_set(
            process=process,
            target=group,
            field="name",
            language="de",
            text=GERMAN_GROUPS[group.name],
            reviewed=True,
            by=facilitator,
        )
    for item in process.items.all():
        svc.translation_set(
            process=process,
            target=item,
            field="name",
            language="de",
            text=f"Lebensqualitätseinschränkung {item.order}",
            reviewed=True,
            by=facilitator,
        )


def panel_client(member) -> Client:
    client = Client()
    client.get(reverse("panel:enter", args=[member.token]))
    return client


# --- the process's languages -------------------------------------------------------------------------------------


def test_a_process_runs_in_english_unless_the_facilitator_adds_languages(reference_data, facilitator):
    process = make_process(facilitator)
    assert process.languages == ["en"]


@pytest.mark.parametrize(
    ("languages", "message"),
    [
        (["de"], "English is always one of the languages"),
        (["en", "xx"], "Unknown language 'xx'"),
        (["en", "de", "de"], "listed twice"),
        ("en,de", "Give a list"),
    ],
)
def test_languages_must_be_registry_languages_including_english(reference_data, facilitator, languages, message):
    process = make_process(facilitator)
    with pytest.raises(ValidationError) as exc:
        svc.process_update(process=process, by=facilitator, languages=languages)
    assert message in exc.value.message_dict["languages"][0]


def test_a_language_a_panelist_reads_in_cannot_be_removed(reference_data, facilitator):
    process = german_process(facilitator)
    member = add_member(process, "de@example.org")
    svc.panelist_language_set(panelist=member.panelist, language="de")
    with pytest.raises(ValidationError) as exc:
        svc.process_update(process=process, by=facilitator, languages=["en"])
    assert "switch first" in exc.value.message_dict["languages"][0]


# --- translations and their review --------------------------------------------------------------------------------


def test_a_reviewed_translation_records_who_reviewed_it_and_a_changed_text_is_a_draft_again(
    reference_data, facilitator
):
    process = make_process(facilitator)
    svc.process_update(process=process, by=facilitator, languages=["en", "fr"])
    item = process.items.first()
    row = svc.translation_set(
        process=process, target=item, field="name", language="fr", text="Douleur", reviewed=True, by=facilitator
    )
    assert row.status == ContentTranslation.Status.REVIEWED
    assert row.reviewed_by == facilitator and row.reviewed_at is not None
    row = svc.translation_set(
        process=process, target=item, field="name", language="fr", text="La douleur", reviewed=False, by=facilitator
    )
    assert row.status == ContentTranslation.Status.DRAFT and row.reviewed_by is None
    assert (
        svc.translation_set(
            process=process, target=item, field="name", language="fr", text="", reviewed=False, by=facilitator
        )
        is None
    )
    assert not ContentTranslation.objects.filter(item=item).exists()


@pytest.mark.parametrize(
    ("field", "language", "message_field"),
    [("name", "de", "language"), ("name", "en", "language"), ("title", "fr", "field")],
)
def test_a_translation_outside_the_process_languages_or_fields_is_refused(
    reference_data, facilitator, field, language, message_field
):
    process = make_process(facilitator)
    svc.process_update(process=process, by=facilitator, languages=["en", "fr"])
    with pytest.raises(ValidationError) as exc:
        svc.translation_set(
            process=process,
            target=process.items.first(),
            field=field,
            language=language,
            text="x",
            reviewed=True,
            by=facilitator,
        )
    assert message_field in exc.value.message_dict
    assert not ContentTranslation.objects.exists()


def test_a_translation_target_of_another_process_is_not_found(reference_data, facilitator):
    mine, other = make_process(facilitator), make_process(facilitator)
    with pytest.raises(ValidationError) as exc:
        svc.translation_target(process=mine, kind="item", object_id=other.items.first().pk)
    assert "object_id" in exc.value.message_dict


# --- a round opens only with reviewed translations ----------------------------------------------------------------


def test_a_round_cannot_open_while_a_text_lacks_a_reviewed_translation_and_the_refusal_lists_them(
    reference_data, facilitator
):
    process = german_process(facilitator, items=2)
    item = process.items.order_by("order").first()
    svc.translation_set(
        process=process, target=item, field="name", language="de", text="Entwurf", reviewed=False, by=facilitator
    )
    round_ = svc.round_create(process=process, by=facilitator)
    with pytest.raises(ValidationError) as exc:
        svc.round_open(round=round_, by=facilitator)
    message = exc.value.message_dict["translations"][0]
    assert f"Item “{item.name}”: name in Deutsch" in message
    assert "Outcome 2" not in message  # only what is missing
    round_.refresh_from_db()
    assert round_.status == Round.Status.DRAFT and not round_.participations.exists()
    svc.translation_set(
        process=process, target=item, field="name", language="de", text="Entwurf", reviewed=True, by=facilitator
    )
    assert svc.round_open(round=round_, by=facilitator).status == Round.Status.OPEN


def test_the_refusal_to_open_is_shown_by_the_api_and_the_page(reference_data, facilitator, api_client_for):
    process = make_process(facilitator)
    svc.process_update(process=process, by=facilitator, languages=["en", "it"])
    round_ = svc.round_create(process=process, by=facilitator)
    response = api_client_for(facilitator).post(reverse("api:consensus-round-open", args=[round_.pk]))
    assert response.status_code == 400
    assert "Item “Outcome 1”: name in Italiano" in str(response.json())
    client = Client()
    client.force_login(facilitator)
    page = client.post(
        reverse("facilitator:round-action", args=[process.pk, round_.number, "open"]), follow=True
    ).content.decode()
    assert "no reviewed translation yet" in page and "Item “Outcome 1”: name in Italiano" in page


def test_an_english_only_process_needs_no_translation_to_open(reference_data, facilitator):
    process = make_process(facilitator)
    assert open_first_round(process, facilitator).status == Round.Status.OPEN


# --- the panelist's language ----------------------------------------------------------------------------------------


def test_the_panelist_picks_the_language_at_consent_and_the_pages_follow(reference_data, facilitator):
    process = german_process(facilitator)
    member = add_member(process, "anna@example.org", consent=False)
    client = panel_client(member)
    page = client.get(reverse("panel:home")).content.decode()
    assert '<html lang="en' in page and "Language of the study pages and emails" in page
    group = process.groups.order_by("order").first()
    response = client.post(reverse("panel:consent"), {"consent": "on", "group": group.pk, "language": "de"})
    assert response.status_code == 302
    member.panelist.refresh_from_db()
    assert member.panelist.language == "de"
    page = client.get(reverse("panel:home")).content.decode()
    assert '<html lang="de"' in page
    assert "Ihre Runden" in page and "Herz-Befragung" in page and "Vielen Dank" in page


def test_a_language_outside_the_process_is_refused_at_consent(reference_data, facilitator):
    process = german_process(facilitator)
    member = add_member(process, "x@example.org", consent=False)
    with pytest.raises(ValidationError) as exc:
        svc.panelist_consent(panelist=member.panelist, group=process.groups.first(), language="fr")
    assert "language" in exc.value.message_dict


def test_the_panelist_switches_language_any_time_and_rates_the_same_items(reference_data, facilitator):
    process = german_process(facilitator)
    member = add_member(process, "ben@example.org")
    round_ = open_first_round(process, facilitator)
    client = panel_client(member)
    english = client.get(reverse("panel:round", args=[1])).content.decode()
    assert "Outcome 1" in english and "Submit round 1" in english
    response = client.post(reverse("panel:language"), {"language": "de", "next": reverse("panel:round", args=[1])})
    assert response.status_code == 302 and response["Location"] == reverse("panel:round", args=[1])
    german = client.get(reverse("panel:round", args=[1])).content.decode()
    assert "Runde 1 abschicken" in german
    assert '<span lang="de">Lebensqualitätseinschränkung ' in german
    form = {f"score-{ri.item_id}": "8" for ri in round_.round_items.all()}
    client.post(reverse("panel:round", args=[1]), {**form, "action": "submit"})
    assert sorted(member.panelist.ratings.values_list("round_item__item_id", flat=True)) == sorted(
        round_.round_items.values_list("item_id", flat=True)
    )


def test_switching_to_a_language_the_process_does_not_offer_changes_nothing(reference_data, facilitator):
    process = german_process(facilitator)
    member = add_member(process, "c@example.org")
    client = panel_client(member)
    client.post(reverse("panel:language"), {"language": "fr"})
    member.panelist.refresh_from_db()
    assert member.panelist.language == "en"


def test_the_switch_does_not_redirect_off_site(reference_data, facilitator):
    process = german_process(facilitator)
    member = add_member(process, "d@example.org")
    response = panel_client(member).post(reverse("panel:language"), {"language": "de", "next": "https://evil.test/"})
    assert response["Location"] == reverse("panel:home")


def test_feedback_and_the_own_previous_answer_show_in_the_panelists_language(reference_data, facilitator):
    process = german_process(facilitator, items=1)
    members = [add_member(process, f"m{i}@example.org", group_index=0) for i in range(3)]
    round1 = open_first_round(process, facilitator)
    for member in members:
        rate_all(member, round1, None, unable=True)
    svc.round_close(round=round1, by=facilitator)
    round_tally(round=round1)
    round2 = svc.round_open(round=svc.round_create(process=process, by=facilitator), by=facilitator)
    svc.panelist_language_set(panelist=members[0].panelist, language="de")
    page = panel_client(members[0]).get(reverse("panel:round", args=[round2.number])).content.decode()
    assert "So hat die Gruppe bewertet" in page
    assert '<span lang="de">Patientinnen, Patienten und Angehörige</span>' in page
    assert '<span lang="de">Alle Teilnehmenden</span>' in page
    assert "Ihre Bewertung in Runde 1: <strong>kann ich nicht bewerten</strong>" in page
    assert '<th scope="col">% 7-9</th>' in page and "%%" not in page


def test_the_round_page_queries_do_not_grow_with_items_in_another_language(
    reference_data, facilitator, django_assert_max_num_queries
):
    counts = []
    for items in (2, 6):
        process = german_process(facilitator, items=items)
        member = add_member(process, f"q{items}@example.org")
        svc.panelist_language_set(panelist=member.panelist, language="de")
        open_first_round(process, facilitator)
        client = panel_client(member)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("panel:round", args=[1])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- emails ----------------------------------------------------------------------------------------------------


def test_the_invitation_is_sent_in_the_panelists_language(
    reference_data, facilitator, django_capture_on_commit_callbacks
):
    process = german_process(facilitator)
    panelist = svc.panelist_invite(
        process=process, email="eva@example.org", name="Eva", by=facilitator, send_invitation=False
    )
    panelist.language = "de"
    panelist.save(update_fields=["language"])
    mail.outbox.clear()
    svc.panelist_invitation_email(panelist=panelist)
    (message,) = mail.outbox
    assert message.subject == "Einladung: Herz-Befragung"
    assert message.body.startswith("Guten Tag Eva,\n\nSie sind eingeladen, an der Konsensstudie „Herz-Befragung“")
    assert "Vielen Dank." in message.body


def test_the_reminder_is_sent_in_the_panelists_language_with_a_localised_date(reference_data, facilitator):
    process = german_process(facilitator)
    member = add_member(process, "fritz@example.org")
    svc.panelist_language_set(panelist=member.panelist, language="de")
    closes_at = (timezone.now() + dt.timedelta(days=10)).replace(hour=9, minute=30, second=0, microsecond=0)
    day = f"{closes_at:%d} {GERMAN_MONTHS[closes_at.month - 1]} {closes_at.year}"
    round1 = svc.round_open(
        round=svc.round_create(process=process, by=facilitator, closes_at=closes_at), by=facilitator
    )
    mail.outbox.clear()
    assert svc.reminders_send(now=round1.closes_at - dt.timedelta(days=2)) == 1
    (message,) = mail.outbox
    assert message.subject == f"Erinnerung: Runde 1 von Herz-Befragung endet am {day}"
    assert "um 09:30 UTC" in message.body and "Guten Tag," in message.body


# --- the translations API and page ---------------------------------------------------------------------------------


def test_the_api_lists_translations_and_what_is_missing_and_writes_one_text(
    reference_data, facilitator, api_client_for
):
    process = make_process(facilitator, items=1)
    svc.process_update(process=process, by=facilitator, languages=["en", "es"])
    client = api_client_for(facilitator)
    url = reverse("api:consensus-translations", args=[process.pk])
    document = client.get(url).json()
    assert document["languages"] == ["en", "es"] and document["translations"] == []
    item = process.items.get()
    assert {
        "object_type": "item",
        "object_id": item.pk,
        "label": "Item “Outcome 1”",
        "field": "name",
        "language": "es",
    } in document["missing"]
    body = {
        "object_type": "item",
        "object_id": item.pk,
        "field": "name",
        "language": "es",
        "text": "Dolor",
        "reviewed": True,
    }
    document = client.put(url, body, format="json").json()
    (row,) = document["translations"]
    assert row["text"] == "Dolor" and row["status"] == "reviewed" and row["reviewed_by"] == facilitator.username
    assert not [m for m in document["missing"] if m["object_type"] == "item"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"object_type": "item", "object_id": 999999, "field": "name", "language": "es", "text": "x"}, "object_id"),
        ({"object_type": "panel", "object_id": 1, "field": "name", "language": "es", "text": "x"}, "object_type"),
        ({"object_type": "item", "object_id": 1, "field": "name", "language": "xx", "text": "x"}, "language"),
        (
            {"object_type": "item", "object_id": 1, "field": "name", "language": "es", "text": "x", "colour": 1},
            "colour",
        ),
    ],
)
def test_the_translations_api_refuses_bad_input_naming_the_field(
    reference_data, facilitator, api_client_for, body, field
):
    process = make_process(facilitator, items=1)
    svc.process_update(process=process, by=facilitator, languages=["en", "es"])
    response = api_client_for(facilitator).put(
        reverse("api:consensus-translations", args=[process.pk]), body, format="json"
    )
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert not ContentTranslation.objects.exists()


def test_the_facilitator_translates_and_reviews_on_the_page(reference_data, facilitator):
    process = make_process(facilitator, items=1)
    svc.process_update(process=process, by=facilitator, languages=["en", "de"])
    item = process.items.get()
    client = Client()
    client.force_login(facilitator)
    url = reverse("facilitator:translations", args=[process.pk])
    page = client.get(url + "?lang=de").content.decode()
    assert "Outcome 1" in page and "Not translated yet" in page
    response = client.post(
        url,
        {
            "object_type": "item",
            "object_id": item.pk,
            "field": "name",
            "language": "de",
            "text": "Schmerz",
            "reviewed": "on",
        },
    )
    assert response.status_code == 302
    row = ContentTranslation.objects.get(item=item)
    assert row.text == "Schmerz" and row.is_reviewed and row.reviewed_by == facilitator
    assert f"Reviewed by {facilitator.username}" in client.get(url + "?lang=de").content.decode()


# --- candidates CSV --------------------------------------------------------------------------------------------------


def test_csv_translation_columns_import_draft_translations(reference_data, facilitator):
    process = make_process(facilitator, items=0)
    svc.process_update(process=process, by=facilitator, languages=["en", "de", "fr"])
    process.refresh_from_db()
    data = (
        b"name,definition,domains,name_de,definition_de,name_fr\n"
        b"Pain,How much it hurts,9,Schmerz,Wie stark es wehtut,Douleur\n"
        b"Sleep,,9,Schlaf,,\n"
    )
    svc.candidates_import_csv(process=process, data=data, by=facilitator)
    pain = process.items.get(name="Pain")
    texts = {(t.field, t.language): (t.text, t.status) for t in ContentTranslation.objects.filter(item=pain)}
    assert texts == {
        ("name", "de"): ("Schmerz", "draft"),
        ("definition", "de"): ("Wie stark es wehtut", "draft"),
        ("name", "fr"): ("Douleur", "draft"),
    }
    assert ContentTranslation.objects.filter(item__name="Sleep").count() == 1


def test_csv_columns_in_a_language_the_process_does_not_run_in_are_refused(reference_data, facilitator):
    process = make_process(facilitator, items=0)
    with pytest.raises(svc.CsvImportError) as exc:
        svc.candidates_import_csv(process=process, data=b"name,domains,name_it\nPain,9,Dolore\n", by=facilitator)
    assert "'name_it' is in Italiano, which is not a language of this process" in exc.value.messages[0]
    assert not Item.objects.filter(process=process).exists()


def test_csv_translation_of_an_empty_definition_is_a_problem_of_its_line(reference_data, facilitator):
    process = make_process(facilitator, items=0)
    svc.process_update(process=process, by=facilitator, languages=["en", "de"])
    process.refresh_from_db()
    with pytest.raises(svc.CsvImportError) as exc:
        svc.candidates_import_csv(
            process=process, data=b"name,definition,domains,definition_de\nPain,,9,Schmerz\n", by=facilitator
        )
    assert exc.value.messages == ["Line 2: a definition_de translation of an empty definition."]


# --- results per language --------------------------------------------------------------------------------------------


def test_the_report_shows_participation_per_language_and_hides_results_of_small_language_groups(
    reference_data, facilitator
):
    from outcomes.selectors import consensus as selectors

    process = german_process(facilitator, items=1)
    members = [add_member(process, f"r{i}@example.org") for i in range(7)]
    for member in members[:2]:
        svc.panelist_language_set(panelist=member.panelist, language="de")
    round1 = open_first_round(process, facilitator)
    for member in members:
        rate_all(member, round1, 8)
    svc.round_close(round=round1, by=facilitator)
    round_tally(round=round1)
    (entry,) = selectors.report_data(process).languages
    assert [(p.language, p.invited, p.completed) for p in entry.participation] == [("en", 5, 5), ("de", 2, 2)]
    (item_results,) = entry.results
    english, german = item_results.results
    assert english.n == 5 and english.pct_high == 100
    assert german.n == 2 and german.suppressed
    client = Client()
    client.force_login(facilitator)
    page = client.get(reverse("facilitator:report", args=[process.pk])).content.decode()
    assert "participation per language" in page and "not shown (n=2)" in page


# --- the published version ----------------------------------------------------------------------------------------


def test_a_published_version_carries_the_reviewed_translations_and_the_set_page_switches_language(
    reference_data, facilitator
):
    process = german_process(facilitator, items=1)
    members = [add_member(process, f"v{i}@example.org") for i in range(3)]
    round1 = open_first_round(process, facilitator)
    for member in members:
        rate_all(member, round1, 9)
    svc.round_close(round=round1, by=facilitator)
    round_tally(round=round1)
    svc.process_finalise(process=process, by=facilitator)
    version = svc.process_publish(process=process, by=facilitator)
    outcome = version.outcomes.get()
    (row,) = ContentTranslation.objects.filter(outcome=outcome)
    assert (row.field, row.language, row.is_reviewed) == ("name", "de", True)
    assert row.text.startswith("Lebensqualitätseinschränkung")
    url = reverse("web:version-detail", args=[version.core_outcome_set.slug, version.version])
    english = Client().get(url).content.decode()
    assert "Deutsch" in english and row.text not in english
    german = Client().get(url, {"lang": "de"}).content.decode()
    assert f'<span class="outcome-translation" lang="de">{row.text}</span>' in german
    assert f'<span class="outcome-name" lang="en">{outcome.name}</span>' in german


def test_the_panel_api_gives_the_items_in_the_panelists_language_and_takes_a_language_at_consent(
    reference_data, facilitator
):
    from rest_framework.test import APIClient

    process = german_process(facilitator, items=1)
    member = add_member(process, "api@example.org", consent=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Panelist {member.token}")
    body = {"consent": True, "group_id": process.groups.first().pk, "language": "de"}
    me = client.post(reverse("api:panel-consent"), body, format="json").json()
    assert me["language"] == "de" and me["languages"] == ["en", "de"]
    open_first_round(process, facilitator)
    (item,) = client.get(reverse("api:panel-round", args=[1])).json()["items"]
    assert item["name"] == "Outcome 1"  # the reference
    assert item["localized"]["name"].startswith("Lebensqualitätseinschränkung")
    assert item["localized"]["name_language"] == "de"
    refused = client.post(reverse("api:panel-consent"), {**body, "language": "fr"}, format="json")
    assert refused.status_code == 400 and "language" in refused.json()["error"]["fields"]


@pytest.mark.parametrize("where", ["page", "api"])
def test_the_translations_list_queries_do_not_grow_with_items(reference_data, facilitator, api_client_for, where):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for items in (2, 8):
        process = german_process(facilitator, items=items)
        if where == "page":
            client = Client()
            client.force_login(facilitator)
            url = reverse("facilitator:translations", args=[process.pk]) + "?lang=de"
        else:
            client = api_client_for(facilitator)
            url = reverse("api:consensus-translations", args=[process.pk])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_facilitator_chooses_the_languages_on_the_settings_page(reference_data, facilitator):
    from outcomes.web.consensus_forms import SettingsForm

    process = make_process(facilitator)
    form = SettingsForm(instance=process, prefix="set")
    data = {f"set-{name}": form[name].value() for name in form.fields if name != "languages"}
    data = {key: value for key, value in data.items() if value is not None}
    client = Client()
    client.force_login(facilitator)
    url = reverse("facilitator:definition", args=[process.pk])
    assert 'value="de"' in client.get(url).content.decode()
    response = client.post(url, {**data, "form": "settings", "set-languages": ["en", "de", "it"]})
    assert response.status_code == 302
    process.refresh_from_db()
    assert process.languages == ["en", "de", "it"]
    refused = client.post(url, {**data, "form": "settings", "set-languages": ["de"]})
    assert refused.status_code == 400 and "English is always one of the languages" in refused.content.decode()


def test_the_service_refuses_to_translate_a_row_of_another_process(reference_data, facilitator):
    mine, other = make_process(facilitator), make_process(facilitator)
    for process in (mine, other):
        svc.process_update(process=process, by=facilitator, languages=["en", "de"])
    with pytest.raises(ValidationError) as exc:
        svc.translation_set(
            process=mine,
            target=other.items.first(),
            field="name",
            language="de",
            text="Fremd",
            reviewed=True,
            by=facilitator,
        )
    assert "object_id" in exc.value.message_dict and not ContentTranslation.objects.exists()
