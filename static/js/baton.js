// Baton's own behaviour, kept out of inline handlers so a strict CSP can forbid them.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});
