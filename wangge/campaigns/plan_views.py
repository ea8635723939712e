from typing import Any

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:  # replaced as the pages are written
    raise NotImplementedError


plan_create = plan_detail = phase_create = phase_edit = phase_delete = task_create = task_edit = task_status = _todo
