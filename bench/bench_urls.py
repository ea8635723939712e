"""wangge.urls plus /bench/ping/: a trivial JSON view behind the same middleware, the HTTP benchmark's ceiling."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from wangge.urls import urlpatterns as product_urlpatterns


def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/ping/", ping), *product_urlpatterns]
