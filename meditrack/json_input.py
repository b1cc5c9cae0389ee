"""JSON read from the outside, where nesting deep enough to exhaust the interpreter's stack is just
bad input: the API's parser, the FHIR import and the chat socket all read through ``loads``."""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def loads(text: str | bytes):
    """``json.loads`` whose too-deep documents raise ValueError, like every other malformed one."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply.") from None


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
