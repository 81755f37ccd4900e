/* Imports in the back office: live progress on the job page, and the size cap checked before uploading.
 *
 * The job page (#import-job) polls its progress URL every second until the job is done or failed, and
 * fills in rows, speed, time left and then the summary; a reload starts again from the server's state.
 * The upload form (#import-form) refuses a file over the cap before sending hundreds of megabytes.
 */
(function () {
  "use strict";

  function text(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value; }
  }

  function show(id, visible) {
    var el = document.getElementById(id);
    if (el) { el.hidden = !visible; }
  }

  function render(view) {
    text("job-state", view.label);
    text("job-note", view.note || "");
    text("job-rows", String(view.rows_done));
    if (view.rows_total) { text("job-total", String(view.rows_total)); show("job-of", true); }
    text("job-rate", view.rate);
    text("job-left", view.time_left);
    var bar = document.getElementById("job-bar");
    if (bar && view.percent !== null) { bar.value = view.percent; }
    text("job-error", view.error || "");
    show("job-error", !!view.error);
    if (!view.finished) { return; }
    show("job-progress", false);
    ["rows", "accepted", "updated", "reissued", "unchanged", "rejected"].forEach(function (key) {
      text("count-" + key, String(view.counts[key]));
    });
    text("job-duration", view.duration);
    if (view.report_url) { document.getElementById("report-link").href = view.report_url; }
    show("job-report", !!view.report_url);
    show("job-summary", true);
  }

  function poll(section) {
    var url = section.getAttribute("data-progress-url");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (view) {
          if (view) { render(view); }
          if (!view || !view.finished) { window.setTimeout(tick, 1000); }
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    }
    tick();
  }

  function guardSize(form) {
    var max = Number(form.getAttribute("data-max-bytes"));
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      var file = input && input.files && input.files[0];
      if (file && file.size > max) {
        event.preventDefault();
        text("size-error", form.getAttribute("data-too-large"));
        show("size-error", true);
      }
    });
  }

  var section = document.getElementById("import-job");
  if (section && section.getAttribute("data-finished") !== "true") { poll(section); }
  var form = document.getElementById("import-form");
  if (form) { guardSize(form); }
}());
