"""The statistics behind the trends: daily means, rolling means and the least-squares line with its standard error,
t statistic and prediction interval (Student's t from scipy.stats, imported where it is used: it is slow to load)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def daily_means(day: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days (sorted ordinals) that have a value, the mean value of each, and how many values each has."""
    known = ~np.isnan(values)
    days, inverse, counts = np.unique(day[known], return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=values[known], minlength=len(days))
    return days, sums / np.maximum(counts, 1), counts


def rolling_mean(days: np.ndarray, means: np.ndarray, window: int) -> np.ndarray:
    """For each day, the mean of the daily means of the days with a value within the `window` calendar days ending
    on it: a gap in the journal shortens the window instead of counting as zero."""
    totals = np.concatenate(([0.0], np.cumsum(means)))
    end = np.arange(1, len(days) + 1)
    start = np.searchsorted(days, days - (window - 1), side="left")
    return (totals[end] - totals[start]) / (end - start)


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def mean_or_none(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else None


@dataclass(frozen=True)
class LineFit:
    """Ordinary least squares y = intercept + slope * x."""
    n: int
    slope: float
    intercept: float
    residual_std: float
    x_mean: float
    sxx: float

    @property
    def df(self) -> int:
        return self.n - 2

    @property
    def std_error(self) -> float:
        return self.residual_std / math.sqrt(self.sxx)

    @property
    def t(self) -> float:
        if self.std_error == 0.0:
            return 0.0 if self.slope == 0.0 else math.copysign(math.inf, self.slope)
        return self.slope / self.std_error

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + self.slope * x

    def prediction_half_width(self, x: np.ndarray, level: float) -> np.ndarray:
        """Half-width of the prediction interval of a new observation at x: wider the further x is from the data."""
        se = self.residual_std * np.sqrt(1.0 + 1.0 / self.n + (x - self.x_mean) ** 2 / self.sxx)
        return t_critical(level, self.df) * se


def t_critical(level: float, df: int) -> float:
    """The t such that P(|T| <= t) = level for Student's t with df degrees of freedom (0.95: the two-sided 95%
    critical value)."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2.0, df))


def fit_line(x: np.ndarray, y: np.ndarray) -> LineFit | None:
    """The least-squares line through (x, y), or None with fewer than three points or a single x."""
    n = len(x)
    if n < 3:
        return None
    x_mean, y_mean = x.mean(), y.mean()
    sxx = float(((x - x_mean) ** 2).sum())
    if sxx == 0.0:
        return None
    slope = float(((x - x_mean) * (y - y_mean)).sum() / sxx)
    intercept = float(y_mean - slope * x_mean)
    residuals = y - (intercept + slope * x)
    return LineFit(n, slope, intercept, float(math.sqrt((residuals ** 2).sum() / (n - 2))), float(x_mean), sxx)
