"""The in-app inbox: a user's own notifications, marking them read, and the navbar's unread count."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from wangge.core.htmx import wants_partial
from wangge.core.models import Notification, NotificationChannel
from wangge.core.notifications import unread_count

PAGE_SIZE = 20


def _inbox(user: object) -> QuerySet[Notification]:
    """The user's own in-app notifications, newest first: nobody reads another's inbox, whatever their role."""
    return Notification.objects.filter(recipient=user, channel=NotificationChannel.IN_APP).order_by(
        "-created_at", "-id"
    )


def _render_inbox(request: HttpRequest, page_number: str | None) -> HttpResponse:
    page = Paginator(_inbox(request.user), PAGE_SIZE).get_page(page_number)
    partial = wants_partial(request)
    template = "core/partials/notification_rows.html" if partial else "core/notification_list.html"
    context = {"page_obj": page, "unread": unread_count(request.user), "query": ""}
    return render(request, template, context)


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's notifications, newest first, unread ones highlighted; the rows alone for htmx."""
    return _render_inbox(request, request.GET.get("page"))


@login_required
@require_POST
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all (`all`) of the user's own as read; someone else's is 404."""
    # Reading one's own inbox is not a change to the community's records, so it is not audited.
    now = timezone.now()
    if request.POST.get("all"):
        _inbox(request.user).filter(read_at=None).update(read_at=now)
    else:
        pk = request.POST.get("id", "")
        if not (pk.isascii() and pk.isdigit()):
            raise Http404
        _inbox(request.user).filter(pk=int(pk), read_at=None).update(read_at=now)
        get_object_or_404(_inbox(request.user), pk=int(pk))
    if request.htmx:
        response = _render_inbox(request, request.POST.get("page"))
        # Lets the navbar badge refresh itself (hx-trigger="notifications-read from:body").
        response["HX-Trigger"] = "notifications-read"
        return response
    return redirect("notifications:list")


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's notifications read and go where it points (only within this site)."""
    notification = get_object_or_404(_inbox(request.user), pk=pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    link = notification.link
    if link and url_has_allowed_host_and_scheme(
        link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(link)
    return redirect("notifications:list")


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """Context processor: `unread_notifications`, the user's unread count, counted only if a template shows it."""
    user = getattr(request, "user", None)
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
