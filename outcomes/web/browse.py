"""Public pages that cut across sets: condition, search, COMET domain, instrument and compare."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.translation import get_language

from diseases.selectors import condition_list
from outcomes.models import CoreArea, Instrument, OutcomeDomain
from outcomes.search.generation import remembered_answer
from outcomes.search.query import search_query
from outcomes.selectors import public as selectors
from outcomes.selectors import search as search_selectors
from outcomes.web.forms import PICKER_CHOICES, CompareForm, SearchForm, search_form_with_counts


def condition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    condition = get_object_or_404(condition_list().prefetch_related("children"), slug=slug)
    page = selectors.set_page(selectors.condition_sets(condition), request.GET.get("page"))
    context = {"condition": condition, "page_obj": page, "sets": page.object_list}
    return render(request, "public/condition.html", context)


def search(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    # The results are the same for everyone asking the same in the same language (personal parts of the page, the
    # header, are outside them): rendered once per search generation.
    parts = (request.GET.urlencode(), get_language())
    content = remembered_answer("page", parts, lambda: _search_content(request))
    return render(request, "public/search.html", {"content": content, "query": text.strip()})


def _search_content(request: HttpRequest) -> str:
    """The search page's results, facets and form, rendered."""
    form = SearchForm(request.GET or None)
    if form.is_bound:
        form.is_valid()  # invalid facets are shown as errors and left out; the valid ones still apply
    filters = form.filters()
    text = filters.pop("q", "")
    query = search_query(text) if text else None
    sets = search_selectors.set_search(query=query, **filters)
    count, facets = search_selectors.search_facets(sets, query)
    page = selectors.set_page(
        sets, request.GET.get("page"), rows=lambda rows: search_selectors.search_results(rows, query), count=count
    )
    # Instruments and outcomes that match are results in their own right, listed above the sets on the first page
    # (the outcomes among the page's sets, the best ranked).
    best = [result.cos for result in page.object_list]
    hits = search_selectors.search_kind_hits(best, query) if query and page.number == 1 else None
    active = len(filters)
    context = {
        "form": search_form_with_counts(form, facets),
        "page_obj": page,
        "results": page.object_list,
        "query": text,
        "showing_results_for": query.showing_results_for if query else None,
        # The words typed that were corrected, quoted: “hart”, “failur”.
        "misspelt": ", ".join(f"“{typed}”" for typed in query.corrections) if query else "",
        "not_found": ", ".join(f"“{typed}”" for typed in query.not_found) if query else "",
        "more_than_listed": bool(query and query.more_than_listed),
        "hits": hits,
        "active_filters": active,
        # The filters fold away after a plain text search, so that on a phone the results come first.
        "filters_open": bool(active or not text or form.errors),
    }
    return render_to_string("public/_search_content.html", context, request=request)


def domain_list(request: HttpRequest) -> HttpResponse:
    uses = selectors.domain_index()
    areas = [(label, [use for use in uses if use.domain.core_area == value]) for value, label in CoreArea.choices]
    return render(request, "public/domain_list.html", {"areas": areas})


def domain_detail(request: HttpRequest, number: int) -> HttpResponse:
    domain = get_object_or_404(OutcomeDomain, number=number)
    sets = selectors.domain_sets(domain)
    page = selectors.set_page(
        sets,
        request.GET.get("page"),
        rows=lambda rows: selectors.domain_entries(rows, domain),
        count=selectors.cached_count(sets),
    )
    return render(request, "public/domain.html", {"domain": domain, "page_obj": page, "entries": page.object_list})


def instrument_list(request: HttpRequest) -> HttpResponse:
    return render(request, "public/instrument_list.html", {"uses": selectors.instrument_index()})


def instrument_detail(request: HttpRequest, acronym: str) -> HttpResponse:
    instrument = Instrument.objects.filter(acronym=acronym).first() or get_object_or_404(
        Instrument, acronym__iexact=acronym
    )
    sets = selectors.instrument_sets(instrument)
    page = selectors.set_page(
        sets,
        request.GET.get("page"),
        rows=lambda rows: selectors.instrument_entries(rows, instrument),
        count=selectors.cached_count(sets),
    )
    context = {"instrument": instrument, "page_obj": page, "entries": page.object_list}
    return render(request, "public/instrument.html", context)


def compare(request: HttpRequest) -> HttpResponse:
    # Nothing asked yet: an empty form. Anything asked: validate and say what is wrong.
    asked = any(name in request.GET for name in ("a", "b", "a_q", "b_q"))
    form = CompareForm(request.GET if asked else None)
    comparison = None
    status = 200
    if asked:
        if form.is_valid():
            comparison = selectors.set_compare(a=form.cleaned_data["a"], b=form.cleaned_data["b"])
        else:
            status = 400
    pickers = [_picker(form, "a"), _picker(form, "b")]
    context = {"form": form, "comparison": comparison, "pickers": pickers}
    return render(request, "public/compare.html", context, status=status)


def _picker(form: CompareForm, side: str) -> dict:
    """What the template needs for one side: the text field shows the picked set's title, else what was typed."""
    picked = form.cleaned_data.get(side) if hasattr(form, "cleaned_data") else None
    typed = form[f"{side}_q"].value() or ""
    return {
        "side": side,
        "label": form.fields[f"{side}_q"].label,
        "text": picked.title if picked else typed,
        "slug": picked.slug if picked else "",
        "errors": form.errors.get(side, []),
        "candidates": form.candidates[side],
    }


def set_suggestions(request: HttpRequest) -> JsonResponse:
    """The compare pickers' search-as-you-type: the best few public sets for what is typed so far, as JSON."""
    typed = request.GET.get("q", "")[:200]
    query = search_query(typed, prefix=True)
    found = search_selectors.set_suggestions(query, limit=PICKER_CHOICES) if not query.is_empty else []
    results = [{"slug": cos.slug, "title": cos.title, "area": cos.disease_area.name} for cos in found]
    return JsonResponse({"results": results})
