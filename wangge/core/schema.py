"""The API schema's generator (a REST setting; kept apart from rest.py, which DRF imports while drf-spectacular is
still importing DRF)."""

from drf_spectacular import openapi
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

# The body of every error but a 400: one message.
ERROR_DETAIL = inline_serializer("ErrorDetail", fields={"detail": serializers.CharField()})


# The 400 body: messages by field name (non_field_errors for the whole input), as `exception_handler` answers.
FIELD_ERRORS = {"type": "object", "additionalProperties": {}}
# Query parameters whose bad values are ignored or answered 404 (pagination), never 400.
LENIENT_QUERY = {"page", "page_size", "search", "ordering"}


class AutoSchema(openapi.AutoSchema):
    """The schema names the errors every operation can answer with, where a view does not document them itself:
    401 and 403 (the default permissions: signed in, with an office role), 404 for an operation on one object (not
    found or out of scope) or a page past the end, and 400 for a write or a filter with a bad value."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        detail = {"$ref": self.resolve_serializer(ERROR_DETAIL, "response").ref["$ref"]}
        parameters = operation.get("parameters", [])
        query = {parameter["name"] for parameter in parameters if parameter.get("in") == "query"}
        errors: dict[str, tuple[str, dict]] = {
            "401": ("Not signed in, or a bad API key.", detail),
            "403": ("The caller's role does not allow this.", detail),
        }
        if any(parameter.get("in") == "path" for parameter in parameters) or "page" in query:
            errors["404"] = ("No such record in the caller's areas, or no such page.", detail)
        if self.method in {"POST", "PUT", "PATCH"} or query - LENIENT_QUERY:
            errors["400"] = ("Bad input: messages by field name.", FIELD_ERRORS)
        for code, (description, schema) in errors.items():
            body = {"content": {"application/json": {"schema": schema}}, "description": description}
            responses.setdefault(code, body)
        return operation
