from typing import Any

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:  # replaced as the pages are written
    raise NotImplementedError


indicator_tree = indicator_create = indicator_detail = indicator_edit = (
    indicator_delete
) = assignment_save = assignment_delete = assignment_score = _todo
