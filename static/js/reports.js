// Report pages: "generate report" posts to the API and shows live progress from the notification
// socket (notifications.js dispatches a `meditrack:notification` event per message), with a slow
// poll as a safety net for events sent before the socket connected; the report page follows an
// unfinished report the same way and reloads when it is ready.
(function () {
  const STEPS = ["queued", "computing_facts", "writing", "checking", "done"];
  const LABELS = {
    queued: "Waiting for a worker…",
    computing_facts: "Computing the facts…",
    writing: "The model is writing the summary…",
    checking: "Checking every number against the facts…",
    done: "Done.",
  };
  const POLL_MS = 4000;
  const box = document.getElementById("report-progress");

  function render(status, progress, message) {
    if (!box) return;
    box.hidden = false;
    const bar = box.querySelector(".progress-bar");
    const pct = Math.max(0, Math.min(100, Number(progress) || 0));
    bar.setAttribute("aria-valuenow", String(pct));
    bar.querySelector("span").style.width = pct + "%";
    const at = STEPS.indexOf(status);
    box.querySelectorAll("[data-step]").forEach((li) => {
      const i = STEPS.indexOf(li.dataset.step);
      li.classList.toggle("done", at >= 0 && (i < at || status === "done"));
      li.classList.toggle("active", i === at && status !== "done");
    });
    box.querySelector("#progress-message").textContent = message || LABELS[status] || "";
    box.querySelector("#progress-error").hidden = status !== "failed";
  }

  function watch(reportId, onDone) {
    let finished = false;
    let last = -1;
    function update(status, progress, message) {
      if (finished) return;
      if (status !== "failed" && status !== "done" && Number(progress) < last) return; // stale poll answer
      last = Number(progress);
      render(status, progress, message);
      if (status === "done") { finished = true; onDone(); }
      if (status === "failed") finished = true;
    }
    document.addEventListener("meditrack:notification", (e) => {
      const event = e.detail || {};
      if (String(event.report_id) !== String(reportId)) return;
      if (event.type === "report.ready") update("done", 100);
      else if (event.type === "report.failed") update("failed", last);
      else if (event.type === "report.progress") update(event.status, event.progress, event.message);
    });
    async function poll() {
      if (finished) return;
      try {
        const response = await fetch(`/api/v1/reports/${reportId}`, { credentials: "same-origin" });
        if (response.ok) {
          const report = await response.json();
          update(report.status, report.progress);
        }
      } catch (err) { /* offline for a moment: the next poll tries again */ }
      if (!finished) setTimeout(poll, POLL_MS);
    }
    setTimeout(poll, POLL_MS);
  }

  const form = document.getElementById("report-form");
  if (form && window.fetch) {
    const errorBox = document.getElementById("form-error");
    const button = document.getElementById("generate");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      form.querySelectorAll("small.error.js").forEach((el) => el.remove());
      errorBox.hidden = true;
      button.disabled = true;
      const value = (name) => form.elements[name].value;
      const checked = (name) => form.elements[name].checked;
      const body = {
        patient_id: form.dataset.patient,
        date_range: { from: value("date_from"), to: value("date_to") },
        options: {
          include_vitals: checked("include_vitals"),
          include_medications: checked("include_medications"),
          include_journal: checked("include_journal"),
        },
      };
      let response;
      try {
        response = await fetch("/api/v1/ai-analysis/generate", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf },
          body: JSON.stringify(body),
        });
      } catch (err) {
        errorBox.textContent = "Could not reach the server. Try again.";
        errorBox.hidden = false;
        button.disabled = false;
        return;
      }
      const data = await response.json().catch(() => ({}));
      if (response.status !== 202) {
        const error = data.error || {};
        const fields = error.fields || {};
        const inputs = {
          "date_range.from": "date_from", "date_range.to": "date_to", date_range: "date_from",
          options: "include_vitals",
        };
        Object.entries(fields).forEach(([name, messages]) => {
          const input = form.elements[inputs[name]];
          if (!input) return;
          const small = document.createElement("small");
          small.className = "error js";
          small.textContent = messages.join(" ");
          (input.closest("label.check") || input).after(small);
        });
        errorBox.textContent = error.detail || "The report could not be requested.";
        errorBox.hidden = false;
        button.disabled = false;
        return;
      }
      const open = () => { window.location.href = `/reports/${data.report_id}/`; };
      if (data.status === "done") return open(); // the same request a moment ago: its report is ready
      render(data.status, 0);
      box.scrollIntoView({ behavior: "smooth", block: "nearest" });
      if (data.status === "failed") { button.disabled = false; return; }
      watch(data.report_id, open);
    });
  }

  const report = document.getElementById("report");
  if (report && report.dataset.finished === "0" && box) {
    render(box.dataset.status, box.dataset.progress);
    watch(report.dataset.report, () => window.location.reload());
  }

  const print = document.getElementById("print");
  if (print) print.addEventListener("click", () => window.print());
})();
