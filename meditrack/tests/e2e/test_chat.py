"""A patient chats with the assistant: the reply streams in, stops when asked, and resumes after a reload."""

from playwright.sync_api import expect

TOKENS = [f"word{i} " for i in range(40)]


def test_a_reply_streams_in_stops_when_asked_and_resumes_after_a_reload(patient, chat_model, model_server,
                                                                         procfile_stack, browser):
    model_server.reply = TOKENS
    model_server.token_delay = 0.2  # 8 s a reply: time to stop one and to reload in the middle of another
    page = browser.open(procfile_stack("web", "io"), user=patient)
    page.goto("/assistant/")
    # This patient has no records to answer from: the model answers, ungrounded.
    grounded = page.get_by_label("Answer from my records")
    expect(grounded).to_be_checked()
    with page.expect_response(lambda response: response.request.method == "PATCH" and response.ok):
        grounded.uncheck()
    page.reload()
    expect(grounded).not_to_be_checked()
    browser.step("answers from the model, not the records")
    composer = page.get_by_placeholder("Message the assistant")
    stop = page.get_by_role("button", name="Stop")

    composer.fill("How did I sleep this week?")
    composer.press("Enter")
    replies = page.locator("article.msg-assistant")
    reply = replies.first
    expect(reply).to_contain_text("word2")
    expect(stop).to_be_visible()
    browser.step("the reply streams in")
    stop.click()
    expect(reply).to_contain_text("stopped")
    expect(stop).to_be_hidden()
    assert "word39" not in reply.inner_text()
    browser.step("the reply stopped")

    composer.fill("And the week before?")
    composer.press("Enter")
    reply = replies.nth(1)
    expect(reply).to_contain_text("word2")
    page.reload()
    expect(stop).to_be_visible()
    expect(page.locator("article.msg-user").nth(1)).to_have_text("And the week before?")
    expect(reply).to_contain_text("word0")
    browser.step("reloaded in the middle of the reply")
    expect(reply.locator(".msg-body")).to_have_text("".join(TOKENS).strip(), timeout=20_000)
    expect(stop).to_be_hidden()
    expect(reply).not_to_contain_text("stopped")
    browser.step("the reply finished")
