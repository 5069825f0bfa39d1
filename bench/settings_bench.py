"""Settings for benchmark runs: the project's settings plus the bench-only apps.

Used only by the bench workers (DJANGO_SETTINGS_MODULE=settings_bench, with bench/ on sys.path). The
database is wherever DANGJIAN_VAR_DIR points: bench/run.py sets it to a throw-away directory.
"""

from dangjian.settings import *  # noqa: F403
from dangjian.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "import_export"]
