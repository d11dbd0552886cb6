"""Personal metrics from self-tracking exports: Toggl Track, Daylio and uLogMe.

The flow is: exports -> importers (:mod:`castlab.lifelog.data`) -> one tidy daily table
(:mod:`castlab.lifelog.daily`) -> analyses (:mod:`castlab.lifelog.analyses`) -> figures
(:mod:`castlab.lifelog.plots`) -> an HTML report (:mod:`castlab.lifelog.report`).
Everything runs locally; nothing is uploaded anywhere.

Examples
--------
>>> import numpy as np, tempfile
>>> from castlab.lifelog import synthetic, data, daily
>>> paths = synthetic.write_exports(tempfile.mkdtemp(), rng=np.random.default_rng(0),
...                                config=synthetic.GeneratorConfig(days=30, ulogme_days=2))
>>> table = daily.daily_table(daylio=data.read_daylio(paths.daylio))
>>> bool(table["mood"].dropna().between(1, 5).all())
True
"""

from __future__ import annotations

from castlab.core.exports import lazy_exports

# Names load on first use, so `castlab --help` stays free of pandas and scipy.
__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "read_toggl": "data",
        "read_daylio": "data",
        "read_ulogme": "ulogme",
        "daily_table": "daily",
        "mood_by_weekday": "analyses",
        "activity_effects": "analyses",
        "mood_associations": "analyses",
        "ReportConfig": "report",
        "write_report": "report",
    },
)
