"""The error answers of the OpenAPI schema: every operation states the 4xx it can give, with their body.
(And an optional query parameter with a fixed set of values may also be sent empty, meaning "not given".)

drf-spectacular documents only the success answer unless a view says more. The portal's answers follow from
DRF's machinery, so they are declared here once, from what each operation takes (parameters, a body, a login):

- 400 a parameter or body field is invalid: `{"<field>": ["<reason>", …]}` (`non_field_errors` when no one
  field is at fault, `detail` when the body cannot be parsed);
- 401 no or a bad token — any operation that reads one, since a wrong token is refused even on public ones;
- 403 signed in, but not allowed to (or a session call without its CSRF token);
- 404 the record does not exist or is outside the caller's scope (alike, by design), or the page is past the end;
- 429 as the throttled operations declare it themselves.
"""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Each invalid field (or `non_field_errors`, or `detail`) with the reasons it was refused.",
    "additionalProperties": {
        "anyOf": [{"type": "string"}, {"type": "array", "items": {}}, {"type": "object"}],
    },
}
UNSAFE_METHODS = {"post", "put", "patch", "delete"}
HTTP_METHODS = UNSAFE_METHODS | {"get", "head", "options"}


def _ref(name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _error_codes(path: str, method: str, operation: dict) -> dict[str, str]:
    query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    security = operation.get("security", [{}])
    login_optional = {} in security
    codes = {}
    if any(security):  # a token or a session is read (the public complaint endpoints read none)
        codes["401"] = "Not signed in, or the token is not valid."
    if query or "requestBody" in operation:
        codes["400"] = "A parameter or field is invalid; the answer names it."
    if not login_optional or method in UNSAFE_METHODS:
        codes["403"] = "The caller may not do this."
    if "{" in path or "page" in query:
        codes["404"] = "No such record within the caller's scope (or no such page)."
    return codes


def _allow_empty_choices(operation: dict) -> None:
    # An optional query parameter sent empty (`?status=`, as an HTML filter form sends "all") means "not given"
    # to django-filter and to `action`: the enum says so.
    for parameter in operation.get("parameters", []):
        enum = parameter.get("schema", {}).get("enum")
        if parameter.get("in") == "query" and not parameter.get("required") and enum and "" not in enum:
            parameter["schema"]["enum"] = [*enum, ""]


def declare_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    schemas.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            _allow_empty_choices(operation)
            responses = operation.setdefault("responses", {})
            for code, description in _error_codes(path, method, operation).items():
                body = "ValidationError" if code == "400" else "Error"
                responses.setdefault(code, {"description": description, "content": _ref(body)})
    return result
