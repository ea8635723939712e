"""The one mapping between cases and the GeoReport v2 wire format, and its two renderings (XML and JSON).

What is never on the wire: the reporter's name, phone, e-mail and account, their own words (the
description and their "not fixed" note, as on the public page by number) and their photos; the
tracking code (the reporter's secret). Photos after handling that are marked public are linked.
"""

import datetime
import json
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases import workflow
from wangge.cases.models import Case, CaseEvent, Category, QuestionType, State
from wangge.open311.selectors import CLOSED_STATES

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-26T00:00:00+08:00"  # when this implementation last changed what it answers

DATATYPES = {
    QuestionType.TEXT: "string",
    QuestionType.NUMBER: "number",
    QuestionType.DATE: "datetime",
    QuestionType.SINGLE: "singlevaluelist",
    QuestionType.MULTIPLE: "multivaluelist",
}

# In XML a list's items need a tag: the list's own tag → its items' tag.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}

# The reporter's own words on the timeline: not shown.
REPORTER_NOTES = frozenset({"rate", "not_fixed"})


def stamp(moment: datetime.datetime | None) -> str | None:
    """ISO 8601 with the zone (+08:00 here), to the second."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def wire_status(state: str) -> str:
    """open or closed: closed and rejected cases are closed, every other state is open."""
    return "closed" if state in CLOSED_STATES else "open"


# Mapping


def discovery(request: HttpRequest, *, contact: str, key_service: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri(reverse("open311:discovery", args=["json"]).rsplit("/", 1)[0]),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": bool(category.questions.all()),
        "type": "realtime",
        "keywords": category.class_name,
        "group": category.class_name or category.get_kind_display(),
    }


def service_definition(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": question.code,
                "datatype": DATATYPES.get(question.datatype, "string"),
                "required": question.required,
                "datatype_description": question.help_text
                or (_("A date, YYYY-MM-DD") if question.datatype == QuestionType.DATE else ""),
                "order": question.order,
                "description": question.label,
                "values": [{"key": str(key), "name": str(label)} for key, label in question.choices],
            }
            for question in category.questions.all()
        ],
    }


def _media_url(request: HttpRequest, case: Case) -> str:
    photos = getattr(case, "public_photos", None)
    if not photos:
        return ""
    return request.build_absolute_uri(reverse("open311:media", args=[photos[0].pk]))


def _address(case: Case) -> str:
    # The compound's address, never the text the reporter typed (it may say who they are).
    if case.compound is None:
        return ""
    return " ".join(part for part in (case.compound.name, case.compound.address) if part)


def service_request(request: HttpRequest, case: Case) -> dict[str, Any]:
    return {
        "service_request_id": case.number,
        "status": wire_status(case.state),
        # The label straight from the choices (get_state_display rebuilds a dict of every state per call).
        "status_notes": str(State(case.state).label),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": "",
        "agency_responsible": case.department or case.area.name,
        "service_notice": "",
        "requested_datetime": stamp(case.reported_at),
        "updated_datetime": stamp(case.updated_at),
        "expected_datetime": stamp(case.deadline_at),
        "address": _address(case),
        "address_id": case.compound.code if case.compound else "",
        "zipcode": "",
        "lat": case.latitude,
        "long": case.longitude,
        "media_url": _media_url(request, case),
    }


def created(case: Case) -> dict[str, Any]:
    return {
        "service_request_id": case.number,
        "service_notice": _("Received as case %(number)s.") % {"number": case.number},
        "account_id": "",
    }


def token(case: Case) -> dict[str, Any]:
    return {"service_request_id": case.number, "token": case.number}


def _event_description(event: CaseEvent) -> str:
    transition = workflow.TRANSITIONS.get(event.action)
    label = (
        str(transition.label)
        if transition
        else {"report": _("Reported"), "not_fixed": _("Reported as not fixed")}.get(event.action, event.action)
    )
    note = "" if event.action in REPORTER_NOTES else event.note
    state = State(event.to_state).label if event.to_state in State.values else ""
    return " · ".join(part for part in (str(label), str(state), note) if part)


def request_update(event: CaseEvent) -> dict[str, Any]:
    return {
        "update_id": str(event.pk),
        "service_request_id": event.case.number,
        "status": wire_status(event.to_state or event.case.state),
        "updated_datetime": stamp(event.at),
        "description": _event_description(event),
        "media_url": "",
    }


# Rendering


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif isinstance(value, list):
        for item in value:
            element.append(_element(ITEM_TAGS[tag], item))
    else:
        element.text = _text(value)
    return element


def to_xml(root: str, value: Any) -> bytes:
    """UTF-8 XML with a declaration; a list under `root` becomes repeated items (services/service, ...)."""
    return ET.tostring(_element(root, value), encoding="utf-8", xml_declaration=True)


def to_json(value: Any) -> bytes:
    # Chinese stays as it is (no \\u escapes), so both formats carry the same text.
    return json.dumps(value, ensure_ascii=False).encode()


def respond(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """The answer in the requested format; JSON has no root element, XML names it."""
    body = to_xml(root, value) if fmt == "xml" else to_json(value)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, description: str) -> HttpResponse:
    return respond(fmt, "errors", [{"code": status, "description": description}], status=status)
