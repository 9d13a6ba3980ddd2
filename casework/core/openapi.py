"""drf-spectacular post-processing: document the error responses every operation can give,
so clients (and the schema fuzzer) know them."""

from __future__ import annotations

DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}},
          "required": ["detail"]}
FIELD_ERRORS = {
    "type": "object",
    "description": "Field name (or `detail` / `non_field_errors`) → messages",
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {}}, {"type": "string"}, {"type": "object"}],
    },
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def _response(description: str, schema_ref: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorDetail"] = DETAIL
    schemas["FieldErrors"] = FIELD_ERRORS
    detail = "#/components/schemas/ErrorDetail"
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", _response("Bad input: messages per field",
                                                  "#/components/schemas/FieldErrors"))
            responses.setdefault("401", _response("Not authenticated", detail))
            responses.setdefault("403", _response("Visible but not permitted", detail))
            responses.setdefault("404", _response("Not found, or in a room you may not open",
                                                  detail))
            if method in WRITE_METHODS:
                responses.setdefault("409", _response("Illegal in the current state", detail))
                responses.setdefault("415", _response("Unsupported media type", detail))
            if path.startswith("/api/auth/token/"):
                responses.setdefault("429", _response("Too many failed log-ins", detail))
    return result
