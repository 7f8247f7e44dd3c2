// "Copy" buttons: [data-copy] names the element whose text goes to the clipboard.
(function () {
  "use strict";

  function selectText(element) {
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("[data-copy]").forEach((button) => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent);
        button.textContent = "Copied";
      } catch (error) {
        // No clipboard access (an insecure origin, or permission refused): select it instead.
        selectText(source);
        button.textContent = "Selected: press Ctrl+C";
      }
    });
  });
})();
