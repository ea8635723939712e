from typing import Any

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:  # replaced as the pages are written
    raise NotImplementedError

responsibilities = readiness = _todo
