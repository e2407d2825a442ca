// "Chọn tất cả": a checkbox with data-select-all="NAME" ticks every enabled checkbox
// named NAME in its form, and follows them (ticked, unticked or mixed).
(function () {
  "use strict";
  function boxes(master) {
    var form = master.form;
    var name = master.getAttribute("data-select-all");
    return Array.prototype.filter.call(
      form ? form.elements : [],
      function (el) { return el.type === "checkbox" && el.name === name && !el.disabled; }
    );
  }
  function sync(master) {
    var all = boxes(master);
    var ticked = all.filter(function (el) { return el.checked; }).length;
    master.checked = all.length > 0 && ticked === all.length;
    master.indeterminate = ticked > 0 && ticked < all.length;
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.hasAttribute && target.hasAttribute("data-select-all")) {
      boxes(target).forEach(function (el) { el.checked = target.checked; });
      return;
    }
    if (target.form) {
      Array.prototype.forEach.call(
        target.form.querySelectorAll("[data-select-all='" + target.name + "']"), sync
      );
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-select-all]"), function (m) {
      m.hidden = false;
      var label = m.closest("label");
      if (label) { label.hidden = false; }
      sync(m);
    });
  });
})();
