import os
import tempfile

os.environ.setdefault("DANGJIAN_VAR_DIR", tempfile.mkdtemp(prefix="dangjian-test-var-"))
os.makedirs(os.path.join(os.environ["DANGJIAN_VAR_DIR"], "static"), exist_ok=True)

import pytest  # noqa: E402

from tests.factories import PASSWORD, build_county  # noqa: E402


@pytest.fixture
def county(db):
    return build_county()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def login(client):
    """Log a test client in as one of the county's users."""

    def do(user):
        client.force_login(user)
        return client

    return do


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Per-process caches (tree paths behind scopes, holiday entries) must not outlive a test's rollback."""
    from dangjian.accounts.models import forget_tree_paths
    from dangjian.core.workdays import forget_entries

    forget_tree_paths()
    forget_entries()
    yield
    forget_tree_paths()
    forget_entries()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright, shared by the tests of one module."""
    from playwright.sync_api import sync_playwright

    from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS

    # Playwright's sync API keeps an event loop running in this thread; Django would then refuse the
    # test's own ORM calls (SynchronousOnlyOperation). Allow them while the browser is open.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
