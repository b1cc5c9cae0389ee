// Bars and meters carry their width as data-width (a percentage): the Content-Security-Policy allows no inline
// style attribute, and styles set from a script are allowed.
document.querySelectorAll("[data-width]").forEach((el) => {
  el.style.width = Math.max(0, Math.min(100, Number(el.dataset.width) || 0)) + "%";
});
