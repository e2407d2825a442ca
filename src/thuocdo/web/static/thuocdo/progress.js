// Follows a job: asks its status endpoint every second, moves the bar and the figures, and
// reloads the page once the job has ended (done, failed or stopped) so the server shows the
// outcome. Leaving the page does not stop the job; coming back picks it up again.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("[data-progress-bar]");
  var text = box.querySelector("[data-progress-text]");
  var status = document.querySelector("[data-job-status]");

  function put(selector, value) {
    var node = box.querySelector(selector);
    if (node && value !== undefined && value !== null) { node.textContent = value; }
  }

  function tick() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        bar.value = state.percent;
        bar.textContent = state.percent + "%";
        if (state.text && text) { text.textContent = state.text; }
        put("[data-progress-done]", state.done_text);
        put("[data-progress-elapsed]", state.elapsed_text);
        put("[data-progress-remaining]", state.remaining_text);
        if (status && state.status_label) { status.textContent = state.status_label; }
        if (state.finished) { window.location.reload(); } else { window.setTimeout(tick, 1000); }
      })
      .catch(function () { window.setTimeout(tick, 3000); });
  }
  window.setTimeout(tick, 1000);
})();
