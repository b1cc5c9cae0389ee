// Shows the user's own events (progress, "insight ready", "report ready") as toasts,
// reconnecting with backoff when the socket drops.
(function () {
  const box = document.getElementById("notifications");
  if (!box || !("WebSocket" in window)) return;
  let delay = 1000;
  function toast(event) {
    // Progress is for the page that shows it; a toast for every step would be noise.
    if (!event.type || !event.type.endsWith(".progress")) show(event);
    document.dispatchEvent(new CustomEvent("meditrack:notification", { detail: event }));
  }
  function show(event) {
    const el = document.createElement("div");
    el.className = "toast";
    el.textContent = event.message || event.type || "Update";
    box.appendChild(el);
    setTimeout(() => el.remove(), 6000);
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/notifications/`);
    ws.onopen = () => { delay = 1000; };
    ws.onmessage = (msg) => toast(JSON.parse(msg.data));
    ws.onclose = (e) => {
      if (e.code === 4401) return; // signed out: nothing to reconnect to
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
