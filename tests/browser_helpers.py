"""Helpers for the Playwright browser tests (tests/test_browser.py)."""

import io
from pathlib import Path

import python_calamine
from playwright.sync_api import Page, expect

SCREENS = Path("/tmp/screens")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip


def sign_in(page: Page, base_url: str, user) -> None:
    """Open a session for `user` without the login form (the form itself is tested once) and go home."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
    page.goto(f"{base_url}/")
    expect(page.get_by_test_id("home-stats")).to_be_visible()


def fill_login(page: Page, username: str, password: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def screenshot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def read_xlsx(path_or_bytes) -> list[list]:
    """All rows of the first sheet of an xlsx file (a path or bytes), read the way the product reads them."""
    if isinstance(path_or_bytes, bytes):
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(path_or_bytes))
    else:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path_or_bytes))
    return workbook.get_sheet_by_index(0).to_python()


def table_after_header(rows: list[list], first_header: str) -> tuple[list, list[dict]]:
    """Find the header row starting with `first_header` (title rows above it are skipped); rows as dicts."""
    for index, row in enumerate(rows):
        if row and row[0] == first_header:
            header = [str(h) for h in row]
            return header, [
                dict(zip(header, r, strict=False)) for r in rows[index + 1 :] if any(c != "" for c in r)
            ]
    raise AssertionError(f"no header row starting with {first_header!r} in {rows[:5]!r}")


def watch(page: Page, problems: list) -> Page:
    """Collect script errors and broken static files of `page` into `problems` (the test fails on any).

    A load aborted by a navigation (net::ERR_ABORTED, e.g. the favicon of a page left at once) is not broken."""
    page.on("pageerror", lambda exc: problems.append(f"script error on {page.url}: {exc}"))
    page.on("response", lambda r: "/static/" in r.url and r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: "/static/" in r.url and "ERR_ABORTED" not in (r.failure or "")
            and problems.append(f"failed {r.url}: {r.failure}"))
    return page
