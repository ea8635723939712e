"""Placeholder until written: every page answers 404."""

from django.http import Http404


def py(request, **kwargs):
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
