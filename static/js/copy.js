// "Copy" buttons: [data-copy] names the element whose text goes to the clipboard. The text is
// read when the button is pressed, so a result the page has just shown is what is copied.
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
    const label = button.textContent;
    let timer = null;
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
      clearTimeout(timer);
      timer = setTimeout(() => { button.textContent = label; }, 2500);
    });
  });
})();
