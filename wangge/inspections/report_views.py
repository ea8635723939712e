"""Placeholder until written: every page answers 404."""

from django.http import Http404


def py(request, **kwargs):
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
