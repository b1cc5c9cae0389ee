// While a document is being indexed, look again every few seconds and reload once none is.
(function () {
  const list = document.querySelector("[data-refresh-while-indexing]");
  if (!list) return;
  const url = list.dataset.refreshWhileIndexing;
  async function check() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const body = await response.json();
        const rows = Array.isArray(body) ? body : body.results || [];
        if (!rows.some((d) => d.status === "indexing")) { window.location.reload(); return; }
      }
    } catch (error) { /* offline for a moment: try again */ }
    setTimeout(check, 3000);
  }
  setTimeout(check, 3000);
})();
