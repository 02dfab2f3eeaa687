"""Email subscriptions: double opt-in, single-use expiring links, one-click unsubscribe (RFC 8058), the emails on
publication and withdrawal, and requests that tell nobody who is subscribed."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from outcomes.models import AuditEvent, OutboxMessage, Subscription
from outcomes.services import subscriptions as subs
from outcomes.services.versions import version_draft_create, version_publish, version_withdraw
from tests.factories import CoreOutcomeSetFactory, DiseaseAreaFactory, UserFactory
from tests.outcomes.builders import version_with_content

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rate_limit_clock")]


def _link(message, name: str) -> str:
    path = reverse(name, args=["TOKEN"]).replace("TOKEN/", "")
    return re.search(rf"http\S+{re.escape(path)}\S+/", message.body).group(0)


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def _subscribe(capture, email: str = "reader@example.org", **target) -> None:
    with capture(execute=True):
        subs.subscription_request(email=email, **target)


def _confirmed(capture, email: str = "reader@example.org", **target) -> Subscription:
    mail.outbox.clear()
    _subscribe(capture, email, **target)
    (message,) = mail.outbox
    mail.outbox.clear()
    return subs.subscription_confirm(token=_token(_link(message, "web:subscription-confirm")))


def _state() -> list[tuple]:
    return list(Subscription.objects.order_by("pk").values_list("confirmed_at", "unsubscribed_at", "confirm_nonce"))


# --- Double opt-in ---------------------------------------------------------------------------------------------------


def test_a_request_sends_only_a_confirmation_email_and_a_publication_before_confirming_sends_nothing(
    reference_data, django_capture_on_commit_callbacks
):
    version = version_with_content(publish=False)
    cos = version.core_outcome_set
    _subscribe(django_capture_on_commit_callbacks, core_outcome_set=cos)
    (message,) = mail.outbox
    assert message.to == ["reader@example.org"]
    assert message.subject == f"Confirm your subscription to {cos.title}"
    assert "/subscriptions/confirm/" in message.body and "valid for 72 hours" in message.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        version_publish(version=version)
    assert mail.outbox == []


def test_the_confirmation_link_confirms_once_and_a_replay_is_refused_and_changes_nothing(
    django_capture_on_commit_callbacks,
):
    cos = CoreOutcomeSetFactory()
    _subscribe(django_capture_on_commit_callbacks, core_outcome_set=cos)
    token = _token(_link(mail.outbox[0], "web:subscription-confirm"))
    subscription = subs.subscription_confirm(token=token)
    assert subscription.is_active
    assert AuditEvent.objects.filter(action="subscription.confirm", object_id=str(subscription.pk)).exists()
    before = _state()
    with pytest.raises(subs.TokenRefused, match="already been used"):
        subs.subscription_confirm(token=token)
    assert _state() == before


def test_a_forged_or_tampered_link_is_refused(django_capture_on_commit_callbacks):
    _subscribe(django_capture_on_commit_callbacks, core_outcome_set=CoreOutcomeSetFactory())
    token = _token(_link(mail.outbox[0], "web:subscription-confirm"))
    before = _state()
    for forged in ("not-a-token", token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token + "x"):
        with pytest.raises(subs.TokenRefused, match="not valid"):
            subs.subscription_confirm(token=forged)
    # A confirmation link is no unsubscribe link, and the other way round (one salt per purpose).
    with pytest.raises(subs.TokenRefused, match="not valid"):
        subs.subscription_unsubscribe(token=token)
    assert _state() == before


def test_an_expired_confirmation_link_is_refused(settings, django_capture_on_commit_callbacks):
    _subscribe(django_capture_on_commit_callbacks, core_outcome_set=CoreOutcomeSetFactory())
    token = _token(_link(mail.outbox[0], "web:subscription-confirm"))
    settings.SUBSCRIPTION_CONFIRM_MAX_AGE = -1
    with pytest.raises(subs.TokenRefused, match="expired"):
        subs.subscription_confirm(token=token)
    assert not Subscription.objects.get().is_active


def test_asking_again_replaces_the_earlier_confirmation_link(django_capture_on_commit_callbacks):
    cos = CoreOutcomeSetFactory()
    _subscribe(django_capture_on_commit_callbacks, core_outcome_set=cos)
    _subscribe(django_capture_on_commit_callbacks, core_outcome_set=cos)
    first, second = (_token(_link(m, "web:subscription-confirm")) for m in mail.outbox)
    with pytest.raises(subs.TokenRefused):
        subs.subscription_confirm(token=first)
    assert subs.subscription_confirm(token=second).is_active


def test_an_address_already_subscribed_gets_no_email_and_the_request_answers_the_same(
    django_capture_on_commit_callbacks,
):
    cos = CoreOutcomeSetFactory()
    _confirmed(django_capture_on_commit_callbacks, core_outcome_set=cos)
    client = Client()
    url = reverse("web:subscribe-set", args=[cos.slug])
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(url, {"email": "reader@example.org"})
        unknown = client.post(url, {"email": "stranger@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.content.decode().replace("reader@", "X@") == unknown.content.decode().replace("stranger@", "X@")
    assert [m.to for m in mail.outbox] == [["stranger@example.org"]]


def test_one_address_gets_at_most_a_few_confirmation_emails_whoever_asks(settings, django_capture_on_commit_callbacks):
    settings.SUBSCRIBE_ADDRESS_RATE_LIMIT = "2/h"
    cos = CoreOutcomeSetFactory()
    for _ in range(4):
        _subscribe(django_capture_on_commit_callbacks, email="victim@example.org", core_outcome_set=cos)
    assert len(mail.outbox) == 2


def test_a_request_needs_exactly_one_target_and_an_address():
    cos = CoreOutcomeSetFactory()
    with pytest.raises(Exception, match="one core outcome set or one disease area"):
        subs.subscription_request(email="a@example.org")
    with pytest.raises(Exception, match="one core outcome set or one disease area"):
        subs.subscription_request(email="a@example.org", core_outcome_set=cos, disease_area=cos.disease_area)
    with pytest.raises(Exception, match="valid email"):
        subs.subscription_request(email="nobody", core_outcome_set=cos)
    assert not Subscription.objects.exists()


# --- The emails on publication and withdrawal -----------------------------------------------------------------------


def test_publishing_emails_each_subscriber_of_the_set_or_its_area_once_with_one_click_unsubscribe_headers(
    reference_data, django_capture_on_commit_callbacks
):
    version = version_with_content(publish=False)
    cos = version.core_outcome_set
    _confirmed(django_capture_on_commit_callbacks, "set@example.org", core_outcome_set=cos)
    _confirmed(django_capture_on_commit_callbacks, "area@example.org", disease_area=cos.disease_area)
    _confirmed(django_capture_on_commit_callbacks, "both@example.org", core_outcome_set=cos)
    _confirmed(django_capture_on_commit_callbacks, "both@example.org", disease_area=cos.disease_area)
    _confirmed(django_capture_on_commit_callbacks, "other@example.org", disease_area=DiseaseAreaFactory())
    _subscribe(django_capture_on_commit_callbacks, "unconfirmed@example.org", core_outcome_set=cos)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        version_publish(version=version)
    assert sorted(m.to[0] for m in mail.outbox) == ["area@example.org", "both@example.org", "set@example.org"]
    message = next(m for m in mail.outbox if m.to == ["set@example.org"])
    assert message.subject == f"Published: {cos.title}, version 1.0.0"
    assert f"/sets/{cos.slug}/v/1.0.0/" in message.body
    link = _link(message, "web:unsubscribe")
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.startswith("http") and link in message.body


def test_withdrawing_emails_the_reason(reference_data, django_capture_on_commit_callbacks):
    version = version_with_content()
    _confirmed(django_capture_on_commit_callbacks, core_outcome_set=version.core_outcome_set)
    with django_capture_on_commit_callbacks(execute=True):
        version_withdraw(version=version, reason="Outcome 2 was transcribed wrongly.")
    (message,) = mail.outbox
    assert message.subject.startswith("Withdrawn: ")
    assert "Reason: Outcome 2 was transcribed wrongly." in message.body


def test_a_publication_that_rolls_back_emails_nobody(reference_data, django_capture_on_commit_callbacks):
    version = version_with_content()
    _confirmed(django_capture_on_commit_callbacks, core_outcome_set=version.core_outcome_set)
    draft = version_draft_create(from_version=version)
    before = OutboxMessage.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                version_publish(version=draft)
                raise RuntimeError("something later in the request fails")
        except RuntimeError:
            pass
    assert mail.outbox == [] and OutboxMessage.objects.count() == before


# --- Unsubscribe ----------------------------------------------------------------------------------------------------


def _unsubscribe_link(capture) -> tuple[Subscription, str]:
    version = version_with_content()
    subscription = _confirmed(capture, core_outcome_set=version.core_outcome_set)
    draft = version_draft_create(from_version=version)
    with capture(execute=True):
        version_publish(version=draft)
    (message,) = mail.outbox
    return subscription, _link(message, "web:unsubscribe")


def test_one_click_unsubscribe_is_a_post_without_session_or_csrf_token_and_works_once(
    reference_data, django_capture_on_commit_callbacks
):
    subscription, link = _unsubscribe_link(django_capture_on_commit_callbacks)
    client = Client(enforce_csrf_checks=True)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.post(f"/{path}", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "You are unsubscribed" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
    assert AuditEvent.objects.filter(action="subscription.unsubscribe", object_id=str(subscription.pk)).exists()
    before = _state()
    replay = client.post(f"/{path}", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert replay.status_code == 400 and "already been used" in replay.content.decode()
    assert _state() == before


def test_the_unsubscribe_page_shows_a_button_and_changes_nothing_until_it_is_pressed(
    reference_data, django_capture_on_commit_callbacks
):
    subscription, link = _unsubscribe_link(django_capture_on_commit_callbacks)
    response = Client().get(link)
    assert response.status_code == 200
    assert '<form method="post"><button class="button" type="submit">Unsubscribe</button>' in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active


def test_an_unsubscribed_address_gets_no_more_emails_and_may_subscribe_again(
    reference_data, django_capture_on_commit_callbacks
):
    subscription, link = _unsubscribe_link(django_capture_on_commit_callbacks)
    subs.subscription_unsubscribe(token=_token(link))
    mail.outbox.clear()
    cos = subscription.core_outcome_set
    with django_capture_on_commit_callbacks(execute=True):
        version_publish(version=version_draft_create(from_version=cos.versions.get(status="published")))
    assert mail.outbox == []
    again = _confirmed(django_capture_on_commit_callbacks, core_outcome_set=cos)
    assert again.pk == subscription.pk and again.is_active


# --- Pages ----------------------------------------------------------------------------------------------------------


def test_the_confirmation_page_asks_before_confirming_and_a_bad_link_gets_a_clear_error_page(
    django_capture_on_commit_callbacks,
):
    area = DiseaseAreaFactory()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:subscribe-area", args=[area.slug]), {"email": "a@example.org"})
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    link = _link(mail.outbox[0], "web:subscription-confirm")
    page = client.get(link)
    assert page.status_code == 200 and "Confirm subscription" in page.content.decode()
    assert not Subscription.objects.get().is_active  # a link scanner's GET confirms nothing
    done = client.post(link)
    assert done.status_code == 200 and "Subscription confirmed" in done.content.decode()
    again = client.post(link)
    assert again.status_code == 400 and "already been used" in again.content.decode()
    forged = client.get(reverse("web:subscription-confirm", args=["forged"]))
    assert forged.status_code == 400 and "not valid" in forged.content.decode()


def test_the_subscribe_form_refuses_an_invalid_address_with_a_form_error():
    cos = CoreOutcomeSetFactory()
    response = Client().post(reverse("web:subscribe-set", args=[cos.slug]), {"email": "not-an-address"})
    assert response.status_code == 400 and "Enter a valid email address." in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_signed_in_user_finds_the_form_filled_with_their_address_and_the_subscription_linked(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(email="member@example.org")
    cos = CoreOutcomeSetFactory()
    client = Client()
    client.force_login(user)
    url = reverse("web:subscribe-set", args=[cos.slug])
    assert 'value="member@example.org"' in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "member@example.org"})
    assert Subscription.objects.get().user == user


def test_subscription_requests_are_rate_limited_per_client_address_on_the_page_and_the_api(settings):
    limit = 10  # SUBSCRIBE_RATE_LIMIT's default, 10/h
    cos = CoreOutcomeSetFactory()
    client = Client()
    url = reverse("web:subscribe-set", args=[cos.slug])
    answers = [client.post(url, {"email": f"reader{n}@example.org"}).status_code for n in range(limit)]
    assert answers == [200] * limit
    refused = client.post(url, {"email": "one.more@example.org"})
    assert refused.status_code == 429 and "Retry-After" in refused
    api = client.post(
        reverse("api:subscription-request"),
        {"email": "api@example.org", "core_outcome_set": cos.slug},
        content_type="application/json",
    )
    assert api.status_code == 429 and api.json()["error"]["code"] == "throttled"
    assert not Subscription.objects.filter(email__in=["one.more@example.org", "api@example.org"]).exists()


def test_a_publication_nobody_follows_writes_nothing_to_the_outbox(reference_data, django_capture_on_commit_callbacks):
    version = version_with_content(publish=False)
    _subscribe(django_capture_on_commit_callbacks, core_outcome_set=version.core_outcome_set)  # never confirmed
    before = OutboxMessage.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        version_publish(version=version)
    assert OutboxMessage.objects.count() == before


def test_a_request_is_audited_without_the_address(django_capture_on_commit_callbacks):
    cos = CoreOutcomeSetFactory()
    _subscribe(django_capture_on_commit_callbacks, email="private.person@example.org", core_outcome_set=cos)
    event = AuditEvent.objects.get(action="subscription.request")
    assert event.object_id == str(Subscription.objects.get().pk) and event.actor_label == "visitor"
    assert event.core_outcome_set_id == cos.pk
    assert "private.person" not in f"{event.before_text} {event.after_text} {event.actor_label}"
