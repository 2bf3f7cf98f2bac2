"""The bench's URLconf: the project's URLs plus a *floor* page, for bench runs only.

bench/issues_bench.py sets ROOT_URLCONF to this module in its own process; no
settings module of the project names it, so the floor page never exists in
production. The floor is what any signed-in page costs at least: the session,
the user, one indexed `SELECT … LIMIT 25` and a tiny template. The log's pages
are measured against it in the same run.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from issues.models import HotIssue

TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>floor</title><ul>{% for pk, title in rows %}<li>{{ pk }} {{ title }}</li>{% endfor %}</ul>"
)


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    rows = list(HotIssue.objects.order_by("-pk").values_list("pk", "title")[:25])
    return HttpResponse(TEMPLATE.render({"rows": rows}, request))


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *project_urlpatterns]
