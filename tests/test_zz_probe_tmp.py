import time
import pytest
from tests.test_browser import browser, world, new_page  # noqa
from tests.browser_helpers import log_in

@pytest.mark.browser
def test_probe(world, new_page, live_server):
    page = new_page()
    reqs = []
    page.on("requestfinished", lambda r: reqs.append((r.url.replace(live_server.url, ""), r.timing)))
    t = time.perf_counter()
    log_in(page, live_server.url, "county_admin")
    print("login", time.perf_counter() - t)
    for url in ["/members/", "/orgs/", "/members/", "/regions/"]:
        t = time.perf_counter()
        page.goto(url)
        print(url, time.perf_counter() - t)
    for u, tm in reqs:
        print(f"{u[:60]:60} start={tm['startTime']%100000:.0f} resp={tm['responseStart']:.0f} end={tm['responseEnd']:.0f}")
