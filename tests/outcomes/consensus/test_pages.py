"""Panel and facilitator pages: access rules, forms with errors, CSV downloads."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from outcomes.models import Rating

from .conftest import add_member, make_process, open_first_round, rate_all

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def panel_client(member) -> Client:
    client = Client()
    client.get(reverse("panel:enter", args=[member.token]))
    return client


FACILITATOR_PAGES = [
    ("facilitator:dashboard", []),
    ("facilitator:items", []),
    ("facilitator:definition", []),
    ("facilitator:group-edit", ["group"]),
    ("facilitator:item-edit", ["item"]),
    ("facilitator:panelists", []),
    ("facilitator:suggestions", []),
    ("facilitator:ratings-csv", []),
    ("facilitator:results-csv", []),
    ("facilitator:round-results", [1]),
]


@pytest.mark.parametrize(("name", "extra"), FACILITATOR_PAGES)
def test_facilitator_pages_open_for_the_facilitator_and_refuse_another_facilitator_and_anonymous(
    process, facilitator, outsider, members, name, extra
):
    open_first_round(process, facilitator)
    objects = {"group": process.groups.first().pk, "item": process.items.first().pk}
    url = reverse(name, args=[process.pk, *(objects.get(arg, arg) for arg in extra)])
    assert logged_in(facilitator).get(url).status_code == 200
    make_process(outsider, items=1, title="The outsider's own process")
    assert logged_in(outsider).get(url).status_code == 403
    response = Client().get(url)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_facilitator_actions_are_refused_to_another_facilitator_and_change_nothing(process, facilitator, outsider):
    round1 = open_first_round(process, facilitator)
    response = logged_in(outsider).post(reverse("facilitator:round-action", args=[process.pk, 1, "close"]))
    assert response.status_code == 403
    round1.refresh_from_db()
    assert round1.status == "open"


def test_dashboard_queries_do_not_grow_with_items_and_panelists(
    facilitator, reference_data, django_assert_max_num_queries
):
    for size in (2, 30):
        process = make_process(facilitator, items=size, title=f"Panel {size}")
        members = [add_member(process, f"d{size}-{i}@example.org") for i in range(size // 2)]
        round1 = open_first_round(process, facilitator)
        for member in members:
            rate_all(member, round1, 8)
        from outcomes.services import consensus as svc
        from outcomes.services.tally import round_tally

        svc.round_close(round=round1, by=facilitator)
        round_tally(round=round1)
        client = logged_in(facilitator)
        with django_assert_max_num_queries(30):
            assert client.get(reverse("facilitator:dashboard", args=[process.pk])).status_code == 200


def test_panel_link_opens_the_panel_and_an_unknown_link_is_refused(process, members):
    client = Client()
    response = client.get(reverse("panel:enter", args=[members[0].token]))
    assert response.status_code == 302 and response["Location"] == reverse("panel:home")
    assert members[0].panelist.code in client.get(reverse("panel:home")).content.decode()
    assert Client().get(reverse("panel:enter", args=["forged-token"])).status_code == 403
    assert Client().get(reverse("panel:home")).status_code == 403


def test_revoking_a_link_ends_the_panelists_session_too(process, members):
    from outcomes.services import consensus as svc

    client = panel_client(members[0])
    svc.panelist_revoke(panelist=members[0].panelist, by=None)
    response = client.get(reverse("panel:home"))
    assert response.status_code == 403 and "revoked" in response.content.decode()


def test_round_page_with_an_invalid_score_shows_the_error_and_stores_nothing(process, facilitator, members):
    round1 = open_first_round(process, facilitator)
    client = panel_client(members[0])
    form = {f"score-{pk}": "5" for pk in round1.round_items.values_list("item_id", flat=True)}
    first = next(iter(form))
    form[first] = "12"
    response = client.post(reverse("panel:round", args=[1]), {**form, "action": "submit"})
    assert response.status_code == 400
    assert "Choose a score from 1 to 9" in response.content.decode()
    assert Rating.objects.count() == 0


def test_submitting_with_unanswered_items_on_the_page_is_refused_as_the_api_refuses_it_and_stores_nothing(
    process, facilitator, members
):
    round1 = open_first_round(process, facilitator)
    client = panel_client(members[0])
    first = round1.round_items.first().item_id
    response = client.post(reverse("panel:round", args=[1]), {f"score-{first}": "unable", "action": "submit"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "1 of 3 answered" in page and "nothing was saved" in page
    # What they entered is shown back, to complete or to save as a draft.
    assert re.search(rf'name="score-{first}" value="unable" checked', page)
    assert not Rating.objects.exists()
    assert round1.participations.get(panelist=members[0].panelist).completed_at is None


def test_panelist_cannot_open_a_round_of_another_process(process, facilitator, members):
    other = make_process(facilitator, items=1, title="Other")
    stranger = add_member(other, "stranger@example.org")
    open_first_round(process, facilitator)  # round 1 of THIS process; the stranger is not in it
    assert panel_client(stranger).get(reverse("panel:round", args=[1])).status_code == 404


def test_csv_import_page_lists_bad_rows_by_line_and_imports_nothing(process, facilitator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.csv", b"name,definition,domains\nGood,,3\n,,4\n", content_type="text/csv")
    response = logged_in(facilitator).post(
        reverse("facilitator:items", args=[process.pk]), {"import": "1", "file": upload}
    )
    assert response.status_code == 400
    assert "Line 3: the name is empty." in response.content.decode()
    assert process.items.count() == 3


def test_ratings_csv_is_pseudonymised_and_escapes_formula_cells(process, facilitator, members):
    from outcomes.services import consensus as svc

    round1 = open_first_round(process, facilitator)
    item_ids = list(round1.round_items.values_list("item_id", flat=True))
    comment = '=HYPERLINK("http://evil")'
    svc.rating_submit(
        panelist=members[0].panelist,
        round=round1,
        ratings=[svc.RatingInput(item_id=i, score=7, comment=comment if i == item_ids[0] else "") for i in item_ids],
        complete=True,
    )
    response = logged_in(facilitator).get(reverse("facilitator:ratings-csv", args=[process.pk]))
    body = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["panelist_code"] for row in rows] == [members[0].panelist.code] * len(item_ids)
    assert rows[0]["comment"].startswith("'=HYPERLINK")
    assert "@example.org" not in body


def test_definition_form_is_locked_after_round_1_opens(process, facilitator):
    client = logged_in(facilitator)
    url = reverse("facilitator:definition", args=[process.pk])
    data = {
        "form": "definition",
        "def-rule_scope": "every_group",
        "def-in_high_min_pct": 75,
        "def-in_low_max_pct": 15,
        "def-out_low_min_pct": 70,
        "def-out_high_max_pct": 15,
        "def-meeting_include_min_pct": 70,
    }
    assert client.post(url, data).status_code == 302
    process.refresh_from_db()
    assert process.in_high_min_pct == 75
    open_first_round(process, facilitator)
    response = client.post(url, {**data, "def-in_high_min_pct": 60})
    assert response.status_code == 400
    assert "locked" in response.content.decode()
    process.refresh_from_db()
    assert process.in_high_min_pct == 75


def test_report_of_an_unpublished_process_is_for_facilitators_only(process, facilitator, outsider):
    url = reverse("facilitator:report", args=[process.pk])
    assert logged_in(facilitator).get(url).status_code == 200
    assert logged_in(outsider).get(url).status_code == 403
    assert Client().get(url).status_code == 302


def test_a_curator_starts_a_process_and_becomes_its_facilitator_and_others_are_refused(reference_data, outsider):
    from outcomes.models import ConsensusProcess, CoreOutcomeSet
    from tests.factories import CuratorFactory

    curator = CuratorFactory()
    cos = CoreOutcomeSet.objects.get(slug="ichom-atrial-fibrillation")
    url = reverse("facilitator:process-create")
    assert logged_in(outsider).post(url, {"core_outcome_set": cos.pk, "title": "X"}).status_code == 403
    response = logged_in(curator).post(url, {"core_outcome_set": cos.pk, "title": "AF update"})
    process = ConsensusProcess.objects.get(title="AF update")
    assert response.status_code == 302 and response["Location"] == reverse("facilitator:dashboard", args=[process.pk])
    assert list(process.facilitators.all()) == [curator]
    again = logged_in(curator).post(url, {"core_outcome_set": cos.pk, "title": "Second"})
    assert again.status_code == 400 and "already has" in again.content.decode()


# --- Renaming a stakeholder group, editing a candidate ------------------------------------------------------------


def test_facilitator_renames_a_group_from_the_definition_page(process, facilitator):
    client = logged_in(facilitator)
    group = process.groups.get(name="Researchers")
    edit_url = reverse("facilitator:group-edit", args=[process.pk, group.pk])
    assert edit_url in client.get(reverse("facilitator:definition", args=[process.pk])).content.decode()
    page = client.get(edit_url).content.decode()
    assert 'value="Researchers"' in page and '<label for="id_name">Name</label>' in page
    response = client.post(edit_url, {"name": "Academic researchers"})
    assert response.status_code == 302 and response["Location"] == reverse("facilitator:definition", args=[process.pk])
    group.refresh_from_db()
    assert group.name == "Academic researchers"
    assert "Renamed “Researchers” to “Academic researchers”." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("name", "message"),
    [("Industry", "There is already a group called"), ("", "This field is required."), ("   ", "This field")],
)
def test_a_bad_group_name_is_shown_on_the_rename_page_and_changes_nothing(process, facilitator, name, message):
    group = process.groups.get(name="Researchers")
    response = logged_in(facilitator).post(
        reverse("facilitator:group-edit", args=[process.pk, group.pk]), {"name": name}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="field-error"' in response.content.decode()
    group.refresh_from_db()
    assert group.name == "Researchers"


def test_renaming_a_group_is_refused_to_another_facilitator_and_a_group_of_another_process_is_a_404(
    process, facilitator, outsider
):
    group = process.groups.get(name="Researchers")
    other = make_process(outsider, items=1, title="The outsider's own process")
    url = reverse("facilitator:group-edit", args=[process.pk, group.pk])
    assert logged_in(outsider).post(url, {"name": "Taken over"}).status_code == 403
    foreign = reverse("facilitator:group-edit", args=[other.pk, group.pk])
    assert logged_in(outsider).post(foreign, {"name": "Taken over"}).status_code == 404
    group.refresh_from_db()
    assert group.name == "Researchers"


def test_facilitator_edits_a_candidate_from_the_candidates_page(process, facilitator):
    client = logged_in(facilitator)
    item = process.items.get(name="Outcome 2")
    edit_url = reverse("facilitator:item-edit", args=[process.pk, item.pk])
    assert edit_url in client.get(reverse("facilitator:items", args=[process.pk])).content.decode()
    page = client.get(edit_url).content.decode()
    assert 'value="Outcome 2"' in page and 'value="2"' in page  # the current name and COMET domains
    response = client.post(edit_url, {"name": "Breathlessness", "definition": "Short of breath", "domains": "9; 3"})
    assert response.status_code == 302 and response["Location"] == reverse("facilitator:items", args=[process.pk])
    item.refresh_from_db()
    assert (item.name, item.definition) == ("Breathlessness", "Short of breath")
    assert sorted(item.domains.values_list("number", flat=True)) == [3, 9]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Outcome 1"}, "There is already a candidate called"),
        ({"name": "New", "domains": "99"}, "Unknown COMET domain number(s): 99."),
        ({"name": "New", "domains": "three"}, "Give COMET domain numbers separated by semicolons."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_a_bad_candidate_edit_is_shown_on_the_page_and_changes_nothing(process, facilitator, data, message):
    item = process.items.get(name="Outcome 2")
    response = logged_in(facilitator).post(reverse("facilitator:item-edit", args=[process.pk, item.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    item.refresh_from_db()
    assert (item.name, list(item.domains.values_list("number", flat=True))) == ("Outcome 2", [2])


def test_a_rated_candidate_cannot_be_edited_and_its_page_says_why(process, facilitator):
    client = logged_in(facilitator)
    open_first_round(process, facilitator)
    item = process.items.get(name="Outcome 2")
    url = reverse("facilitator:item-edit", args=[process.pk, item.pk])
    assert url not in client.get(reverse("facilitator:items", args=[process.pk])).content.decode()
    page = client.get(url).content.decode()
    assert "can no longer change" in page and "<form" not in page.split("</nav>", 1)[1]
    response = client.post(url, {"name": "Renamed"})
    assert response.status_code == 400 and "This item has been rated" in response.content.decode()
    item.refresh_from_db()
    assert item.name == "Outcome 2"


def test_editing_a_candidate_is_refused_to_another_facilitator_and_to_anonymous(process, outsider):
    item = process.items.get(name="Outcome 2")
    url = reverse("facilitator:item-edit", args=[process.pk, item.pk])
    make_process(outsider, items=1, title="The outsider's own process")
    assert logged_in(outsider).post(url, {"name": "Taken over"}).status_code == 403
    response = Client().post(url, {"name": "Taken over"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    item.refresh_from_db()
    assert item.name == "Outcome 2"
