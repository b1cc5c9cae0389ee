// The assistant page: one websocket for sending, stopping and receiving tokens as they arrive,
// reconnecting with resume so a reply is never lost; fetch for the session's settings.
(function () {
  const root = document.getElementById("chat");
  if (!root) return;
  const sessionId = root.dataset.session;
  const csrf = root.dataset.csrf;
  const list = document.getElementById("messages");
  const input = document.getElementById("input");
  const sendButton = document.getElementById("send");
  const stopButton = document.getElementById("stop");
  const errorBox = document.getElementById("chat-error");
  const connStatus = document.getElementById("conn-status");
  const seen = {}; // message id -> last token index rendered
  const outbox = []; // frames written while the socket was down; resent with their client_id
  let current = root.dataset.streaming ? Number(root.dataset.streaming) : null;
  let ws = null;
  let backoff = 1000;

  function api(path, options = {}) {
    return fetch(`/api/v1/chat/sessions/${sessionId}${path}`, {
      credentials: "same-origin",
      ...options,
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/json", ...(options.headers || {}) },
    });
  }

  function scrollDown() { list.scrollTop = list.scrollHeight; }

  function bubble(role, id, text) {
    document.getElementById("empty")?.remove();
    const article = document.createElement("article");
    article.className = `msg msg-${role}` + (role === "assistant" ? " status-streaming" : "");
    if (id) article.dataset.id = id;
    const body = document.createElement("div");
    body.className = "msg-body";
    body.textContent = text;
    article.appendChild(body);
    list.appendChild(article);
    scrollDown();
    return article;
  }

  function assistantBubble(id) {
    return list.querySelector(`article.msg-assistant[data-id="${id}"]`) || bubble("assistant", id, "");
  }

  function setBusy(busy) {
    stopButton.hidden = !busy;
    sendButton.disabled = busy;
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  function describe(error) {
    if (error.code === "rate_limited") {
      const wait = error.retry_after ? ` Try again in ${Math.ceil(error.retry_after)} s.` : "";
      return "You have reached your tier's limit of messages per minute." + wait;
    }
    if (["model_unavailable", "model_timeout", "circuit_open", "model_auth"].includes(error.code)) {
      return "The model is unavailable right now. Please try again in a moment, or pick another model.";
    }
    return error.detail || "Something went wrong.";
  }

  const GROUNDING_LABELS = {
    checked: "Checked against your records",
    fallback: "Quoted from your records: the written answer did not pass the check",
    nothing_found: "Nothing found in your records",
  };

  // A grounded answer's label and its footnotes, each opening the passage it cites.
  function groundingSection(grounding, citations) {
    const section = document.createElement("section");
    section.className = `grounding grounding-${grounding}`;
    const label = document.createElement("p");
    label.className = "grounding-label";
    label.textContent = GROUNDING_LABELS[grounding] || "";
    section.appendChild(label);
    if (citations && citations.length) {
      const list = document.createElement("ol");
      list.className = "citations";
      for (const c of citations) {
        const item = document.createElement("li");
        item.value = c.n;
        const title = document.createElement(c.url ? "a" : "span");
        if (c.url) title.href = c.url;
        title.textContent = c.title;
        const snippet = document.createElement("span");
        snippet.className = "snippet";
        snippet.textContent = c.snippet;
        item.append(title, " ", snippet);
        list.appendChild(item);
      }
      section.appendChild(list);
    }
    return section;
  }

  function finish(frame) {
    const article = assistantBubble(frame.message_id);
    article.className = `msg msg-assistant status-${frame.status || "error"}`;
    const body = article.querySelector(".msg-body");
    // The final, checked text replaces a grounded answer's streamed draft.
    if (frame.html !== undefined) body.innerHTML = frame.html; // sanitised on the server
    article.querySelector(".grounding")?.remove(); // a resumed stream ends with the same event again
    if (frame.grounding) article.appendChild(groundingSection(frame.grounding, frame.citations));
    const meta = document.createElement("footer");
    meta.className = "msg-meta";
    const tag = { cancelled: "stopped", cut: "cut off", error: "failed" }[frame.status || "error"];
    if (tag) meta.insertAdjacentHTML("beforeend", `<span class="tag${tag === "stopped" ? "" : " warn"}">${tag}</span>`);
    if (frame.model) { const m = document.createElement("span"); m.textContent = frame.model; meta.appendChild(m); }
    const copy = document.createElement("button");
    copy.className = "link copy";
    copy.type = "button";
    copy.textContent = "Copy";
    copy.dataset.content = frame.content || "";
    meta.appendChild(copy);
    article.appendChild(meta);
    if (current === frame.message_id) { current = null; setBusy(false); }
    scrollDown();
  }

  function handle(frame) {
    switch (frame.type) {
      case "message_started":
        current = frame.message_id;
        seen[current] = seen[current] ?? -1;
        assistantBubble(current);
        setBusy(true);
        break;
      case "token": {
        if (frame.index <= (seen[frame.message_id] ?? -1)) return; // already shown before a reconnect
        seen[frame.message_id] = frame.index;
        assistantBubble(frame.message_id).querySelector(".msg-body").textContent += frame.text;
        scrollDown();
        break;
      }
      case "message_done":
        finish(frame);
        break;
      case "error":
        if (frame.message_id) finish({ message_id: frame.message_id, status: "error", content: "" });
        showError(describe(frame));
        if (!frame.message_id) setBusy(false);
        break;
    }
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    else outbox.push(frame);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}/ws/chat/${sessionId}/`);
    ws.onopen = () => {
      backoff = 1000;
      connStatus.textContent = "";
      if (current) ws.send(JSON.stringify({ type: "resume", message_id: current, after: seen[current] ?? -1 }));
      while (outbox.length) ws.send(JSON.stringify(outbox.shift()));
    };
    ws.onmessage = (event) => handle(JSON.parse(event.data));
    ws.onclose = (event) => {
      if (event.code === 4401 || event.code === 4404) {
        connStatus.textContent = "Signed out or conversation not found.";
        return;
      }
      connStatus.textContent = "Reconnecting…";
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  document.getElementById("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const content = input.value.trim();
    if (!content) return;
    showError("");
    bubble("user", null, content);
    send({ type: "user_message", content, client_id: crypto.randomUUID() });
    input.value = "";
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      document.getElementById("composer").requestSubmit();
    }
  });
  stopButton.addEventListener("click", () => send({ type: "stop" }));

  document.getElementById("reset").addEventListener("click", async () => {
    const response = await api("/reset", { method: "POST" });
    if (!response.ok) return showError("Could not reset the context.");
    const divider = document.createElement("p");
    divider.className = "divider";
    divider.textContent = "Context reset: messages above are no longer sent to the model.";
    list.appendChild(divider);
    scrollDown();
  });

  document.getElementById("regenerate").addEventListener("click", async () => {
    showError("");
    // Ask for SSE and read only the first event: the reply itself arrives on the websocket.
    const controller = new AbortController();
    const response = await api("/regenerate", {
      method: "POST", headers: { Accept: "text/event-stream" }, signal: controller.signal,
    });
    if (!response.ok) {
      const text = await response.text();
      const data = JSON.parse(text.split("data: ")[1] || "{}");
      return showError(data.detail || "Nothing to regenerate.");
    }
    const reader = response.body.getReader();
    const { value } = await reader.read();
    controller.abort();
    const started = JSON.parse(new TextDecoder().decode(value).split("data: ")[1]);
    const last = [...list.querySelectorAll("article.msg-assistant")].pop();
    last?.remove();
    current = started.message_id;
    seen[current] = -1;
    assistantBubble(current);
    setBusy(true);
    send({ type: "resume", message_id: current, after: -1 });
  });

  async function patch(change, failure) {
    const response = await api("", { method: "PATCH", body: JSON.stringify(change) });
    if (!response.ok) showError((await response.json()).error?.detail || failure);
    else showError("");
    return response.ok;
  }

  document.getElementById("model").addEventListener("change", (event) => {
    patch({ model: event.target.value }, "That model is not available.");
  });
  document.getElementById("grounded").addEventListener("change", async (event) => {
    if (!(await patch({ grounded: event.target.checked }, "Could not change that."))) {
      event.target.checked = !event.target.checked;
    }
  });
  document.getElementById("patient")?.addEventListener("change", (event) => {
    patch({ patient: event.target.value || null }, "That patient is not one of yours.");
  });

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    navigator.clipboard?.writeText(button.dataset.content);
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });

  scrollDown();
  if (current) { seen[current] = -1; assistantBubble(current).querySelector(".msg-body").textContent = ""; setBusy(true); }
  connect();
})();
