// Colour mode (Bootstrap 5.3's data-bs-theme): the system's prefers-color-scheme, unless the
// person chose otherwise with the navbar's toggle; the choice is kept in localStorage.
//
// Loaded in <head> without defer, so the mode is set before the page is drawn (no flash of the
// light page); a file of its own, since the Content-Security-Policy allows no inline script.
// Only a choice that differs from the system's is stored: toggling back follows the system again.
(function () {
  "use strict";

  const KEY = "model-service-theme";
  const root = document.documentElement;
  const system = window.matchMedia("(prefers-color-scheme: dark)");

  function stored() {
    try {
      const value = localStorage.getItem(KEY);
      return value === "dark" || value === "light" ? value : null;
    } catch (error) {
      return null; // storage refused (privacy settings): follow the system
    }
  }

  function systemTheme() {
    return system.matches ? "dark" : "light";
  }

  function current() {
    return stored() || systemTheme();
  }

  function showToggle() {
    const toggle = document.querySelector("[data-theme-toggle]");
    if (!toggle) return;
    const dark = root.dataset.bsTheme === "dark";
    toggle.setAttribute("aria-pressed", String(dark));
    toggle.hidden = false;
  }

  function apply(theme) {
    root.dataset.bsTheme = theme;
    showToggle();
  }

  function choose(theme) {
    try {
      if (theme === systemTheme()) localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, theme);
    } catch (error) {
      // Not stored: the choice lasts for this page only.
    }
    apply(theme);
  }

  apply(current());
  system.addEventListener("change", () => apply(current()));

  document.addEventListener("DOMContentLoaded", () => {
    const toggle = document.querySelector("[data-theme-toggle]");
    if (!toggle) return;
    showToggle();
    toggle.addEventListener("click", () => {
      choose(root.dataset.bsTheme === "dark" ? "light" : "dark");
    });
  });
})();
