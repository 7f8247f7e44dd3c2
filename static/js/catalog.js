// The catalog's filter, as one types. Without this script the filter is a GET form the server
// reads (model_service/web/catalog_view.py: matches); the rule is the same: every word of the
// query appears in the card's data-search text (written in lower case by the server).
(function () {
  "use strict";

  const filter = document.getElementById("catalog-filter");
  if (!filter) return;
  const input = document.getElementById("catalog-query");
  const count = document.getElementById("catalog-count");
  const empty = document.getElementById("catalog-empty");
  const items = Array.from(document.querySelectorAll("#catalog-models > li[data-search]"));
  const total = Number(count.dataset.total);

  function apply() {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    items.forEach((item) => {
      const match = words.every((word) => item.dataset.search.includes(word));
      item.hidden = !match;
      if (match) shown += 1;
    });
    count.textContent = shown === total
      ? total + (total === 1 ? " model" : " models")
      : shown + " of " + total + " models";
    empty.hidden = shown > 0;
  }

  filter.querySelector("[data-filter-submit]").hidden = true; // filtering is live now
  filter.addEventListener("submit", (event) => event.preventDefault());
  input.addEventListener("input", () => {
    apply();
    // Keep the address in step, so a reload or a shared link shows the same filter.
    const url = new URL(window.location.href);
    if (input.value.trim()) url.searchParams.set("q", input.value.trim());
    else url.searchParams.delete("q");
    history.replaceState(null, "", url);
  });
  apply();
})();
