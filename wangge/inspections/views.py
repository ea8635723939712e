"""Placeholder until written: every page answers 404."""

from django.http import Http404


def py(request, **kwargs):
    raise Http404


def inspection_list(request, **kwargs):
    raise Http404


def place_choose(request, **kwargs):
    raise Http404


def inspection_create(request, **kwargs):
    raise Http404


def inspection_detail(request, **kwargs):
    raise Http404


def finding_photo(request, **kwargs):
    raise Http404


def place_history(request, **kwargs):
    raise Http404


def checklist_list(request, **kwargs):
    raise Http404


def checklist_create(request, **kwargs):
    raise Http404


def checklist_detail(request, **kwargs):
    raise Http404


def checklist_update(request, **kwargs):
    raise Http404


def item_create(request, **kwargs):
    raise Http404


def item_update(request, **kwargs):
    raise Http404


def item_delete(request, **kwargs):
    raise Http404


def checklist_new_version(request, **kwargs):
    raise Http404


def checklist_publish(request, **kwargs):
    raise Http404


def checklist_retire(request, **kwargs):
    raise Http404


def checklist_export(request, **kwargs):
    raise Http404


def grid_report(request, **kwargs):
    raise Http404


def overdue(request, **kwargs):
    raise Http404


def relapses(request, **kwargs):
    raise Http404


def rankings(request, **kwargs):
    raise Http404


def visit_map(request, **kwargs):
    raise Http404


def visit_map_data(request, **kwargs):
    raise Http404


def settings_page(request, **kwargs):
    raise Http404


def public_ranking(request, **kwargs):
    raise Http404
