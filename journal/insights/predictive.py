"""The predictive insight: risks of the last fortnight and a forecast (see predictive()).

Every trend is fitted to daily means, so a day with many entries does not outweigh a day with one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, tzinfo

import numpy as np

from journal.insights.crisis import crisis_language
from journal.insights.entries import EntryFacts, EntryTable, entry_table, id_list, iso_date
from journal.insights.phrases import SLEEP, STRESS, normalise
from journal.insights.statistics import daily_means, fit_line, rounded, t_critical

RECENT_DAYS = 14
# Below five daily points a slope's standard error rests on two or three residual degrees of freedom: too few.
MIN_TREND_DAYS = 5
TREND_P_VALUE = 0.05
# A significant slope that moves less than this over the fortnight is not worth a user's attention.
MIN_TREND_CHANGE = 0.15
MIN_VOLATILITY_DAYS = 5
VOLATILITY_P_VALUE = 0.05
MIN_VOLATILITY_RATIO = 1.5
MIN_VOLATILITY_STD = 0.15
# Complaints on three different days of a fortnight are a pattern; three entries about one bad night are not.
MIN_COMPLAINT_DAYS = 3
# Crisis language is always reported, but only while it is recent enough to be about now.
CRISIS_WINDOW_DAYS = 30
FORECAST_DAYS = 7
FORECAST_HISTORY_DAYS = 28
MIN_FORECAST_DAYS = 5
FORECAST_LEVEL = 0.95


def predictive(entries: Sequence[EntryFacts], *, tz: tzinfo, today: date) -> dict:
    """Risk factors of the last fortnight (falling sentiment, rising volatility, repeated sleep or stress complaints,
    crisis language) and a 7-day forecast. Each check says whether it was flagged, clear, or could not be assessed;
    `insufficient_data` is true when neither the trend nor the forecast could be computed."""
    table = entry_table(entries, tz)
    end = today.toordinal()
    recent = (table.day > end - RECENT_DAYS) & (table.day <= end)
    factors: list[dict] = []
    checks: dict[str, str] = {}

    trend, factor = _negative_trend(table, end)
    checks["negative_trend"] = _status(trend is not None, factor)
    factors += [factor] if factor else []
    volatility, factor = _volatility(table, end)
    checks["rising_volatility"] = _status(volatility is not None, factor)
    factors += [factor] if factor else []
    for code, title, pattern in (("sleep_complaints", "Repeated trouble sleeping", SLEEP),
                                 ("stress_complaints", "Repeated stress", STRESS)):
        factor = _complaints(table, recent, code, title, pattern)
        checks[code] = _status(bool(recent.any()), factor)
        factors += [factor] if factor else []
    crisis_window = (table.day > end - CRISIS_WINDOW_DAYS) & (table.day <= end)
    factor = _crisis(table, crisis_window)
    checks["crisis_language"] = _status(bool(crisis_window.any()), factor)
    factors += [factor] if factor else []
    forecast = _forecast(table, end)

    order = {"high": 0, "medium": 1, "low": 2}
    factors.sort(key=lambda f: (order[f["severity"]], f["code"]))
    return {
        "kind": "predictive",
        "as_of": today.isoformat(),
        "timezone": str(tz),
        "window_days": RECENT_DAYS,
        "insufficient_data": trend is None and forecast["insufficient_data"],
        "risk_factors": factors,
        "checks": checks,
        "trend": trend,
        "volatility": volatility,
        "forecast": forecast,
    }


def _status(assessed: bool, factor: dict | None) -> str:
    return "flagged" if factor else "clear" if assessed else "insufficient_data"


def _window(end: int, days: int) -> dict:
    return {"from": iso_date(end - days + 1), "to": iso_date(end)}


def _negative_trend(table: EntryTable, end: int) -> tuple[dict | None, dict | None]:
    """The least-squares slope of the daily mean score over the last RECENT_DAYS days, with its standard error,
    95% interval and one-sided p-value for a fall; a risk when the fall is significant and large enough."""
    in_window = (table.day > end - RECENT_DAYS) & (table.day <= end)
    days, means, _ = daily_means(table.day[in_window], table.score[in_window])
    if len(days) < MIN_TREND_DAYS:
        return None, None
    fit = fit_line((days - end).astype(np.float64), means)
    if fit is None:
        return None, None
    from scipy import stats

    half = t_critical(0.95, fit.df) * fit.std_error
    p_falling = float(stats.t.cdf(fit.t, fit.df))  # one-sided: P(T <= t)
    change = fit.slope * (RECENT_DAYS - 1)
    trend = {
        "window": _window(end, RECENT_DAYS),
        "days": fit.n,
        "slope_per_day": rounded(fit.slope, 5),
        "std_error": rounded(fit.std_error, 5),
        "ci95": [rounded(fit.slope - half, 5), rounded(fit.slope + half, 5)],
        "t": rounded(fit.t, 3) if math.isfinite(fit.t) else None,
        "df": fit.df,
        "p_value_falling": rounded(p_falling, 5),
        "change_over_window": rounded(change),
        "level_today": rounded(float(fit.predict(np.array([0.0]))[0])),
    }
    if not (fit.slope < 0 and p_falling < TREND_P_VALUE and change <= -MIN_TREND_CHANGE):
        return trend, None
    severity = "high" if change <= -0.6 and p_falling < 0.01 else "medium" if change <= -0.3 else "low"
    evidence = dict(trend, entry_ids=id_list(table.ids[in_window & ~np.isnan(table.score)]))
    return trend, {"code": "negative_trend", "title": "Entries have been getting more negative",
                   "severity": severity, "evidence": evidence}


def _volatility(table: EntryTable, end: int) -> tuple[dict | None, dict | None]:
    """Swings of the daily mean score in the last RECENT_DAYS days against the RECENT_DAYS before: the residual
    standard deviations around each window's own least-squares line (so a steady fall, already a trend, is not
    also called volatile), compared by an F-test."""
    from scipy import stats

    fits = []
    for offset in (0, RECENT_DAYS):
        stop = end - offset
        in_window = (table.day > stop - RECENT_DAYS) & (table.day <= stop)
        days, means, _ = daily_means(table.day[in_window], table.score[in_window])
        fit = fit_line((days - stop).astype(np.float64), means) if len(days) >= MIN_VOLATILITY_DAYS else None
        if fit is None:
            return None, None
        fits.append((fit, in_window))
    (recent, recent_rows), (previous, _) = fits
    if previous.residual_std > 0:
        ratio = recent.residual_std / previous.residual_std
        p_value = float(stats.f.sf(ratio ** 2, recent.df, previous.df))
    else:
        ratio, p_value = (math.inf, 0.0) if recent.residual_std > 0 else (1.0, 1.0)
    volatility = {
        "recent_window": _window(end, RECENT_DAYS),
        "previous_window": _window(end - RECENT_DAYS, RECENT_DAYS),
        "recent_std": rounded(recent.residual_std),
        "previous_std": rounded(previous.residual_std),
        "ratio": rounded(ratio, 3),
        "p_value": rounded(p_value, 5),
        "recent_days": recent.n,
        "previous_days": previous.n,
    }
    if not (ratio >= MIN_VOLATILITY_RATIO and p_value < VOLATILITY_P_VALUE
            and recent.residual_std >= MIN_VOLATILITY_STD):
        return volatility, None
    severity = "medium" if ratio >= 2.5 and recent.residual_std >= 0.3 else "low"
    evidence = dict(volatility, entry_ids=id_list(table.ids[recent_rows & ~np.isnan(table.score)]))
    return volatility, {"code": "rising_volatility", "title": "Mood swings have grown", "severity": severity,
                        "evidence": evidence}


def _complaints(table: EntryTable, window: np.ndarray, code: str, title: str, pattern: re.Pattern[str]) -> dict | None:
    rows = [i for i in np.flatnonzero(window) if pattern.search(normalise(table.entries[i].text))]
    days = len(set(table.day[rows].tolist()))
    if days < MIN_COMPLAINT_DAYS:
        return None
    severity = "high" if days >= 8 else "medium" if days >= 5 else "low"
    return {"code": code, "title": title, "severity": severity,
            "evidence": {"window_days": RECENT_DAYS, "entries": len(rows), "days": days,
                         "entry_ids": id_list(table.ids[rows])}}


def _crisis(table: EntryTable, window: np.ndarray) -> dict | None:
    categories: dict[str, list[int]] = {}
    rows = []
    for i in np.flatnonzero(window):
        found = crisis_language(table.entries[i].text)
        for category in found:
            categories.setdefault(category, []).append(int(table.ids[i]))
        if found:
            rows.append(i)
    if not rows:
        return None
    return {"code": "crisis_language", "title": "Words about self-harm or not wanting to live", "severity": "high",
            "evidence": {"window_days": CRISIS_WINDOW_DAYS, "entries": len(rows), "entry_ids": id_list(table.ids[rows]),
                         "categories": categories, "last_date": iso_date(table.day[rows[-1]])}}


def _forecast(table: EntryTable, end: int) -> dict:
    """Daily values for the next FORECAST_DAYS days: the least-squares line through the daily means of the last
    FORECAST_HISTORY_DAYS days, with its 95% prediction interval (it widens with the horizon), clipped to the scale.
    Self-rated mood (1..10) when enough days have one, else the sentiment score (-1..1)."""
    in_window = (table.day > end - FORECAST_HISTORY_DAYS) & (table.day <= end)
    series = {name: daily_means(table.day[in_window], values[in_window])
              for name, values in (("mood", table.mood), ("sentiment", table.score))}
    mood_days, sentiment_days = len(series["mood"][0]), len(series["sentiment"][0])
    # Self-rated mood is what the user means by mood: it wins whenever there is enough of it to fit.
    if mood_days >= MIN_FORECAST_DAYS or (sentiment_days < MIN_FORECAST_DAYS and mood_days > 0):
        scale, bounds = "mood", (1.0, 10.0)
    else:
        scale, bounds = "sentiment", (-1.0, 1.0)
    days, means, _ = series[scale]
    result: dict = {"scale": scale, "range": list(bounds), "method": "linear_trend", "interval": FORECAST_LEVEL,
                    "history_days": FORECAST_HISTORY_DAYS, "days_used": int(len(days)), "insufficient_data": True,
                    "points": []}
    fit = fit_line((days - end).astype(np.float64), means) if len(days) >= MIN_FORECAST_DAYS else None
    if fit is None:
        return result
    horizon = np.arange(1, FORECAST_DAYS + 1, dtype=np.float64)
    predicted = fit.predict(horizon)
    half = fit.prediction_half_width(horizon, FORECAST_LEVEL)
    low, high = np.clip(predicted - half, *bounds), np.clip(predicted + half, *bounds)
    result["insufficient_data"] = False
    result["points"] = [{"date": iso_date(end + h), "predicted": rounded(float(np.clip(p, *bounds)), 3),
                         "low": rounded(lo, 3), "high": rounded(hi, 3)}
                        for h, p, lo, hi in zip(range(1, FORECAST_DAYS + 1), predicted.tolist(), low.tolist(),
                                                high.tolist(), strict=True)]
    return result

