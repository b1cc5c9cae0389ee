// Journal pages: the editor's mood slider, the crisis banner (also when a journal.crisis notification
// arrives), sentiment badges that fill in when an entry's analysis is done, and the journal page's mood chart.
// Nothing the user wrote is ever put into the page from here.
(function () {
  "use strict";

  // ---- the editor
  function localIso(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }
  document.querySelectorAll("[data-entry-form]").forEach((form) => {
    const slider = form.querySelector('input[name="mood"]');
    const output = form.querySelector("[data-mood-output]");
    const skip = form.querySelector('input[name="no_mood"]');
    const when = form.querySelector('input[name="written_at"]');
    function sync() {
      if (!slider) return;
      slider.disabled = !!(skip && skip.checked);
      if (output) output.textContent = slider.disabled ? "–" : slider.value;
      slider.setAttribute("aria-valuetext", slider.disabled ? "not rated" : `${slider.value} out of 10`);
    }
    slider && slider.addEventListener("input", sync);
    skip && skip.addEventListener("change", sync);
    sync();
    if (when) {
      when.min = "1900-01-01T00:00";
      when.max = localIso(new Date(Date.now() + 60000));
    }
    form.addEventListener("submit", () => {
      const button = form.querySelector('button[type="submit"]');
      if (button) { button.disabled = true; button.textContent = "Saving…"; }
    });
  });

  // ---- the crisis banner
  const banner = document.getElementById("crisis-banner");
  function openBanner() {
    if (!banner) return;
    const wasHidden = banner.hidden;
    banner.hidden = false;
    if (wasHidden) {
      banner.scrollIntoView({ behavior: "smooth", block: "start" });
      banner.focus({ preventScroll: true });
    }
  }
  if (banner) {
    banner.querySelector("[data-crisis-close]")?.addEventListener("click", () => { banner.hidden = true; });
    if (!banner.hidden) banner.focus({ preventScroll: true });
    document.addEventListener("meditrack:notification", (event) => {
      if (event.detail && event.detail.type === "journal.crisis") openBanner();
    });
  }

  // ---- analyses that are still running: check each pending entry until it is done
  const pending = new Map();
  document.querySelectorAll("[data-pending]").forEach((badge) => {
    const id = badge.dataset.pending;
    if (!pending.has(id)) pending.set(id, []);
    pending.get(id).push(badge);
  });
  const detailPending = document.querySelector("[data-pending-detail]");
  if (detailPending && !pending.has(detailPending.dataset.pendingDetail)) pending.set(detailPending.dataset.pendingDetail, []);

  function badgeFor(analysis) {
    const badge = document.createElement("span");
    badge.className = `badge badge-${analysis.sentiment_label}`;
    const icon = document.createElement("span");
    icon.className = "badge-icon";
    icon.setAttribute("aria-hidden", "true");
    badge.append(icon, analysis.sentiment_label);
    if (analysis.score !== null && analysis.score !== undefined) {
      badge.title = `Sentiment of the entry: ${analysis.score.toFixed(2)} on a scale from -1 to +1`;
    }
    return badge;
  }
  function emotionsFor(analysis) {
    const list = document.createElement("ul");
    list.className = "emotions";
    list.setAttribute("aria-label", "Top emotions");
    for (const emotion of analysis.emotions || []) {
      const item = document.createElement("li");
      item.className = "emotion";
      item.textContent = emotion.label;
      list.append(item);
    }
    return list;
  }

  function watch(id, badges) {
    const started = Date.now();
    async function check() {
      let entry = null;
      try {
        const response = await fetch(`/api/v1/journal/entries/${encodeURIComponent(id)}`,
          { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.status === 404 || response.status === 401 || response.status === 403) return;
        if (response.ok) entry = await response.json();
      } catch (error) { /* offline: try again later */ }
      const analysis = entry && entry.analysis;
      if (analysis && analysis.status === "done") {
        if (detailPending && detailPending.dataset.pendingDetail === id) { location.reload(); return; }
        for (const badge of badges) {
          const article = badge.closest(".entry");
          badge.replaceWith(badgeFor(analysis));
          const foot = article && article.querySelector(".entry-foot");
          if (foot && !foot.querySelector(".emotions") && (analysis.emotions || []).length) foot.prepend(emotionsFor(analysis));
        }
        document.dispatchEvent(new CustomEvent("journal:analysed", { detail: { entry_id: Number(id) } }));
        return;
      }
      const waited = Date.now() - started;
      if (waited < 10 * 60 * 1000) setTimeout(check, waited < 2 * 60 * 1000 ? 3000 : 10000);
    }
    setTimeout(check, 1500);
  }
  pending.forEach((badges, id) => watch(id, badges));

  // ---- the journal page's chart: daily sentiment and mood from the comprehensive insight
  const card = document.getElementById("journal-chart");
  const lib = window.JournalInsights;
  if (!card || !lib) return;
  const status = card.querySelector("[data-chart-status]");
  const box = card.querySelector(".chart-box");
  const details = card.querySelector(".chart-table");
  let drawn = false;
  function say(text) { status.hidden = !text; status.textContent = text || ""; }
  box.hidden = true;
  const loader = lib.loadInsight(card.dataset.insightUrl, "comprehensive", {
    onData(payload) {
      const result = payload.result;
      box.hidden = false;
      const ok = lib.sentimentChart(document.getElementById("mood-chart"), result, card.querySelector("[data-chart-table]"));
      box.hidden = !ok;
      details.hidden = !ok;
      drawn = drawn || ok;
      if (!result.entry_count) say("Your chart appears here once you have written a few entries.");
      else if (!ok && payload.pending_entries) say("Your entries are being analysed; the chart fills in shortly.");
      else if (!ok) say("Not enough to draw yet.");
      else if (payload.pending_entries) say(`${lib.plural(payload.pending_entries, "entry is", "entries are")} still being analysed; the chart will update.`);
      else say("");
    },
    onStatus(state) {
      say(drawn && state === "computing" ? "Updating…" : lib.STATUS_TEXT[state] || "");
    },
  });
  document.addEventListener("journal:analysed", () => {
    clearTimeout(card._reload);
    card._reload = setTimeout(() => loader.reload(), 1500);
  });
})();
