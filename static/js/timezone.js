// Fills a form's hidden time_zone field with the browser's own (an IANA name such as "Europe/Berlin").
(function () {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll('input[name="time_zone"]').forEach((input) => {
    if (!input.value && zone) input.value = zone;
  });
})();
