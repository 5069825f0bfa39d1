"""The benchmark scenarios, by name.

A scenario is a module here with `run(rows: int | None = None) -> dict`: it prints its figures next to
its goals and a baseline measured in the same run, and returns the figures; bench/run.py writes them
to bench/results/<name>.json. `rows` is the --rows option (None: the scenario's own default).
Scenarios may take more keyword options (tickets: clients, seconds, workers); run.py passes those they accept.
To add one (checkup, dashboard…), add a module and a line below.
"""

import importlib

SCENARIOS: dict[str, str] = {
    "import-members": "scenarios.import_members",
    "tickets": "scenarios.tickets",
    "checkup": "scenarios.checkup",
    "dashboard": "scenarios.dashboard",
}


def load(name: str):
    return importlib.import_module(SCENARIOS[name])
