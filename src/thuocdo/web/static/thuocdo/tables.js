/* On a phone the site's tables stack each row into a card and hide the header row
   (site.css); each cell then needs its column's name beside it. This copies the header
   text of every `table.table` into its cells' `data-label` (cells that set their own are
   left alone), so every table of every page keeps its labels without each template
   repeating them. */
(function () {
  "use strict";
  function label(table) {
    var head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!head) { return; }
    var names = [];
    Array.prototype.forEach.call(head.cells, function (th) {
      var text = (th.textContent || "").replace(/\s+/g, " ").trim();
      for (var i = 0; i < (th.colSpan || 1); i += 1) { names.push(text); }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var name = names[column];
          if (name && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", name); }
          column += cell.colSpan || 1;
        });
      });
    });
  }
  function all() { Array.prototype.forEach.call(document.querySelectorAll("table.table"), label); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", all); }
  else { all(); }
}());
