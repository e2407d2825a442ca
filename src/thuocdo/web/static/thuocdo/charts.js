// Thước đo charts: the SVG is drawn by the server; this only adds the "table view" toggle.
// Without JavaScript the tables stay visible under each chart.
(function () {
  "use strict";
  document.documentElement.classList.add("js-charts");
  function ready() {
    var buttons = document.querySelectorAll("button.chart-toggle");
    Array.prototype.forEach.call(buttons, function (button) {
      var table = document.getElementById(button.getAttribute("aria-controls"));
      if (!table) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var open = table.classList.toggle("is-open");
        button.setAttribute("aria-expanded", open ? "true" : "false");
        button.textContent = open ? button.dataset.hide : button.dataset.show;
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
