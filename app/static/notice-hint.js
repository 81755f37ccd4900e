// WeChat template messages show about 20 characters per field: warn while a reason is longer.
// The hint is the .notice-hint paragraph right after the textarea's label (templates/admin/*.html).
(function () {
  "use strict";
  function watch(box) {
    var label = box.closest("label");
    var hint = label && label.nextElementSibling;
    if (!hint || !hint.classList.contains("notice-hint")) { return; }
    var limit = parseInt(box.getAttribute("data-notice-chars"), 10) || 20;
    function update() { hint.hidden = Array.from(box.value.trim()).length <= limit; }
    box.addEventListener("input", update);
    update();
  }
  document.querySelectorAll("textarea[data-notice-chars]").forEach(watch);
})();
