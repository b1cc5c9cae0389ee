"""Ranges of days as a person means them, and the limits every range keeps. Imports nothing from Django.

"From 1 to 7 March" is both days whole, in the user's own time zone: every instant from the start of
1 March there through the end of 7 March there. ``bounds`` turns a range into those two instants,
both included (a query filters ``>= start`` and ``<= end``); a datetime given as a bound is an instant
and stays one.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

EARLIEST_DATE = date(1900, 1, 1)  # nothing a person records of their health is dated before this
MAX_YEARS = 5  # the longest range a query or a report may cover


class RangeError(ValueError):
    """A range that breaks a rule. ``bound`` is the side at fault: "from", or "range" for its length."""

    def __init__(self, detail: str, *, bound: str, code: str, field_message: str):
        super().__init__(detail)
        self.detail = detail
        self.bound = bound
        self.code = code
        self.field_message = field_message


def _instant(value: date | datetime, tz: tzinfo, day_time: time) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    return datetime.combine(value, day_time, tzinfo=tz)


def bounds(first: date | datetime | None, last: date | datetime | None, *,
           tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """The first and the last instant of the range, both included; None leaves that side open. A date
    stands for its whole day in ``tz``; a datetime for itself (a naive one is read in ``tz``)."""
    return (None if first is None else _instant(first, tz, time.min),
            None if last is None else _instant(last, tz, time.max))


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (28 February for 29 February); the first day there is before year 1."""
    if day.year - years < date.min.year:
        return date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def check(start: datetime, end: datetime, *, end_name: str = "to") -> None:
    """RangeError unless the range starts on or before its end and its first day is no more than MAX_YEARS
    before its last (from 7 March 2020 to 7 March 2025 is allowed). ``end_name`` is how the caller's
    input names the end, for the message."""
    if start > end:
        raise RangeError("The range must start on or before its end.", bound="from", code="invalid_range",
                         field_message=f"Must be on or before {end_name}.")
    if start.date() < years_before(end.date(), MAX_YEARS):
        raise RangeError(f"The range may span at most {MAX_YEARS} years.", bound="range", code="range_too_long",
                         field_message=f"At most {MAX_YEARS} years.")
