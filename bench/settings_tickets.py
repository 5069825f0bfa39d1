"""Settings for the `tickets` scenario's server: the project's own settings, unchanged, with a URLconf that
adds the framework-floor endpoint (bench/floor_app.py) in front of the project's URLs.

The database comes from DATABASE_URL (a throw-away PostgreSQL database made by the scenario). Nothing else
differs from production: DEBUG off, the same middleware, the same REST framework settings, persistent
database connections (CONN_MAX_AGE 60).
"""

from dangjian.settings import *  # noqa: F403

ROOT_URLCONF = "floor_app"
