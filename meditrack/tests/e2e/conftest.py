"""The browser suite: Debian's headless Chromium, driven by Playwright, on the Procfile's own processes
(procfile_stack) and the test database. A test names its steps; when it fails, a screenshot of each step and one
of the failure are written under var/test/e2e/<module>/<test>/ (E2E_SCREENSHOTS names another folder)."""

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import Page, expect, sync_playwright

from meditrack import procfile
from meditrack.accounts.models import User

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package, which `make install` installs
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS") or procfile.ROOT / "var" / "test" / "e2e")
FAILED = pytest.StashKey[bool]()

# What a page waits for comes from workers, on a machine shared with other work.
expect.set_options(timeout=15_000)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


def session_cookie(user: User) -> dict:
    """The cookie of a signed-in session, saved on a thread of its own: once Playwright runs, its event loop
    belongs to this thread, and Django refuses database calls on a thread with a running loop."""
    def sign_in() -> str:
        client = Client()
        try:
            client.force_login(user)
            return client.cookies[settings.SESSION_COOKIE_NAME].value
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return {"name": settings.SESSION_COOKIE_NAME, "value": pool.submit(sign_in).result()}


class Browser:
    """One headless Chromium, started on the first `open` (so after the test's fixtures have saved their rows),
    and the screenshots of the steps a test names. `launch_args` are Chromium's switches, added before that
    first `open` (a fake microphone, say)."""

    def __init__(self) -> None:
        self._playwright = None
        self._chromium = None
        self.launch_args: list[str] = []
        self.pages: list[Page] = []
        self.shots: list[tuple[str, bytes]] = []
        self.policy_violations: list[str] = []

    def open(self, base_url: str, *, user: User | None = None) -> Page:
        """A page in a fresh browser context (cookies of its own), signed in as user when one is given."""
        cookie = session_cookie(user) if user else None
        if self._chromium is None:
            if not CHROMIUM.exists():
                pytest.fail(f"The browser tests need Debian's 'chromium' package at {CHROMIUM}: "
                            "`make install` installs it (apt-get install chromium).")
            self._playwright = sync_playwright().start()
            self._chromium = self._playwright.chromium.launch(executable_path=CHROMIUM, args=self.launch_args)
        context = self._chromium.new_context(base_url=base_url)
        if cookie:
            context.add_cookies([{**cookie, "url": base_url}])
        page = context.new_page()
        page.on("console", self._note_policy_violation)
        self.pages.append(page)
        return page

    def _note_policy_violation(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.policy_violations.append(message.text)

    def step(self, name: str) -> None:
        """Screenshot every open page, to be kept should the test fail."""
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        for page in self.pages:
            if not page.is_closed():
                self.shots.append((f"{len(self.shots) + 1:02d}-{slug}", page.screenshot(full_page=True)))

    def close(self, *, keep_in: Path | None) -> None:
        if self._chromium is None:
            return
        if keep_in is not None:
            self.step("at the failure")
            keep_in.mkdir(parents=True, exist_ok=True)
            for name, png in self.shots:
                (keep_in / f"{name}.png").write_bytes(png)
        self._chromium.close()
        self._playwright.stop()


@pytest.fixture
def browser(request, transactional_db):
    """Headless Chromium for one test, never longer: the database cannot be emptied after the test while
    Playwright's loop runs on this thread."""
    chromium = Browser()
    yield chromium
    failed = request.node.stash.get(FAILED, False)
    chromium.close(keep_in=SCREENSHOTS / request.node.path.stem / request.node.name if failed else None)
    # A page the policy broke may still pass its checks: what the browser refused fails the test.
    assert chromium.policy_violations == []
