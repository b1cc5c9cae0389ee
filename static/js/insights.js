// Journal insights. Each insight is fetched from the JSON API: 200 draws it; 202 shows "Computing…" and fetches again
// when the "insight.ready" notification for that kind arrives, or every 3 s should the socket be down. Charts are
// Chart.js (vendored). Every word from the server goes into the page with textContent, never as HTML.
// window.JournalInsights is shared with journal.js (the journal page's chart).
(function () {
  "use strict";
  const DAY_MS = 86400000;
  const POLL_MS = 3000;
  const REFRESH_PENDING_MS = 15000; // while entries are still being analysed, the insight will change
  const GIVE_UP_MS = 10 * 60 * 1000;
  const C = {
    brand: "#0f766e", brandSoft: "rgba(15,118,110,.16)", brandDots: "rgba(15,118,110,.45)",
    mood: "#6d28d9", moodDots: "rgba(109,40,217,.35)", negative: "#b42318", neutral: "#667085", positive: "#067647",
    grid: "#e2e7ef", zero: "#98a2b3", muted: "#5f6b7d", bar: "#0f766e",
  };
  const LABEL_COLORS = { negative: C.negative, neutral: C.neutral, positive: C.positive };
  const reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  if (window.Chart) {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = C.muted;
    Chart.defaults.borderColor = C.grid;
    Chart.defaults.maintainAspectRatio = false;
    if (reducedMotion) Chart.defaults.animation = false;
  }

  // ---- dates: a day is its number since 1970-01-01 (UTC), so the x axis keeps the gaps between entries

  function dayNumber(iso) {
    return Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY_MS;
  }
  function isoOf(day) { return new Date(day * DAY_MS).toISOString().slice(0, 10); }
  function dayLabel(day, options) {
    return new Date(Math.round(day) * DAY_MS).toLocaleDateString(undefined,
      { day: "numeric", month: "short", timeZone: "UTC", ...(options || {}) });
  }
  function longDate(iso) {
    return dayLabel(dayNumber(iso), { year: "numeric", month: "long" });
  }
  function signed(x, digits) {
    if (x === null || x === undefined) return "–";
    const s = Number(x).toFixed(digits === undefined ? 2 : digits);
    return x > 0 ? "+" + s : s.replace("-", "−");
  }
  function percent(x) { return x === null || x === undefined ? "–" : Math.round(x * 100) + "%"; }
  function plural(n, one, many) { return `${n} ${n === 1 ? one : (many || one + "s")}`; }

  // The mean of the daily values within `window` calendar days ending on each day (a gap shortens the window).
  function rollingMean(points, window) {
    const out = [];
    let start = 0, sum = 0;
    for (let i = 0; i < points.length; i++) {
      sum += points[i].y;
      while (points[i].x - points[start].x >= window) { sum -= points[start].y; start++; }
      out.push({ x: points[i].x, y: sum / (i - start + 1) });
    }
    return out;
  }

  // ---- small DOM helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function table(container, headers, rows) {
    if (!container) return;
    const t = el("table", { class: "data-table" });
    t.append(el("thead", null, el("tr", null, ...headers.map((h) => el("th", { scope: "col", text: h })))));
    const body = el("tbody");
    for (const row of rows) body.append(el("tr", null, ...row.map((cell, i) => el(i ? "td" : "th", i ? null : { scope: "row" }, cell))));
    t.append(body);
    container.replaceChildren(t);
  }

  function chartOn(canvas, config) {
    if (!canvas || !window.Chart) return null;
    const old = Chart.getChart(canvas);
    if (old) old.destroy();
    return new Chart(canvas, config);
  }

  // ---- loading an insight

  function loadInsight(url, kind, handlers) {
    let timer = null, started = Date.now(), inflight = false, stopped = false;
    function later(ms) { clearTimeout(timer); timer = setTimeout(fetchOnce, ms); }
    async function fetchOnce() {
      if (inflight || stopped) return;
      inflight = true;
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.status === 200) {
          const payload = await response.json();
          started = Date.now();
          handlers.onData(payload);
          if (payload.pending_entries > 0) later(REFRESH_PENDING_MS);
        } else if (response.status === 202) {
          if (Date.now() - started > GIVE_UP_MS) { handlers.onStatus("slow"); stopped = true; return; }
          handlers.onStatus("computing");
          later(POLL_MS);
        } else if (response.status === 401 || response.status === 403) {
          handlers.onStatus("signed-out");
        } else {
          handlers.onStatus("error");
        }
      } catch (error) {
        handlers.onStatus("offline");
        later(POLL_MS * 3);
      } finally {
        inflight = false;
      }
    }
    document.addEventListener("meditrack:notification", (event) => {
      const detail = event.detail || {};
      if (detail.type === "insight.ready" && detail.kind === kind) { stopped = false; clearTimeout(timer); fetchOnce(); }
    });
    fetchOnce();
    return { reload() { started = Date.now(); stopped = false; clearTimeout(timer); fetchOnce(); } };
  }

  const STATUS_TEXT = {
    computing: "Computing… this takes a few seconds.",
    slow: "This is taking longer than usual. Try again in a few minutes.",
    error: "This could not be loaded. Try again in a moment.",
    offline: "You seem to be offline; trying again…",
    "signed-out": "Your session has ended. Log in again to see this.",
  };

  // ---- the sentiment and mood chart (journal page and insights page)

  function sentimentChart(canvas, result, tableBox) {
    const daily = (result.sentiment && result.sentiment.daily) || [];
    const dots = daily.map((d) => ({ x: dayNumber(d.date), y: d.mean_score }));
    const rolling = daily.map((d) => ({ x: dayNumber(d.date), y: d.rolling_mean }));
    const moodDaily = (result.mood && result.mood.daily) || [];
    const moodDots = moodDaily.map((d) => ({ x: dayNumber(d.date), y: d.mean_mood }));
    const moodRolling = rollingMean(moodDots, (result.sentiment && result.sentiment.rolling_window_days) || 7);
    const xs = dots.concat(moodDots).map((p) => p.x);
    if (!xs.length) return false;
    const many = xs.length > 120;
    const narrow = canvas.clientWidth < 500;
    // A journal of a few days still gets a week-wide axis, so its points do not sit on the edges.
    const pad = Math.max(0, (7 - (Math.max(...xs) - Math.min(...xs))) / 2);
    const xMin = Math.min(...xs) - pad, xMax = Math.max(...xs) + pad;
    const span = xMax - xMin;
    const datasets = [
      { label: "Sentiment, 7-day average", data: rolling, yAxisID: "y", borderColor: C.brand, backgroundColor: C.brand,
        borderWidth: 2.5, pointRadius: 0, pointStyle: "line", cubicInterpolationMode: "monotone", order: 1 },
      { label: "Sentiment of the day", data: dots, yAxisID: "y", showLine: false, pointStyle: "circle",
        pointRadius: many ? 1.8 : 3, backgroundColor: C.brandDots, borderColor: C.brandDots, clip: false, order: 3 },
    ];
    if (moodDots.length) {
      datasets.push(
        { label: "Your mood, 7-day average", data: moodRolling, yAxisID: "mood", borderColor: C.mood,
          backgroundColor: C.mood, borderDash: [6, 4], borderWidth: 2, pointRadius: 0, pointStyle: "line", cubicInterpolationMode: "monotone", order: 2 },
        { label: "Your mood that day", data: moodDots, yAxisID: "mood", showLine: false, pointStyle: "triangle",
          pointRadius: many ? 2 : 3.5, backgroundColor: C.moodDots, borderColor: C.moodDots, clip: false, order: 4 });
    }
    chartOn(canvas, {
      type: "line",
      data: { datasets },
      options: {
        parsing: false, normalized: true, animation: many || reducedMotion ? false : undefined,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 10, padding: narrow ? 6 : 10,
                                                   font: { size: narrow ? 11 : 12 } } },
          tooltip: { callbacks: {
            title: (items) => items.length ? dayLabel(items[0].parsed.x, { year: "numeric", weekday: "short" }) : "",
            label: (item) => `${item.dataset.label}: ${item.dataset.yAxisID === "mood" ? item.parsed.y.toFixed(1) + "/10" : signed(item.parsed.y)}`,
          } },
        },
        scales: {
          x: { type: "linear", min: xMin, max: xMax,
               ticks: { maxTicksLimit: 7, precision: 0, callback: (v) => dayLabel(v, span > 300 ? { year: "2-digit" } : null) },
               grid: { display: false } },
          y: { min: -1, max: 1, title: { display: !narrow, text: "Sentiment" },
               ticks: { stepSize: 0.5, callback: (v) => narrow ? signed(v, v % 1 ? 1 : 0)
                 : v === 1 ? "+1 positive" : v === -1 ? "−1 negative" : signed(v, 1) },
               grid: { color: (ctx) => ctx.tick && ctx.tick.value === 0 ? C.zero : C.grid } },
          ...(moodDots.length ? { mood: { position: "right", min: 1, max: 10, title: { display: !narrow, text: "Mood (1–10)" },
                                        grid: { display: false }, ticks: { stepSize: 3 } } } : {}),
        },
      },
    });
    if (tableBox) {
      const moodByDay = new Map(moodDaily.map((d) => [d.date, d.mean_mood]));
      const days = new Set(daily.map((d) => d.date).concat(moodDaily.map((d) => d.date)));
      const byDay = new Map(daily.map((d) => [d.date, d]));
      const rows = [...days].sort().reverse().slice(0, 90).map((iso) => {
        const d = byDay.get(iso);
        return [longDate(iso), d ? signed(d.mean_score) : "–", d ? signed(d.rolling_mean) : "–",
                moodByDay.has(iso) ? moodByDay.get(iso).toFixed(1) : "–", d ? d.entries : "–"];
      });
      table(tableBox, ["Day", "Sentiment", "7-day average", "Mood", "Entries"], rows);
    }
    return true;
  }

  window.JournalInsights = { loadInsight, sentimentChart, STATUS_TEXT, el, dayNumber, signed, plural };

  // ---- the insights page

  const root = document.getElementById("insights");
  if (!root) return;
  const entryDates = JSON.parse(document.getElementById("entry-dates").textContent || "{}");
  const entryUrl = (id) => root.dataset.entryUrl.replace("/0/", `/${id}/`);
  const searchUrl = (params) => `${root.dataset.searchUrl}?${new URLSearchParams(params)}`;
  let comprehensive = null, predictive = null;

  // Links to entries named by their date (in `format`), with the time when two of them share a day.
  function entryLinks(ids, max, format) {
    const shown = ids.filter((id) => entryDates[id]).slice(0, max || 6);
    const list = el("ul", { class: "entry-links" });
    const label = (id) => dayLabel(dayNumber(entryDates[id]), format || { year: "numeric" });
    const labels = shown.map(label);
    shown.forEach((id, i) => {
      const twice = labels.indexOf(labels[i]) !== labels.lastIndexOf(labels[i]);
      const text = twice ? `${labels[i]}, ${entryDates[id].slice(11, 16)}` : labels[i];
      list.append(el("li", null, el("a", { href: entryUrl(id), text })));
    });
    const rest = ids.filter((id) => entryDates[id]).length - shown.length;
    if (rest > 0) list.append(el("li", { class: "muted", text: `and ${rest} more` }));
    return shown.length ? list : null;
  }

  function section(kind) {
    const node = document.getElementById(`insight-${kind}`);
    return { node, status: node.querySelector("[data-status]"), body: node.querySelector("[data-body]"), loaded: false };
  }
  const sections = { comprehensive: section("comprehensive"), predictive: section("predictive"), profile: section("profile") };

  function setStatus(s, state, extra) {
    if (state === "ok") {
      s.status.hidden = !extra;
      s.status.replaceChildren(extra || "");
      return;
    }
    s.status.hidden = false;
    const busy = state === "computing" || state === "offline";
    const text = s.loaded && state === "computing" ? "Updating with your latest entries…" : STATUS_TEXT[state] || state;
    s.status.replaceChildren(...(busy ? [el("span", { class: "spinner", "aria-hidden": "true" }), " "] : []), text);
    if (state === "error" || state === "slow") {
      const retry = el("button", { type: "button", class: "link retry", text: "Try again" });
      retry.addEventListener("click", () => loaders[s.node.dataset.kind].reload());
      s.status.append(" ", retry);
    }
  }

  function pendingNote(payload) {
    return payload.pending_entries > 0
      ? `${plural(payload.pending_entries, "entry is", "entries are")} still being analysed; this will update by itself.` : "";
  }

  // -- comprehensive

  function renderComprehensive(payload) {
    const r = payload.result;
    const s = sections.comprehensive;
    if (!r.entry_count) {
      s.body.hidden = true;
      setStatus(s, "ok", "Your insights appear once you have written a few entries.");
      return;
    }
    s.body.hidden = false;
    setStatus(s, "ok", pendingNote(payload));
    const stats = s.node.querySelector("[data-stats]");
    const items = [
      ["Entries", r.entry_count],
      ["Period", !r.period ? "–" : r.period.first === r.period.last ? dayLabel(dayNumber(r.period.first), { year: "numeric" })
        : `${dayLabel(dayNumber(r.period.first), { year: "numeric" })} – ${dayLabel(dayNumber(r.period.last), { year: "numeric" })}`],
      ["Average tone", r.sentiment.mean_score === null ? "–" : `${signed(r.sentiment.mean_score)} (${toneWord(r.sentiment.mean_score)})`],
      ["Average mood", r.mood ? `${r.mood.mean_mood.toFixed(1)} / 10` : "not rated"],
      ["Typical length", r.patterns.length_words ? `${Math.round(r.patterns.length_words.median)} words` : "–"],
    ];
    stats.replaceChildren(...items.map(([k, v]) => el("div", { class: "stat" }, el("dt", { text: k }), el("dd", { text: v }))));

    const drew = sentimentChart(document.getElementById("chart-sentiment"), r, s.node.querySelector('[data-table="sentiment"]'));
    document.getElementById("chart-sentiment").closest(".chart-card").hidden = !drew;

    // distribution
    const counts = r.labels.counts;
    const names = ["positive", "neutral", "negative"];
    chartOn(document.getElementById("chart-labels"), {
      type: "doughnut",
      data: { labels: names.map(cap), datasets: [{ data: names.map((n) => counts[n]), backgroundColor: names.map((n) => LABEL_COLORS[n]), borderColor: "#fff", borderWidth: 2 }] },
      options: { cutout: "62%", plugins: { legend: { display: false }, tooltip: { callbacks: { label: (i) => `${i.label}: ${plural(i.parsed, "entry", "entries")}` } } } },
    });
    s.node.querySelector("[data-labels]").replaceChildren(...names.map((n) =>
      el("li", { class: `label-item label-${n}` }, el("span", { class: `badge badge-${n}` }, el("span", { class: "badge-icon", "aria-hidden": "true" }), n),
         ` ${plural(counts[n], "entry", "entries")} (${percent(r.labels.shares[n])})`)));

    // emotions
    const emotions = r.top_emotions || [];
    const emotionCard = document.getElementById("chart-emotions").closest(".chart-card");
    emotionCard.hidden = !emotions.length;
    chartOn(document.getElementById("chart-emotions"), {
      type: "bar",
      data: { labels: emotions.map((e) => cap(e.label)), datasets: [{ label: "Average strength", data: emotions.map((e) => Math.round(e.mean_score * 100)), backgroundColor: C.bar, borderRadius: 6 }] },
      options: { indexAxis: "y", plugins: { legend: { display: false }, tooltip: { callbacks: {
        label: (i) => `${i.parsed.x}% on average · in ${plural(emotions[i.dataIndex].entries, "entry", "entries")}, strongest in ${emotions[i.dataIndex].first_in}` } } },
        scales: { x: { beginAtZero: true, ticks: { callback: (v) => v + "%" } }, y: { grid: { display: false } } } },
    });
    table(s.node.querySelector('[data-table="emotions"]'), ["Emotion", "Average strength", "Entries listing it", "Strongest in"],
          emotions.map((e) => [cap(e.label), percent(e.mean_score), e.entries, e.first_in]));

    renderThemes(s.node.querySelector("[data-themes]"), r.themes);

    // writing patterns
    patternChart("chart-time", r.patterns.time_of_day, s.node.querySelector('[data-table="time"]'), "Time of day");
    patternChart("chart-weekday", r.patterns.weekday, s.node.querySelector('[data-table="weekday"]'), "Day");

    renderWeeks(s.node.querySelector("[data-weeks]"), r.weeks);
    s.loaded = true;
    if (predictive) renderForecast(predictive.result);
  }

  function toneWord(score) { return score > 0.09 ? "positive" : score < -0.09 ? "negative" : "neutral"; }
  function cap(text) { return text ? text.charAt(0).toUpperCase() + text.slice(1) : ""; }

  function patternChart(id, groups, tableBox, heading) {
    const names = Object.keys(groups);
    chartOn(document.getElementById(id), {
      type: "bar",
      data: { labels: names.map((n) => cap(id === "chart-weekday" ? n.slice(0, 3) : n)),
              datasets: [{ label: "Entries", data: names.map((n) => groups[n].entries), borderRadius: 6,
                           backgroundColor: names.map((n) => toneColor(groups[n].mean_score)) }] },
      options: { plugins: { legend: { display: false }, tooltip: { callbacks: {
        title: (items) => cap(names[items[0].dataIndex]),
        label: (i) => `${plural(i.parsed.y, "entry", "entries")} · average tone ${signed(groups[names[i.dataIndex]].mean_score)}` } } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Entries" } }, x: { grid: { display: false } } } },
    });
    table(tableBox, [heading, "Entries", "Average tone"],
          names.map((n) => [cap(n), groups[n].entries, groups[n].mean_score === null ? "–" : `${signed(groups[n].mean_score)} (${toneWord(groups[n].mean_score)})`]));
  }

  function toneColor(score) {
    if (score === null || score === undefined) return "#d0d5dd";
    return score > 0.09 ? "rgba(6,118,71,.75)" : score < -0.09 ? "rgba(180,35,24,.7)" : "rgba(102,112,133,.65)";
  }

  function renderThemes(box, themes) {
    if (!themes || themes.status !== "ok" || !themes.items.length) {
      const why = themes && themes.status === "no_distinct_themes"
        ? "Your entries do not fall into clearly separate subjects yet."
        : "Themes appear once at least six entries have been analysed.";
      box.replaceChildren(el("p", { class: "muted", text: why }));
      return;
    }
    box.replaceChildren(...themes.items.map((theme) => {
      const words = el("ul", { class: "keywords", "aria-label": "Words of this theme" },
        ...theme.keywords.map((w) => el("li", null, el("a", { href: searchUrl({ q: w }), text: w, title: `Find the entries with "${w}"` }))));
      const tone = theme.label
        ? el("span", { class: `badge badge-${theme.label}` }, el("span", { class: "badge-icon", "aria-hidden": "true" }), `mostly ${theme.label}`)
        : null;
      return el("article", { class: "theme-card" },
        el("header", null, el("strong", { class: "theme-count", text: plural(theme.entries, "entry", "entries") }),
           el("span", { class: "muted", text: ` · ${percent(theme.share)} of analysed` }), " ", tone),
        words,
        theme.representative_ids.length ? el("p", { class: "muted small", text: "For example:" }) : null,
        entryLinks(theme.representative_ids, 3));
    }));
  }

  function renderWeeks(box, weeks) {
    if (!weeks || !weeks.best || !weeks.worst) {
      box.replaceChildren(el("div", { class: "card" }, el("h3", { text: "Best and hardest weeks" }),
        el("p", { class: "muted", text: `These appear once at least two weeks each have ${weeks ? weeks.min_entries : 2} or more analysed entries.` })));
      return;
    }
    const card = (week, title, cls) => {
      const start = dayNumber(week.start);
      return el("article", { class: `card week-card ${cls}` },
        el("h3", { text: title }),
        el("p", { class: "week-range", text: `${dayLabel(start, { weekday: "short", year: "numeric" })} – ${dayLabel(start + 6, { weekday: "short", year: "numeric" })}` }),
        el("p", null, `Average tone ${signed(week.mean_score)} (${toneWord(week.mean_score)}) over ${plural(week.entries, "entry", "entries")}.`),
        entryLinks(week.entry_ids, 7, { weekday: "short", day: "numeric" }),
        el("a", { href: searchUrl({ from: isoOf(start), to: isoOf(start + 6) }), text: "Read that week's entries →" }));
    };
    box.replaceChildren(card(weeks.best, "Your best week", "week-best"), card(weeks.worst, "Your hardest week", "week-worst"));
  }

  // -- predictive

  const SEVERITY = { high: "High", medium: "Medium", low: "Low" };
  const CHECKS = { negative_trend: "Falling tone", rising_volatility: "Bigger ups and downs", sleep_complaints: "Sleep",
                   stress_complaints: "Stress", crisis_language: "Words about self-harm" };
  const CHECK_STATUS = { flagged: "worth a look", clear: "nothing stands out", insufficient_data: "not enough recent entries to tell" };

  function chance(p) {
    if (p === null || p === undefined) return "";
    if (p < 0.001) return "Less than a 1 in 1,000 chance that this is random.";
    if (p < 0.01) return "Less than a 1 in 100 chance that this is random.";
    return "Less than a 1 in 20 chance that this is random.";
  }

  function evidenceText(factor) {
    const e = factor.evidence || {};
    switch (factor.code) {
      case "negative_trend":
        return `Between ${longDate(e.window.from)} and ${longDate(e.window.to)}, the average tone of your entries fell by about ` +
          `${Math.abs(e.change_over_window).toFixed(2)} on a scale from −1 to +1 (${plural(e.days, "day")} with entries). ${chance(e.p_value_falling)}`;
      case "rising_volatility":
        return `In the last two weeks your day-to-day ups and downs were ${Number(e.ratio).toFixed(1)} times as large as in the two weeks ` +
          `before (a spread of ${Number(e.recent_std).toFixed(2)} against ${Number(e.previous_std).toFixed(2)}).`;
      case "sleep_complaints":
        return `Trouble sleeping came up in ${plural(e.entries, "entry", "entries")} on ${plural(e.days, "different day")} in the last ${e.window_days} days.`;
      case "stress_complaints":
        return `Stress or feeling overwhelmed came up in ${plural(e.entries, "entry", "entries")} on ${plural(e.days, "different day")} in the last ${e.window_days} days.`;
      case "crisis_language":
        return `In the last ${e.window_days} days, ${plural(e.entries, "entry", "entries")} used words about self-harm or not wanting to live` +
          `${e.last_date ? `, most recently on ${longDate(e.last_date)}` : ""}. If you feel that way now, you do not have to go through it alone.`;
      default:
        return "";
    }
  }

  function renderPredictive(payload) {
    predictive = payload;
    const r = payload.result;
    const s = sections.predictive;
    s.body.hidden = false;
    setStatus(s, "ok", pendingNote(payload));
    const risks = s.node.querySelector("[data-risks]");
    if (!r.risk_factors.length) {
      risks.replaceChildren(el("p", { class: "calm card", text: r.insufficient_data
        ? "There are not enough recent entries to look for patterns yet. Keep writing: a few entries a week are enough."
        : "Nothing stands out in the last two weeks." }));
    } else {
      risks.replaceChildren(...r.risk_factors.map((factor) => {
        const card = el("article", { class: `card risk-card severity-${factor.severity}` },
          el("header", null,
             el("span", { class: `severity severity-${factor.severity}` }, el("span", { class: "severity-icon", "aria-hidden": "true" }),
                `${SEVERITY[factor.severity] || factor.severity} attention`),
             el("h3", { text: factor.title })),
          el("p", { text: evidenceText(factor) }));
        const ids = (factor.evidence && factor.evidence.entry_ids) || [];
        if (ids.length) card.append(el("p", { class: "muted small", text: "The entries behind it:" }), entryLinks(ids.slice().reverse(), 8, { weekday: "short", month: "short" }));
        if (factor.code === "crisis_language") {
          card.append(document.getElementById("resources-template").content.cloneNode(true));
        }
        return card;
      }));
    }
    const checks = s.node.querySelector("[data-checks]");
    checks.replaceChildren(...Object.entries(r.checks).map(([code, status]) =>
      el("li", { class: `check-${status}` }, el("span", { class: "check-icon", "aria-hidden": "true" }),
         el("strong", { text: CHECKS[code] || code }), `: ${CHECK_STATUS[status] || status}`)));
    renderForecast(r);
    s.loaded = true;
  }

  function renderForecast(r) {
    const f = r.forecast;
    const card = document.getElementById("chart-forecast").closest(".chart-card");
    const note = card.querySelector("[data-forecast-note]");
    const box = card.querySelector(".chart-box");
    if (f.insufficient_data || !f.points.length) {
      box.hidden = true;
      card.querySelector(".chart-table").hidden = true;
      note.textContent = `A forecast needs at least 5 days with entries in the last ${Math.round(f.history_days / 7)} weeks.`;
      return;
    }
    box.hidden = false;
    card.querySelector(".chart-table").hidden = false;
    const isMood = f.scale === "mood";
    note.textContent = (isMood ? "Your mood rating (1–10)" : "The tone of your entries (−1 to +1)") +
      ` over the last ${Math.round(f.history_days / 7)} weeks (solid), and where its recent trend points (dashed). ` +
      `The shaded band is where ${Math.round(f.interval * 100)}% of days are likely to fall. A trend, not a prophecy.`;
    const first = dayNumber(f.points[0].date);
    let history = [];
    if (comprehensive) {
      const series = isMood ? (comprehensive.result.mood ? comprehensive.result.mood.daily : []) : comprehensive.result.sentiment.daily;
      history = series.map((d) => ({ x: dayNumber(d.date), y: isMood ? d.mean_mood : d.mean_score }))
        .filter((p) => p.x >= first - 1 - f.history_days && p.x < first);
    }
    const predicted = f.points.map((p) => ({ x: dayNumber(p.date), y: p.predicted }));
    const low = f.points.map((p) => ({ x: dayNumber(p.date), y: p.low }));
    const high = f.points.map((p) => ({ x: dayNumber(p.date), y: p.high }));
    const fmt = (v) => isMood ? v.toFixed(1) : signed(v);
    chartOn(document.getElementById("chart-forecast"), {
      type: "line",
      data: { datasets: [
        { label: "Likely range (low)", data: low, borderWidth: 0, pointRadius: 0, fill: false, backgroundColor: C.brandSoft },
        { label: "Likely range", data: high, borderWidth: 0, pointRadius: 0, fill: "-1", backgroundColor: C.brandSoft },
        { label: "Forecast", data: history.length ? [history[history.length - 1], ...predicted] : predicted,
          borderColor: C.brand, borderDash: [6, 4], borderWidth: 2, pointRadius: 3, pointStyle: "rectRot", backgroundColor: C.brand, clip: false },
        { label: isMood ? "Your mood" : "Tone of your entries", data: history, borderColor: isMood ? C.mood : C.brand,
          backgroundColor: isMood ? C.mood : C.brand, borderWidth: 2, pointRadius: 2.5, clip: false },
      ] },
      options: {
        parsing: false, interaction: { mode: "nearest", axis: "x", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 10, filter: (item) => item.datasetIndex !== 0 } },
          tooltip: { filter: (item) => item.datasetIndex !== 0, callbacks: {
            title: (items) => items.length ? dayLabel(items[0].parsed.x, { weekday: "short" }) : "",
            label: (item) => item.datasetIndex === 1
              ? `Likely between ${fmt(low[item.dataIndex].y)} and ${fmt(item.parsed.y)}`
              : `${item.dataset.label}: ${fmt(item.parsed.y)}` } },
        },
        scales: {
          x: { type: "linear", min: history.length ? history[0].x : first, max: predicted[predicted.length - 1].x,
               ticks: { maxTicksLimit: 8, stepSize: 7, callback: (v) => dayLabel(v) }, grid: { display: false } },
          y: { min: f.range[0], max: f.range[1], title: { display: true, text: isMood ? "Mood (1–10)" : "Tone" } },
        },
      },
    });
    table(card.querySelector('[data-table="forecast"]'), ["Day", "Forecast", "Likely range"],
          f.points.map((p) => [dayLabel(dayNumber(p.date), { weekday: "long" }), fmt(p.predicted), `${fmt(p.low)} to ${fmt(p.high)}`]));
  }

  // -- reflective profile

  const PROFILE_SECTIONS = [
    ["recurring_concerns", "What weighs on you", "Nothing recurring stands out."],
    ["coping_strategies", "What helps you cope", "No pattern of what helps yet; it appears as you write about it."],
    ["sources_of_energy", "What gives you energy", "Nothing clear yet."],
  ];

  function renderProfile(payload) {
    const r = payload.result;
    const s = sections.profile;
    s.body.hidden = false;
    setStatus(s, "ok", pendingNote(payload));
    s.node.querySelector("[data-profile]").replaceChildren(...PROFILE_SECTIONS.map(([key, title, none]) => {
      const items = r[key] || [];
      return el("article", { class: `card profile-section profile-${key}` }, el("h3", { text: title }),
        items.length
          ? el("ul", { class: "statements" }, ...items.map((item) => el("li", null,
              el("p", { text: item.statement }),
              el("div", { class: "cites" }, el("span", { class: "muted small", text: "Based on: " }), entryLinks(item.entry_ids, 5)))))
          : el("p", { class: "muted", text: none }));
    }));
    const source = s.node.querySelector("[data-profile-source]");
    source.textContent = r.generated_by === "facts" || !r.generated_by
      ? "Put together from the patterns in your entries."
      : `Written by a language model (${r.generated_by}) from excerpts of your entries; every statement cites entries of yours.`;
    s.loaded = true;
  }

  const renderers = {
    comprehensive: (payload) => { comprehensive = payload; renderComprehensive(payload); },
    predictive: renderPredictive,
    profile: renderProfile,
  };
  const loaders = {};
  for (const kind of Object.keys(sections)) {
    const s = sections[kind];
    loaders[kind] = loadInsight(s.node.dataset.url, kind, {
      onData: (payload) => {
        try { renderers[kind](payload); } catch (error) { setStatus(s, "error"); console.error(error); }
      },
      onStatus: (state) => setStatus(s, state),
    });
  }
})();
