// The practice page: start a lesson, say (or type) each phrase, see every word coloured by how it was said, hear
// the coach, and review the words that are due. Everything goes through the practice API.
(function () {
  const root = document.getElementById("practice-page");
  if (!root) return;
  const csrf = root.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  const MAX_RECORDING_MS = 30_000; // a phrase takes seconds; well within the server's limit
  const STATUS_WORDS = { correct: "right", mispronounced: "unclear", missing: "missing", extra: "extra" };
  let session = null;
  let recorder = null;
  let busy = false;

  async function api(path, options = {}) {
    const headers = { "X-CSRFToken": csrf, ...(options.headers || {}) };
    if (options.json !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(`/api/v1/${path}`, {
      method: options.method || "GET", credentials: "same-origin", headers,
      body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
    });
    let body = null;
    try { body = await response.json(); } catch { /* an empty or non-JSON answer */ }
    if (!response.ok) throw new Error(body?.error?.detail || "Something went wrong. Try again.");
    return body;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(message) {
    $("practice-error").textContent = message || "";
    $("practice-error").hidden = !message;
  }

  function setBusy(state, status) {
    busy = state;
    $("mic").disabled = state && !recorder;
    document.querySelector("#typed-form button").disabled = state;
    $("mic-status").textContent = status || "";
  }

  // ---- a session

  function showTarget(target, hint, prompt) {
    $("prompt-label").textContent = target ? "Say this:" : "Answer this question:";
    $("target").textContent = target || prompt;
    $("hint").textContent = hint || "";
    $("hear").hidden = !target;
  }

  function showProgress(s) {
    $("progress").textContent = s.phrase_count
      ? `Phrase ${s.phrase_number} of ${s.phrase_count}${s.attempt > 1 ? ` · try ${s.attempt}` : ""}`
      : "";
  }

  function wordList(listId, boxId, words) {
    const list = $(listId);
    list.replaceChildren(...words.map((w) => {
      const item = el("li");
      item.append(el("strong", "", w.term), document.createTextNode(w.meaning ? ` — ${w.meaning}` : ""));
      return item;
    }));
    $(boxId).hidden = words.length === 0;
  }

  async function start(lessonId) {
    showError("");
    try {
      session = await api("practice/sessions", { method: "POST", json: lessonId ? { lesson_id: Number(lessonId) } : {} });
    } catch (error) {
      $("lessons-error").textContent = error.message;
      $("lessons-error").hidden = false;
      return;
    }
    $("lessons-error").hidden = true;
    $("practice-title").textContent = session.lesson ? session.lesson.title : "Free talk";
    showTarget(session.target, session.hint, session.prompt);
    showProgress(session);
    wordList("intro-list", "intro-words", session.new_vocabulary);
    $("lessons").hidden = true;
    $("practice").hidden = false;
    $("result").hidden = true;
    loadVocabulary();
  }

  document.querySelectorAll("button.start").forEach((button) =>
    button.addEventListener("click", () => start(button.dataset.lesson)));
  $("change-lesson").addEventListener("click", () => {
    $("practice").hidden = true;
    $("result").hidden = true;
    $("lessons").hidden = false;
    session = null;
  });

  // ---- a turn

  function renderWords(pronunciation) {
    const box = $("words");
    if (!pronunciation) {
      box.replaceChildren();
      $("score").textContent = "";
      return;
    }
    box.replaceChildren(...pronunciation.words.map((w) => {
      const word = el("span", `word word-${w.status}`);
      word.append(el("span", "said", w.status === "extra" ? `+${w.heard}` : w.expected || w.word));
      const heard = w.status === "correct" || w.status === "extra" ? "" : w.heard ? `heard “${w.heard}”` : "not heard";
      if (heard) word.append(el("small", "", heard));
      word.title = `${STATUS_WORDS[w.status]}${heard ? `: ${heard}` : ""}`;
      return word;
    }));
    $("score").textContent = pronunciation.score === null ? "" : `${pronunciation.score} / 100`;
  }

  function renderTurn(turn) {
    renderWords(turn.pronunciation);
    $("transcript").textContent = turn.input === "audio" ? `We heard: “${turn.transcript || "nothing"}”` : "";
    $("own-recording").hidden = !turn.recording_url;
    if (turn.recording_url) $("own-audio").src = turn.recording_url;
    const coach = turn.coach;
    $("coach-reply").textContent = coach.reply;
    const source = $("coach-source");
    source.textContent = turn.coach_source === "model" ? "AI coach" : "Built-in coach";
    source.title = turn.coach_source === "model" ? "Written by the AI model"
      : "No AI model gave a usable answer: MediTrack's rule-based coach answered";
    $("corrections").replaceChildren(...coach.corrections.map((c) => {
      const item = el("li");
      item.append(el("strong", "", c.expected || c.heard),
        document.createTextNode(c.heard && c.expected ? ` (heard “${c.heard}”)` : ""),
        document.createTextNode(c.tip ? `: ${c.tip}` : ""));
      return item;
    }));
    wordList("coach-words-list", "coach-words", coach.new_vocabulary);
    const audio = $("coach-audio");
    audio.hidden = !turn.coach_audio_url;
    if (turn.coach_audio_url) {
      audio.src = turn.coach_audio_url;
      audio.play().catch(() => { /* the controls are there to play it */ });
    }
    $("result").hidden = false;
  }

  async function send(body, status) {
    if (!session) return;
    setBusy(true, status);
    showError("");
    try {
      const turn = await api(`practice/sessions/${session.id}/turns`, { method: "POST", ...body });
      renderTurn(turn);
      session = await api(`practice/sessions/${session.id}`);
      showTarget(session.target, session.hint, session.prompt);
      showProgress(session);
      $("intro-words").hidden = true;
      $("typed").value = "";
      loadVocabulary();
    } catch (error) {
      showError(error.message);
    } finally {
      setBusy(false);
    }
  }

  $("typed-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("typed").value.trim();
    if (!text) return showError("Type the phrase first, or press Speak and say it.");
    send({ json: { text } }, "The coach is reading…");
  });

  function micState(recording) {
    $("mic").textContent = recording ? "Done speaking" : "Speak";
    $("mic").setAttribute("aria-pressed", String(recording));
    $("mic").classList.toggle("recording", recording);
    $("mic-status").textContent = recording ? "Listening…" : "";
  }

  async function record() {
    $("coach-audio").pause(); // the microphone would hear the coach
    showError("");
    try {
      recorder = await Recorder.start({
        maxMs: MAX_RECORDING_MS,
        onStop: (audio) => {
          recorder = null;
          micState(false);
          const form = new FormData();
          form.append("audio", audio, Recorder.filename(audio, "turn"));
          send({ body: form }, "The coach is listening to your recording…");
        },
      });
    } catch {
      return showError("The microphone is not available: allow this page to use it, or type the phrase instead.");
    }
    micState(true);
  }

  if (Recorder.available) {
    $("mic").hidden = false;
    $("mic").addEventListener("click", () => { if (recorder) recorder.stop(); else if (!busy) record(); });
  }

  $("hear").addEventListener("click", async () => {
    const text = $("target").textContent;
    if (!text) return;
    $("hear").disabled = true;
    try {
      const clip = await api("speech/synthesize", { method: "POST", json: { text, speed: 0.9 } });
      const audio = $("coach-audio");
      audio.src = clip.url;
      audio.hidden = false;
      await audio.play();
    } catch (error) {
      showError(error.message);
    } finally {
      $("hear").disabled = false;
    }
  });

  // ---- vocabulary

  const GRADES = [["Forgot", 1], ["Hard", 3], ["Good", 4], ["Easy", 5]];

  function vocabularyItem(item, withGrades) {
    const li = el("li", `vocab vocab-${item.stage}`);
    const head = el("div", "vocab-head");
    head.append(el("strong", "", item.term), el("span", `tag stage-${item.stage}`, item.stage));
    li.append(head);
    if (item.meaning) li.append(el("p", "muted", item.meaning));
    if (withGrades) {
      const grades = el("div", "grades");
      grades.setAttribute("role", "group");
      grades.setAttribute("aria-label", `How well did you know “${item.term}”?`);
      for (const [label, grade] of GRADES) {
        const button = el("button", "link grade", label);
        button.type = "button";
        button.addEventListener("click", () => review(item.id, grade));
        grades.append(button);
      }
      li.append(grades);
    }
    return li;
  }

  async function loadVocabulary() {
    try {
      const [due, all] = await Promise.all([api("vocabulary?due=true"), api("vocabulary")]);
      $("due-list").replaceChildren(...due.results.map((item) => vocabularyItem(item, true)));
      $("due-empty").hidden = due.count > 0;
      $("word-list").replaceChildren(...all.results.map((item) => vocabularyItem(item, false)));
      const stages = all.results.reduce((counts, item) => ({ ...counts, [item.stage]: (counts[item.stage] || 0) + 1 }), {});
      const breakdown = all.count === all.results.length
        ? `: ${stages.seen || 0} new, ${stages.practised || 0} practised, ${stages.mastered || 0} mastered` : "";
      $("vocabulary-summary").textContent = all.count ? `${all.count} word${all.count === 1 ? "" : "s"}${breakdown}.`
        : "Words from your lessons appear here as you meet them.";
    } catch (error) {
      $("vocabulary-summary").textContent = error.message;
    }
  }

  async function review(itemId, grade) {
    try {
      await api(`vocabulary/${itemId}/review`, { method: "POST", json: { grade } });
    } catch (error) {
      return showError(error.message);
    }
    loadVocabulary();
  }

  loadVocabulary();
})();
