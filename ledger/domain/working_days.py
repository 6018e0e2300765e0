"""Working days in China: Monday to Friday, less the public holidays, plus the weekend days worked in
their place (调休), as the State Council announces them each year. The announcement is a data file
(data/cn_working_days.json, with its version and source); a year it does not cover counts Monday to
Friday only. Add the next year's notice there when it is published (usually in November)."""

import json
from datetime import date, timedelta
from functools import cache
from importlib import resources


@cache
def calendar() -> dict:
    data = json.loads(resources.files("ledger.domain").joinpath("data/cn_working_days.json").read_text("utf-8"))
    return {
        "version": data["version"],
        "years": frozenset(data["years"]),
        "days_off": frozenset(date.fromisoformat(d) for d in data["days_off"]),
        "working_weekends": frozenset(date.fromisoformat(d) for d in data["working_weekends"]),
    }


def is_working_day(day: date) -> bool:
    known = calendar()
    if day in known["working_weekends"]:
        return True
    return day.weekday() < 5 and day not in known["days_off"]


def add_working_days(day: date, count: int) -> date:
    """The `count`-th working day after `day` (the day itself not counted)."""
    while count > 0:
        day += timedelta(days=1)
        count -= is_working_day(day)
    return day
