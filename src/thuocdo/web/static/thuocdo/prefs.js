/* Display preferences: text size (A−/A/A+) and high contrast, kept in localStorage.
   Loaded in <head> so the page paints with the chosen settings from the start. */
(function () {
  "use strict";
  var root = document.documentElement;
  var SIZES = [0.875, 1, 1.125, 1.25, 1.5];
  function read(key, fallback) {
    try { var v = window.localStorage.getItem(key); return v === null ? fallback : v; }
    catch (e) { return fallback; }
  }
  function write(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ }
  }
  var sizeIndex = parseInt(read("thuocdo.textSize", "1"), 10);
  if (isNaN(sizeIndex) || sizeIndex < 0 || sizeIndex >= SIZES.length) { sizeIndex = 1; }
  function applySize() { root.style.setProperty("--text-scale", String(SIZES[sizeIndex])); }
  function applyContrast(on) { root.classList.toggle("high-contrast", on); }
  applySize();
  applyContrast(read("thuocdo.contrast", "off") === "on");

  document.addEventListener("DOMContentLoaded", function () {
    var contrastButton = document.querySelector("[data-contrast]");
    if (contrastButton) {
      contrastButton.setAttribute("aria-pressed", String(root.classList.contains("high-contrast")));
      contrastButton.addEventListener("click", function () {
        var on = !root.classList.contains("high-contrast");
        applyContrast(on);
        write("thuocdo.contrast", on ? "on" : "off");
        contrastButton.setAttribute("aria-pressed", String(on));
      });
    }
    document.querySelectorAll("[data-text-size]").forEach(function (button) {
      button.addEventListener("click", function () {
        var step = parseInt(button.getAttribute("data-text-size"), 10);
        sizeIndex = step === 0 ? 1 : Math.min(SIZES.length - 1, Math.max(0, sizeIndex + step));
        applySize();
        write("thuocdo.textSize", String(sizeIndex));
      });
    });
  });
})();
