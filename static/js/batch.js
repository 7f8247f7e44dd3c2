// The batch form, enhanced: "Predict" uploads with a progress bar and shows the results without
// leaving the page, so the chosen file stays chosen for the download buttons. The server renders
// the results either way (model_service/web/batch.py); this script only moves them in.
// The download buttons are left to the browser: their answer is a file, and the page stays.
(function () {
  "use strict";

  const form = document.getElementById("batch-form");
  if (!form) return;
  const progress = document.getElementById("batch-progress");
  const bar = progress.querySelector("progress");
  const text = progress.querySelector("[data-progress-text]");
  const buttons = Array.from(form.querySelectorAll("button[type=submit]"));

  function busy(on) {
    buttons.forEach((button) => { button.disabled = on; });
    progress.hidden = !on;
  }

  function replaceFrom(html, id) {
    const fresh = new DOMParser().parseFromString(html, "text/html").getElementById(id);
    const here = document.getElementById(id);
    if (fresh && here) here.replaceWith(fresh);
    return document.getElementById(id);
  }

  function show(html) {
    const errors = replaceFrom(html, "batch-errors");
    const results = replaceFrom(html, "batch-results");
    // The returned form carries a fresh CSRF token only if the old one expired: keep ours.
    (errors && !errors.hidden ? errors : results).focus();
  }

  form.addEventListener("submit", (event) => {
    if (!event.submitter || event.submitter.value !== "html") return; // downloads: as usual
    event.preventDefault();
    const data = new FormData(form);
    data.set("output", "html");
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.responseType = "text";
    request.upload.addEventListener("progress", (step) => {
      if (!step.lengthComputable) return;
      bar.value = Math.round((step.loaded / step.total) * 100);
      text.textContent = "Uploading… " + bar.value + "%";
    });
    request.upload.addEventListener("load", () => {
      bar.removeAttribute("value"); // indeterminate: the model is at work
      text.textContent = "Predicting…";
    });
    request.addEventListener("load", () => {
      busy(false);
      if (request.getResponseHeader("Content-Type").startsWith("text/html")) show(request.response);
    });
    request.addEventListener("error", () => {
      busy(false);
      const errors = document.getElementById("batch-errors");
      errors.textContent = "The service could not be reached. Check the connection and try again.";
      errors.hidden = false;
      errors.focus();
    });
    bar.value = 0;
    text.textContent = "Uploading…";
    busy(true);
    request.send(data);
  });
})();
