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

__all__: list[str] = []
