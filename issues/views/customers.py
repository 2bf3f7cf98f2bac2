"""Customers: a program's customer list, one customer's page with every issue on one timeline, merging two."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from advocacy.permissions import can_manage, program_for_user

from .. import selectors, services
from ..forms import CustomerMergeForm, CustomerSearchForm
from ..models import Customer

MERGED = "Merged “%(merged)s” into this customer: %(issues)d issue(s) moved."
MERGED_AWAY = "This record was merged into %(name)s; here is that customer."


@login_required
def customer_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The program's customers by name, searchable, a page at a time."""
    program, _ = program_for_user(user=request.user, slug=slug)
    form = CustomerSearchForm(request.GET or None)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    paginator = Paginator(selectors.customers_of(program=program, text=text), selectors.CUSTOMERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    counts = selectors.issue_counts_of(customer_ids=[c.pk for c in page.object_list])
    rows = [(customer, counts.get(customer.pk, {})) for customer in page.object_list]
    params = request.GET.copy()
    params.pop("page", None)
    context = {"program": program, "form": form, "page": page, "rows": rows, "text": text, "query": params.urlencode()}
    return render(request, "issues/customer_list.html", context)


def _merged_away(request, customer: Customer):
    messages.info(request, MERGED_AWAY % {"name": customer.merged_into})
    return redirect(customer.merged_into)


@login_required
def customer_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One customer: who they are, their flags, and every issue's events on one timeline, newest first."""
    program, membership = program_for_user(user=request.user, slug=slug)
    customer, summary = selectors.customer_page(program=program, pk=pk)
    if customer.merged_into_id is not None:
        return _merged_away(request, customer)
    customer.program = program
    page = selectors.customer_timeline(customer=customer, page=request.GET.get("page"), count=summary["events"])
    context = {
        "program": program,
        "customer": customer,
        "summary": summary,
        "open_issues": selectors.customer_open_issues(customer=customer) if summary["open"] else [],
        "merges": selectors.customer_merges(customer=customer) if summary["has_merges"] else [],
        "page": page,
        "can_merge": can_manage(user=request.user, membership=membership),
    }
    return render(request, "issues/customer_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_merge(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Merge a duplicate record into this customer: choose it, see what will move, confirm."""
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    kept = selectors.customer_of(program=program, pk=pk)
    if kept.merged_into_id is not None:
        return _merged_away(request, kept)
    kept.program = program
    data = request.POST if request.method == "POST" else (request.GET if "duplicate" in request.GET else None)
    form = CustomerMergeForm(data)
    merged = preview = None
    if data is not None and form.is_valid():
        merged = Customer.objects.filter(program=program, pk=form.cleaned_data["duplicate"]).first()
        error = services.merge_error(kept=kept, merged=merged) if merged is not None else None
        if merged is None:
            form.add_error("duplicate", services.MERGE_NOT_FOUND)
        elif error is not None:
            form.add_error("duplicate", error)
        elif request.method == "POST" and form.cleaned_data["confirm"]:
            try:
                record = services.merge_customers(kept=kept, merged=merged, actor=request.user)
            except ValidationError as failure:  # merged by someone else meanwhile
                form.add_error("duplicate", failure.messages)
            else:
                messages.success(request, MERGED % {"merged": record.merged_label, "issues": record.issues_moved})
                return redirect(kept)
        if form.errors:
            merged = None
        else:
            preview = selectors.merge_preview(kept=kept, merged=merged)
    status = 400 if request.method == "POST" and form.errors else 200
    context = {
        "program": program,
        "customer": kept,
        "form": form,
        "merged": merged,
        "preview": preview,
        "candidates": [] if merged else selectors.merge_candidates(customer=kept),
    }
    return render(request, "issues/customer_merge.html", context, status=status)
