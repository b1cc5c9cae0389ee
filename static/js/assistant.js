// The assistant page: one websocket for sending, stopping and receiving tokens as they arrive,
// reconnecting with resume so a reply is never lost; fetch for the session's settings; a microphone
// that sends what was said, and replies read aloud sentence by sentence while they stream.
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
  const micButton = document.getElementById("mic");
  const micStatus = document.getElementById("mic-status");
  const readAloud = document.getElementById("read-aloud");
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

  async function errorDetail(response, fallback) {
    try { return (await response.json()).error?.detail || fallback; } catch { return fallback; }
  }

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
    if (frame.content) meta.appendChild(readButton(frame.message_id));
    article.appendChild(meta);
    if (live.id === frame.message_id) readFinal(frame.content || "");
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
        if (readAloud.checked) readLive(current, "");
        break;
      case "token": {
        if (frame.index <= (seen[frame.message_id] ?? -1)) return; // already shown before a reconnect
        seen[frame.message_id] = frame.index;
        assistantBubble(frame.message_id).querySelector(".msg-body").textContent += frame.text;
        if (live.id === frame.message_id) sayLive(frame.text);
        scrollDown();
        break;
      }
      case "message_done":
        finish(frame);
        break;
      case "error":
        if (frame.message_id === live.id) { live.id = null; voice.close(); }
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
  stopButton.addEventListener("click", () => {
    if (live.id === current) { live.id = null; voice.stop(); }
    send({ type: "stop" });
  });

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
    if (readAloud.checked) readLive(current, "");
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
    const reader = event.target.closest("button.read");
    if (reader) return readReply(Number(reader.dataset.id));
    const button = event.target.closest("button.copy");
    if (!button) return;
    navigator.clipboard?.writeText(button.dataset.content);
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });

  // Reading aloud. A sentence is synthesised once complete (see sentences.js) and the clips play in order. One
  // clip is asked for ahead of the one playing and holds every sentence completed meanwhile: speech starts
  // with the first sentence, and a long reply costs a few calls of the tier's per-minute limit, not one each.
  const CLIP_CHARS = 400; // a clip's text; the server refuses long texts, and a long clip is slow to start
  const voice = {
    owner: null, // the message being read
    pending: [], // its sentences not yet asked for
    ahead: null, // the next clip: a promise of its URL
    playing: null, // the audio element playing, and how to end its wait
    closed: false, // no more sentences will come
    begun: false, // a clip was asked for
    round: 0, // bumped by stop(), so clips asked for earlier are dropped

    start(owner) {
      this.stop();
      this.owner = owner;
      markReading();
    },
    say(sentences) {
      if (this.owner === null) return; // stopped, by the user or by a failure: the rest goes unread
      for (const sentence of sentences) {
        const text = Sentences.speakable(sentence);
        if (text) this.pending.push(text);
      }
      this.fetchNext();
      if (!this.playing) this.play(this.round);
    },
    close() {
      this.closed = true;
      if (!this.playing && !this.ahead && !this.pending.length) this.stop();
    },
    stop() {
      this.round += 1;
      Object.assign(this, { owner: null, pending: [], ahead: null, closed: false, begun: false });
      if (this.playing) { this.playing.audio?.pause(); this.playing.done(); this.playing = null; }
      markReading();
    },
    fetchNext() {
      if (this.ahead || !this.pending.length) return;
      let text = this.pending.shift();
      // The first clip is one sentence, to be heard soon; a later one is ready before the one playing ends.
      while (this.begun && this.pending.length && text.length + this.pending[0].length < CLIP_CHARS) {
        text += " " + this.pending.shift();
      }
      this.begun = true;
      this.ahead = synthesize(text);
      this.ahead.catch(() => {}); // a clip dropped by stop() may fail unheard; play() reports the others
    },
    async play(round) {
      this.playing = { audio: null, done() {} };
      while (this.ahead && round === this.round) {
        let url;
        try { url = await this.ahead; } catch (error) { if (round === this.round) { showError(error.message); this.stop(); } return; }
        if (round !== this.round) return;
        this.ahead = null;
        this.fetchNext();
        const audio = new Audio(url);
        await new Promise((done) => {
          this.playing = { audio, done };
          audio.onended = audio.onerror = done;
          audio.play().catch((error) => {
            if (error.name !== "NotAllowedError") return done();
            showError("The browser did not let this page play sound: press Read aloud on the reply.");
            this.stop();
          });
        });
      }
      if (round !== this.round) return;
      this.playing = null;
      if (this.closed && !this.pending.length) this.stop();
    },
  };

  async function synthesize(text) {
    const response = await fetch("/api/v1/speech/synthesize", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
      body: JSON.stringify({ text }),
    });
    if (!response.ok) throw new Error(await errorDetail(response, "The reply could not be read aloud."));
    return (await response.json()).url;
  }

  function readButton(id) {
    const button = document.createElement("button");
    button.className = "link read";
    button.type = "button";
    button.dataset.id = id;
    button.textContent = voice.owner === id ? "Stop reading" : "Read aloud";
    return button;
  }

  function markReading() {
    for (const button of list.querySelectorAll("button.read")) {
      button.textContent = Number(button.dataset.id) === voice.owner ? "Stop reading" : "Read aloud";
    }
    for (const article of list.querySelectorAll("article.msg-assistant")) {
      article.classList.toggle("reading", Number(article.dataset.id) === voice.owner);
    }
  }

  function readReply(id) {
    live.id = null;
    if (voice.owner === id) return voice.stop();
    const content = list.querySelector(`button.read[data-id="${id}"]`)?.closest("footer").querySelector("button.copy").dataset.content;
    voice.start(id);
    voice.say(Sentences.split(content || ""));
    voice.close();
  }

  // The reply streaming now, read as its sentences complete. `said` is what was read of its draft.
  const live = { id: null, sentences: null, said: [] };

  function readLive(id, textSoFar) {
    voice.start(id);
    Object.assign(live, { id, sentences: Sentences.splitter(), said: [] });
    sayLive(textSoFar);
  }

  function sayLive(text) {
    const sentences = live.sentences.push(text);
    live.said.push(...sentences);
    voice.say(sentences);
  }

  // The text shown once a reply is done may differ from its draft (a grounded answer is replaced by its checked
  // text). If what was read is how the final text begins, reading goes on with the rest of it; otherwise it
  // starts again with the final text, so what is heard is what is shown.
  function readFinal(content) {
    const final = Sentences.split(content);
    const same = (a, b) => Sentences.speakable(a) === Sentences.speakable(b);
    const onTrack = live.said.every((sentence, i) => i < final.length && same(sentence, final[i]));
    live.id = null;
    if (!onTrack) voice.start(voice.owner);
    voice.say(final.slice(onTrack ? live.said.length : 0));
    voice.close();
  }

  readAloud.checked = localStorage.getItem("assistant.readAloud") === "on";
  readAloud.addEventListener("change", () => {
    localStorage.setItem("assistant.readAloud", readAloud.checked ? "on" : "off");
    if (!readAloud.checked) { if (live.id !== null) { live.id = null; voice.stop(); } return; }
    if (current) readLive(current, assistantBubble(current).querySelector(".msg-body").textContent);
  });

  // The microphone: a recording, transcribed on the server, is sent as the user's message.
  const MAX_RECORDING_MS = 60_000; // well within the server's limit on a recording's length
  let recorder = null;

  async function record() {
    let stream;
    try {
      // A voice call's echo cancelling and noise suppression blur words for a recogniser; nothing plays meanwhile.
      stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false } });
    } catch {
      return showError("The microphone is not available: allow this page to use it, then try again.");
    }
    voice.stop(); // the microphone would hear the reply being read
    live.id = null;
    showError("");
    const chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (event) => chunks.push(event.data);
    recorder.onstop = () => {
      stream.getTracks().forEach((track) => track.stop());
      clearTimeout(limit);
      recorder = null;
      micState("idle");
      transcribe(new Blob(chunks, { type: chunks[0]?.type || "audio/webm" }));
    };
    const limit = setTimeout(() => recorder?.stop(), MAX_RECORDING_MS);
    recorder.start();
    micState("recording");
  }

  async function transcribe(audio) {
    micState("transcribing");
    const form = new FormData();
    form.append("audio", audio, `question.${audio.type.match(/^audio\/(\w+)/)?.[1] || "webm"}`);
    try {
      const response = await fetch("/api/v1/speech/transcribe", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf }, body: form,
      });
      if (!response.ok) return showError(await errorDetail(response, "The recording could not be transcribed."));
      const text = ((await response.json()).text || "").trim();
      if (!text) return showError("Nothing was heard. Speak a little closer to the microphone and try again.");
      input.value = [input.value.trim(), text].filter(Boolean).join(" ");
      document.getElementById("composer").requestSubmit();
    } catch {
      showError("The recording could not be sent. Check your connection and try again.");
    } finally {
      micState("idle");
    }
  }

  function micState(state) {
    micButton.textContent = state === "recording" ? "Done speaking" : "Speak";
    micButton.setAttribute("aria-pressed", String(state === "recording"));
    micButton.disabled = state === "transcribing";
    micButton.classList.toggle("recording", state === "recording");
    micStatus.textContent = { recording: "Listening…", transcribing: "Transcribing…" }[state] || "";
  }

  if (navigator.mediaDevices?.getUserMedia && window.MediaRecorder) {
    micButton.hidden = false;
    micButton.addEventListener("click", () => (recorder ? recorder.stop() : record()));
  }

  scrollDown();
  if (current) { seen[current] = -1; assistantBubble(current).querySelector(".msg-body").textContent = ""; setBusy(true); }
  if (current && readAloud.checked) readLive(current, "");
  connect();
})();
