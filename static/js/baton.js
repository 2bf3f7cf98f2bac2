// Baton's own behaviour, kept out of inline handlers so a strict CSP can forbid them.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

// A copy button: data-copy-target names the input whose value it copies; the label says when it worked.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) {
    return;
  }
  const field = document.querySelector(button.dataset.copyTarget);
  if (!field) {
    return;
  }
  const label = button.querySelector("span") || button;
  const done = () => {
    const before = label.textContent;
    label.textContent = button.dataset.copiedText || "Copied";
    button.setAttribute("data-copied", "");
    setTimeout(() => {
      label.textContent = before;
      button.removeAttribute("data-copied");
    }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => {
      field.select();
    });
  } else {
    field.select();
    if (document.execCommand("copy")) {
      done();
    }
  }
});
