"""The pages in a real browser: headless Chromium (Debian's) driven by Playwright against a
real uvicorn server on a free 127.0.0.1 port, over the batch tests' runs and tiny champion.

Scenario: sign in, open a customer from the worklist, assess a deal, read the decision; the
decision and scores shown must equal the API's. Screenshots go to the test's temp dir.
Skipped only when /usr/bin/chromium is absent (`apt-get install -y chromium`); Playwright
drives that browser and never downloads one.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import BrowserContext, Page, sync_playwright

from serving.app import create_app
from serving.pages.session import SESSION_COOKIE
from tests.serving.batch_fixtures import TwoRuns
from tests.serving.conftest import AUTH, KEYS, Registry
from tests.serving.pages.conftest import pages_settings_for

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} not installed (apt-get install -y chromium): browser tests skipped",
)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, two_runs: TwoRuns, registry: Registry
) -> Iterator[str]:
    """A real uvicorn server on a free port, serving the app over the batch runs."""
    settings = pages_settings_for(tmp_path_factory.mktemp("browser-home"), two_runs, registry)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not uv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=15)
    sock.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile, no network side traffic."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def _sign_in(page: Page, server: str) -> None:
    page.goto(f"{server}/ui/")
    assert page.url == f"{server}/ui/login?next=%2Fui%2F"
    page.fill("#api_key", KEYS["risk"])
    page.click("#sign-in")
    page.wait_for_url(f"{server}/ui/")


def test_sign_in_open_a_customer_assess_a_deal(
    server: str, browser: BrowserContext, tmp_path: Path
) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    _sign_in(page, server)
    assert page.inner_text("h1") == "Portfolio"
    assert page.locator('svg[aria-label="Customers per risk tier"]').count() == 1
    page.screenshot(path=tmp_path / "portfolio.png", full_page=True)

    link = page.locator("#worklist tbody a").first
    customer_id = link.inner_text()
    link.click()
    page.wait_for_selector("#customer-id")
    assert page.inner_text("#customer-id") == customer_id
    with httpx.Client(base_url=server, headers=AUTH["risk"]) as api:
        latest = api.get(f"/v1/customers/{customer_id}").json()["latest"]
    assert page.inner_text("#probability") == f"{latest['overdue_probability']:.1%}"
    assert page.inner_text("#tier") == latest["risk_tier"]
    page.screenshot(path=tmp_path / "customer.png", full_page=True)

    page.click("#assess-deal")
    page.wait_for_selector("#deal-form")
    assert page.input_value("#customer_id") == customer_id
    page.fill("#amount", "250000")
    page.fill("#payment_terms_days", "60")
    page.click("#assess")
    page.wait_for_selector("#decision")
    body = {"customer_id": customer_id, "amount": 250000.0, "payment_terms_days": 60}
    with httpx.Client(base_url=server, headers=AUTH["risk"]) as api:
        decision = api.post("/v1/deals/assess", json=body).json()
    assert page.inner_text("#decision") == decision["decision"].replace("_", " ")
    shown = page.locator("#conditions li").all_inner_texts()
    assert shown == decision["conditions"]
    page.screenshot(path=tmp_path / "deal.png", full_page=True)

    cookie = next(c for c in browser.cookies() if c["name"] == SESSION_COOKIE)
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/ui")
    assert problems == []
    assert all(
        (tmp_path / f"{n}.png").stat().st_size > 10_000 for n in ("portfolio", "customer", "deal")
    )


def test_session_cookie_is_invisible_to_scripts(server: str, browser: BrowserContext) -> None:
    page = browser.new_page()
    _sign_in(page, server)
    assert SESSION_COOKIE not in page.evaluate("document.cookie")
    page.goto(f"{server}/ui/customers/NO-SUCH-ID")
    assert "unknown customer 'NO-SUCH-ID'" in page.inner_text("#error")
