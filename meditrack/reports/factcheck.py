"""The fact check: every number in a narrative must be one of the report's facts. Pure Python.

What counts as a number, and when it is supported:

* Plain numbers — ``142``, ``142.4``, ``1,250``, ``-0.42``, ``12.5%``, each side of ``142/91``, both of
  ``3 of 5``, the ``3`` of ``3rd``: supported when some fact ``f`` gives it by rounding, i.e. the number
  equals ``|f|`` rounded to as many decimals as the number is written with (``142`` and ``142.4`` both
  stand for 142.37; a sign is not checked: "fell by 0.42" quotes a trend of -0.42). ``0`` is supported
  only by a fact that is 0 (0.21 rounded to no decimals is not a fact worth stating).
* Facts are every number in the facts (JSON), and every number written inside the facts' texts
  (a normal range "90-139 mmHg", a schedule "every 8 hours", a threshold "above 180/120 mmHg").
* Dates — ``2025-02-14``, ``14 February 2025``, ``Feb 14``, ``February 14, 2025``, ``14/02/2025``,
  ``February 2025`` — are supported when they are dates of the facts (the period's first and last
  day, the days of notable readings); a month and year when a fact's date falls in it; a bare year
  when it is a year of a fact's date. Times (``08:30``) when they are times of a fact's reading.
* Not numbers: digits inside words (SpO2, B12, CO2), Markdown list markers at the start of a line.
  Numbers written as words ("three") are not checked.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

MONTHS = {name: i for i, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")], start=1) for name in names}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"
_NOT_BEFORE = r"(?<![\w.])"
_NOT_AFTER = r"(?![\d])"

DATE_PATTERNS = [
    re.compile(_NOT_BEFORE + r"(?P<year>\d{4})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})" + _NOT_AFTER),
    re.compile(_NOT_BEFORE + r"(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<year>\d{4})" + _NOT_AFTER),
    re.compile(_NOT_BEFORE + r"(?P<day>\d{1,2})" + _ORD + r"(?:\s+of)?\s+" + _MONTH + r"(?:,?\s+(?P<year>\d{4}))?\b",
               re.IGNORECASE),
    re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})" + _ORD + r"(?!\d)(?:,?\s+(?P<year>\d{4}))?\b(?![:.]\d)",
               re.IGNORECASE),
    re.compile(r"\b" + _MONTH + r",?\s+(?P<year>\d{4})\b", re.IGNORECASE),
]
TIME_PATTERN = re.compile(_NOT_BEFORE + r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::\d{2})?" + _NOT_AFTER)
LIST_MARKER = re.compile(r"^(\s*)\d+[.)](?=\s)", re.MULTILINE)
NUMBER = re.compile(_NOT_BEFORE + r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)" + _NOT_AFTER)
ISO_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})"
                          r"(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


@dataclass(frozen=True)
class Allowed:
    """What the facts support."""

    numbers: frozenset[float]
    dates: frozenset[date]
    times: frozenset[str]  # "HH:MM"

    @property
    def years(self) -> frozenset[int]:
        return frozenset(d.year for d in self.dates)


@dataclass
class CheckResult:
    numbers: list[str] = field(default_factory=list)  # every number and date found, as written
    unsupported: list[str] = field(default_factory=list)  # those no fact supports, as written
    # A summary that names no figure at all passes the check trivially: it must cite this many facts.
    required: int = 0

    @property
    def cited(self) -> int:
        return len(set(self.numbers) - set(self.unsupported))

    @property
    def grounded(self) -> bool:
        return self.cited >= self.required

    @property
    def ok(self) -> bool:
        return not self.unsupported and self.grounded

    def as_dict(self) -> dict:
        return {"numbers": self.numbers, "unsupported": self.unsupported, "cited": self.cited}


def _walk(value, numbers: set[float], texts: list[str]) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        if math.isfinite(value):
            numbers.add(abs(float(value)))
    elif isinstance(value, str):
        texts.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _walk(item, numbers, texts)
    elif isinstance(value, list | tuple):
        for item in value:
            _walk(item, numbers, texts)


def allowed_from_facts(facts: dict) -> Allowed:
    """Every number, date and time the facts hold (including those written inside their texts)."""
    numbers: set[float] = set()
    texts: list[str] = []
    _walk(facts, numbers, texts)
    dates: set[date] = set()
    times: set[str] = set()
    for text in texts:
        for match in ISO_DATETIME.finditer(text):
            year, month, day, hour, minute = match.groups()
            try:
                dates.add(date(int(year), int(month), int(day)))
            except ValueError:
                continue
            if hour is not None:
                times.add(f"{int(hour):02d}:{minute}")
        stripped = ISO_DATETIME.sub(" ", text)
        for match in NUMBER.finditer(stripped):
            numbers.add(_to_float(match.group(1)))
    return Allowed(frozenset(numbers), frozenset(dates), frozenset(times))


def _to_float(raw: str) -> float:
    return float(raw.replace(",", ""))


def _decimals(raw: str) -> int:
    return len(raw.split(".", 1)[1]) if "." in raw else 0


def number_supported(raw: str, allowed: Allowed) -> bool:
    value = _to_float(raw)
    if value == 0:
        return 0.0 in allowed.numbers
    digits = _decimals(raw)
    tolerance = 0.5 * 10**-digits + 1e-9
    if any(abs(f - value) <= tolerance for f in allowed.numbers):
        return True
    return digits == 0 and len(raw) == 4 and int(value) in allowed.years


def _date_supported(match: re.Match, allowed: Allowed) -> bool:
    groups = match.groupdict()
    year = int(groups["year"]) if groups.get("year") else None
    if groups.get("month"):
        month = MONTHS[groups["month"].lower()]
    elif groups.get("mnum"):
        month = int(groups["mnum"])
    else:
        month = None
    if groups.get("a"):  # 14/02/2025 or 02/14/2025: either reading will do
        a, b = int(groups["a"]), int(groups["b"])
        return any(d.year == year and (d.month, d.day) in {(b, a), (a, b)} for d in allowed.dates)
    day = int(groups["day"]) if groups.get("day") else None
    for d in allowed.dates:
        if d.month == month and (day is None or d.day == day) and (year is None or d.year == year):
            return True
    return False


def check(text: str, allowed: Allowed) -> CheckResult:
    """Find every number, date and time in the text (in order) and say which no fact supports."""
    found: list[tuple[int, str, bool]] = []  # (position, as written, supported)
    spans: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in spans)

    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            month = match.groupdict().get("month")
            if not free(*match.span()) or (month and not month[0].isupper()):
                continue  # "3 may need": a lower-case month name is an ordinary word
            spans.append(match.span())
            found.append((match.start(), match.group(0), _date_supported(match, allowed)))
    for match in TIME_PATTERN.finditer(text):
        if free(*match.span()):
            spans.append(match.span())
            found.append((match.start(), match.group(0),
                          f"{int(match.group('h')):02d}:{match.group('m')}" in allowed.times))
    for match in LIST_MARKER.finditer(text):
        spans.append((match.start() + len(match.group(1)), match.end()))
    for match in NUMBER.finditer(text):
        if free(*match.span(1)):
            found.append((match.start(1), match.group(1), number_supported(match.group(1), allowed)))
    found.sort()
    return CheckResult(numbers=[raw for _, raw, _ in found],
                       unsupported=list(dict.fromkeys(raw for _, raw, ok in found if not ok)))


def check_facts(text: str, facts: dict) -> CheckResult:
    return check(text, allowed_from_facts(facts))
