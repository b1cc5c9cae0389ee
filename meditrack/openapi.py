"""What the OpenAPI schema says beyond what drf-spectacular finds in the views: the one error shape (see
meditrack.errors), as every operation's 4xx answer."""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "detail"],
        "properties": {
            "code": {"type": "string"},
            "detail": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        },
    }},
}
# A client reading an event stream is told of a refusal by one `error` event, whose data is the error's JSON.
STREAMED = "text/event-stream"
ERROR_EVENT_SCHEMA = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {"event": {"type": "string", "enum": ["error"]},
                   "data": {"type": "string", "description": "JSON: {code, detail, fields?}"}},
}


def error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents its 4xx answers, in the one error shape."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(Error=ERROR_SCHEMA,
                                                                         ErrorEvent=ERROR_EVENT_SCHEMA)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            answers = operation["responses"]
            content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            if any(STREAMED in answer.get("content", {}) for answer in answers.values()):
                content[STREAMED] = {"schema": {"$ref": "#/components/schemas/ErrorEvent"}}
            answers.setdefault("4XX", {"description": "Refused: {error: {code, detail, fields?}}", "content": content})
    return result
