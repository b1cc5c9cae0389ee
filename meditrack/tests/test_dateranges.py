"""The one rule for ranges of days: both days whole, in the user's time zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from meditrack import dateranges

NEW_YORK = ZoneInfo("America/New_York")


def test_a_range_of_dates_covers_both_days_whole_in_the_users_time_zone():
    start, end = dateranges.bounds(date(2024, 3, 1), date(2024, 3, 7), tz=NEW_YORK)
    late_on_the_last_day = datetime(2024, 3, 7, 23, 30, tzinfo=NEW_YORK)
    assert start <= datetime(2024, 3, 1, 0, 0, tzinfo=NEW_YORK) <= end
    assert start <= late_on_the_last_day <= end
    assert late_on_the_last_day.astimezone(UTC).date() == date(2024, 3, 8)  # another day in UTC
    assert not datetime(2024, 3, 8, 0, 0, tzinfo=NEW_YORK) <= end
    assert not start <= datetime(2024, 2, 29, 23, 59, tzinfo=NEW_YORK)


def test_a_datetime_bound_is_that_instant_and_a_naive_one_is_read_in_the_users_zone():
    instant = datetime(2024, 3, 7, 12, 0, tzinfo=UTC)
    assert dateranges.bounds(None, instant, tz=NEW_YORK) == (None, instant)
    start, _ = dateranges.bounds(datetime(2024, 3, 7, 9, 0), None, tz=NEW_YORK)
    assert start == datetime(2024, 3, 7, 9, 0, tzinfo=NEW_YORK)


def test_it_allows_a_range_of_at_most_five_years_of_days():
    dateranges.check(*dateranges.bounds(date(2020, 3, 7), date(2025, 3, 7), tz=UTC))
    with pytest.raises(dateranges.RangeError) as caught:
        dateranges.check(*dateranges.bounds(date(2020, 3, 6), date(2025, 3, 7), tz=UTC))
    assert (caught.value.bound, caught.value.code) == ("range", "range_too_long")


def test_it_refuses_a_range_that_ends_before_it_starts_naming_the_end():
    with pytest.raises(dateranges.RangeError) as caught:
        dateranges.check(*dateranges.bounds(date(2024, 5, 2), date(2024, 5, 1), tz=UTC), end_name="date_range.to")
    assert (caught.value.bound, caught.value.code) == ("from", "invalid_range")
    assert caught.value.field_message == "Must be on or before date_range.to."
    dateranges.check(*dateranges.bounds(date(2024, 5, 1), date(2024, 5, 1), tz=UTC))


def test_it_counts_years_back_from_the_first_years_without_failing():
    assert dateranges.years_before(date(3, 1, 1), 5) == date.min
    assert dateranges.years_before(date(2024, 2, 29), 5) == date(2019, 2, 28)
