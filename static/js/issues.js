// The hot-issue pages' behaviour, kept out of inline scripts and handlers so a strict CSP can forbid them.
(() => {
  // A read-only field marked data-select-on-click selects its whole value when clicked (the tracking link).
  document.addEventListener("click", (event) => {
    const field = event.target.closest("[data-select-on-click]");
    if (field) {
      field.select();
    }
  });

  // Keep the log's CSV link in step with the filters after htmx updates the address.
  document.body.addEventListener("htmx:pushedIntoHistory", () => {
    const link = document.getElementById("export-link");
    if (link) {
      link.href = link.href.split("?")[0] + window.location.search.replace(/([?&])page=\d+&?/, "$1");
    }
  });
})();
