"""Pure figures for the KPI reports: median, percentiles (nearest rank) and shares.

The median is the middle value, or the mean of the two middle values when there is an even number
of them (as `statistics.median`). Other percentiles use the nearest-rank method: the p-th
percentile of n values is the ceil(p/100 * n)-th smallest. It is always a reply time that really
happened, and "p90 = 20 min" reads exactly as "at least 90% of the first replies came within
20 minutes". For 2, 4, 6, 8 and 20 minutes the median is 6 and the p90 is 20 (ceil(4.5) = 5th value);
linear interpolation would have given 15.2, a time nobody replied in.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence


def median(values: Sequence[float]) -> float | None:
    """The middle value (mean of the two middle ones for an even count); None for no values."""
    return float(statistics.median(values)) if values else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank p-th percentile (0 < p <= 100); None for no values."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], not {p}")
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))
    return float(ordered[max(rank, 1) - 1])


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile; None for no values."""
    return percentile(values, 90)


def share(flags: Iterable[bool]) -> float | None:
    """The fraction of true flags (0.0 to 1.0); None when there are none to count."""
    total = hits = 0
    for flag in flags:
        total += 1
        hits += bool(flag)
    return hits / total if total else None


def ratio(hits: int, total: int) -> float | None:
    """hits / total (0.0 to 1.0); None when there is nothing to count."""
    return hits / total if total else None
