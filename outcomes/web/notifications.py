"""Pages of the change notifications: subscribe to a set or a disease area, confirm, unsubscribe (one click); a
signed-in user's webhook endpoints (docs/notifications.md)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from diseases.models import DiseaseArea
from outcomes.models import CoreOutcomeSet, WebhookEndpoint
from outcomes.ratelimit import ratelimit
from outcomes.selectors import notifications as selectors
from outcomes.services import subscriptions as subs
from outcomes.services import webhooks
from outcomes.web.forms import form_add_service_errors

# --- Email subscriptions ------------------------------------------------------------------------------------------


class SubscribeForm(forms.Form):
    email = forms.EmailField(label="Your email address", max_length=254)


def _subscribe(request: HttpRequest, *, cos: CoreOutcomeSet | None, area: DiseaseArea | None) -> HttpResponse:
    target = cos.title if cos is not None else area.name
    context = {"cos": cos, "area": area, "target": target}
    if request.method != "POST":
        initial = {"email": request.user.email} if request.user.is_authenticated else {}
        return render(request, "notifications/subscribe.html", {**context, "form": SubscribeForm(initial=initial)})
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "notifications/subscribe.html", {**context, "form": form}, status=400)
    subs.subscription_request(
        email=form.cleaned_data["email"], core_outcome_set=cos, disease_area=area, by=request.user
    )
    # The same answer whether the address was subscribed already or not.
    return render(request, "notifications/subscribe_requested.html", {**context, "email": form.cleaned_data["email"]})


_subscribe_limit = ratelimit(group="subscribe", rate=settings.SUBSCRIBE_RATE_LIMIT)


@_subscribe_limit
def subscribe_set(request: HttpRequest, slug: str) -> HttpResponse:
    cos = get_object_or_404(CoreOutcomeSet.objects.select_related("disease_area"), slug=slug)
    return _subscribe(request, cos=cos, area=None)


@_subscribe_limit
def subscribe_area(request: HttpRequest, slug: str) -> HttpResponse:
    return _subscribe(request, cos=None, area=get_object_or_404(DiseaseArea, slug=slug))


def _link_refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "notifications/link_error.html", {"message": message}, status=400)


def subscription_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link confirms and a button; POST confirms. A link scanner that follows the link (GET)
    confirms nothing."""
    try:
        if request.method == "POST":
            subscription = subs.subscription_confirm(token=token)
            return render(request, "notifications/subscription_done.html", {"subscription": subscription})
        subscription = subs.subscription_from_token(token=token, purpose=subs.CONFIRM)
    except subs.TokenRefused as exc:
        return _link_refused(request, str(exc))
    return render(request, "notifications/subscription_confirm.html", {"subscription": subscription})


# RFC 8058: a mail client's one-click unsubscribe is a POST with no session and no CSRF token. The token in the URL
# is the credential (signed, single-use), so the POST needs neither.
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; POST (the button, or a mail client's one-click) unsubscribes."""
    try:
        if request.method == "POST":
            subscription = subs.subscription_unsubscribe(token=token)
            return render(request, "notifications/unsubscribed.html", {"subscription": subscription})
        subscription = subs.subscription_from_token(token=token, purpose=subs.UNSUBSCRIBE)
    except subs.TokenRefused as exc:
        return _link_refused(request, str(exc))
    return render(request, "notifications/unsubscribe.html", {"subscription": subscription})


# --- Webhooks -----------------------------------------------------------------------------------------------------


class WebhookForm(forms.Form):
    url = forms.CharField(label="Endpoint URL (https://)", max_length=500)
    description = forms.CharField(label="Description (optional)", max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label="Events", choices=[(e, e) for e in webhooks.WEBHOOK_EVENTS], widget=forms.CheckboxSelectMultiple
    )


def _endpoint_or_404(request: HttpRequest, pk: int) -> WebhookEndpoint:
    """An endpoint the user may manage; another user's is a 404, not a hint that it exists."""
    endpoint = selectors.webhook_endpoints_for(request.user).filter(pk=pk).first()
    if endpoint is None:
        raise Http404("No such webhook endpoint")
    return endpoint


def _secret_shown(request: HttpRequest, endpoint: WebhookEndpoint, secret: str, *, rotated: bool) -> HttpResponse:
    context = {"endpoint": endpoint, "secret": secret, "rotated": rotated}
    response = render(request, "notifications/webhook_secret.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    """Your endpoints, and the form to register one (its secret is shown once, on the next page)."""
    form = WebhookForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                endpoint, secret = webhooks.webhook_endpoint_create(owner=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                return _secret_shown(request, endpoint, secret, rotated=False)
        status = 400
    endpoints = selectors.webhook_endpoints_for(request.user)
    return render(request, "notifications/webhook_list.html", {"endpoints": endpoints, "form": form}, status=status)


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An endpoint: change its URL and events, see its deliveries and each attempt, replay, rotate, enable."""
    endpoint = _endpoint_or_404(request, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = WebhookForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                webhooks.webhook_endpoint_update(endpoint=endpoint, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, "The endpoint was saved.")
                return redirect("web:webhook-detail", pk=endpoint.pk)
        status = 400
        endpoint.refresh_from_db()
    context = {"endpoint": endpoint, "form": form, "deliveries": selectors.webhook_deliveries(endpoint)}
    return render(request, "notifications/webhook_detail.html", context, status=status)


@require_POST
@login_required
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    secret = webhooks.webhook_secret_rotate(endpoint=endpoint, by=request.user)
    return _secret_shown(request, endpoint, secret, rotated=True)


@require_POST
@login_required
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    try:
        webhooks.webhook_endpoint_enable(endpoint=endpoint, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The endpoint is enabled; its waiting deliveries are being sent.")
    return redirect("web:webhook-detail", pk=endpoint.pk)


@require_POST
@login_required
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    webhooks.webhook_endpoint_delete(endpoint=endpoint, by=request.user)
    messages.success(request, "The endpoint was deleted.")
    return redirect("web:webhook-list")


@require_POST
@login_required
def webhook_delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.webhook_delivery_for(request.user, pk)
    if delivery is None:
        raise Http404("No such delivery")
    try:
        webhooks.webhook_delivery_replay(delivery=delivery, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Delivery {delivery.message_id} is being sent again.")
    return redirect("web:webhook-detail", pk=delivery.endpoint_id)
