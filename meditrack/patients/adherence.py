"""Medication adherence: the one rule, for the patient pages and API and for reports alike. Imports nothing
from Django.

Of the scheduled intakes recorded, a dose counts as taken whether it was taken on time or late:
adherence is the doses taken over the doses scheduled; the share taken on time is given beside it.
Neither exists (None) when no dose was scheduled.
"""


def adherence_rate(*, taken: int, late: int, scheduled: int) -> float | None:
    """Doses taken, on time or late, over doses scheduled."""
    return (taken + late) / scheduled if scheduled else None


def on_time_rate(*, taken: int, scheduled: int) -> float | None:
    """Doses taken on time over doses scheduled."""
    return taken / scheduled if scheduled else None
