"""The statistics module's one entry point: count something, by at most one dimension.

Callers pass a metric name and keyword dimensions drawn from closed vocabularies; never an
object that describes a contact. See docs/statistics.md (issue: reports).
"""

from __future__ import annotations

from stats.counters import METRICS, acount, count

__all__ = ["METRICS", "acount", "count"]
