"""Guards on what a model writes. Imports nothing from Django."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError


class RepetitionGuard:
    """Spots a generation stuck in a loop: the text ends in one unit (1..max_unit characters)
    repeated until it spans at least min_span characters, and at least min_repeats times."""

    def __init__(self, *, max_unit: int = 80, min_span: int = 120, min_repeats: int = 4):
        self.max_unit = max_unit
        self.min_span = min_span
        self.min_repeats = min_repeats
        self._window = max_unit * max(min_repeats, 2) + min_span
        self._tail = ""

    def feed(self, piece: str) -> bool:
        self._tail = (self._tail + piece)[-self._window:]
        text = self._tail
        for unit in range(1, self.max_unit + 1):
            repeats = max(self.min_repeats, -(-self.min_span // unit))
            span = unit * repeats
            if span > len(text):
                break
            if text[-span:] == text[-unit:] * repeats:
                return True
        return False


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(text: str) -> Any:
    """The first JSON object or array in the text, fenced or not. Raises ValueError if none."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start, char in enumerate(candidate):
            if char in "{[":
                try:
                    value, _ = decoder.raw_decode(candidate, start)
                except json.JSONDecodeError:
                    continue
                return value
    raise ValueError("no JSON object in the answer")


def parse_structured(text: str, schema: type[BaseModel]) -> BaseModel:
    """Raises ValueError naming what is wrong (field paths, never the text itself)."""
    value = extract_json(text)
    try:
        return schema.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'root'}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"the JSON does not match the schema ({problems})") from None
