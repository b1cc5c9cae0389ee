"""A patient signs up, writes in their journal, sees the entry's analysis arrive and opens their insights."""

import re

from playwright.sync_api import expect

WORKER_TIMEOUT = 60_000  # ms: the cpu worker loads the analysers on its first task


def test_a_new_patient_writes_an_entry_and_sees_its_analysis_and_insights(offline_models, procfile_stack, browser,
                                                                          monkeypatch):
    monkeypatch.setenv("CPU_WORKER_CONCURRENCY", "1")  # one process loads the analysers, once
    page = browser.open(procfile_stack("web", "cpu"))

    page.goto("/signup/")
    page.get_by_label("Email").fill("erin@example.com")
    page.get_by_label("Your name").fill("Erin")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Hello, Erin")).to_be_visible()
    browser.step("signed up")

    page.get_by_role("link", name="Journal").click()
    page.get_by_label("What's on your mind?").fill(
        "A lovely morning: a long walk by the river with a friend, and I feel calm, grateful and happy.")
    page.get_by_role("button", name="Save entry").click()
    entry = page.locator("article.entry").first
    expect(entry).to_contain_text("A lovely morning")
    expect(entry).to_contain_text("analysing…")
    browser.step("entry saved")

    expect(entry.get_by_text("positive")).to_be_visible(timeout=WORKER_TIMEOUT)
    expect(entry).not_to_contain_text("analysing…")
    browser.step("analysis arrived")

    page.get_by_role("link", name="See your insights").click()
    comprehensive = page.locator("#insight-comprehensive")
    expect(comprehensive.locator(".stat", has_text="Entries").locator("dd")).to_have_text("1")
    expect(comprehensive.locator(".stat", has_text="Average tone").locator("dd")).to_have_text(
        re.compile(r"\+\d\.\d\d \(.+\)"))
    browser.step("insights shown")
