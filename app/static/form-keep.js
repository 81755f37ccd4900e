/* Typed text survives a refusal the server cannot answer with the filled-in form.
 *
 * The server re-shows a refused form with what was typed, but not when the whole upload was too
 * large (413: the body is never read) or the connection dropped. So <form data-keep-text="NAME">
 * saves its text fields, text areas and selects in sessionStorage when it is submitted, and fills
 * the empty ones from there when the form is shown again; an element data-forget-text="NAME" on the
 * page that confirms success clears it. sessionStorage lives only in this tab of WeChat's browser.
 */
(function () {
  "use strict";
  var PREFIX = "keep-text:";

  function fields(form) {
    return form.querySelectorAll("textarea[name], select[name], input[name]:not([type=hidden]):not([type=file])"
      + ":not([type=checkbox]):not([type=radio]):not([type=password])");
  }

  function save(form, key) {
    var saved = {}, list = fields(form);
    for (var i = 0; i < list.length; i++) { saved[list[i].name] = list[i].value; }
    try { sessionStorage.setItem(PREFIX + key, JSON.stringify(saved)); } catch (e) { /* private mode: nothing kept */ }
  }

  function restore(form, key) {
    var saved;
    try { saved = JSON.parse(sessionStorage.getItem(PREFIX + key) || "{}"); } catch (e) { return; }
    var list = fields(form);
    for (var i = 0; i < list.length; i++) {
      var value = saved[list[i].name];
      if (typeof value === "string" && value && !list[i].value) { list[i].value = value; }
    }
  }

  var forms = document.querySelectorAll("form[data-keep-text]");
  for (var i = 0; i < forms.length; i++) {
    (function (form, key) {
      restore(form, key);
      form.addEventListener("submit", function () { save(form, key); });
    })(forms[i], forms[i].getAttribute("data-keep-text"));
  }
  var done = document.querySelectorAll("[data-forget-text]");
  for (var j = 0; j < done.length; j++) {
    try { sessionStorage.removeItem(PREFIX + done[j].getAttribute("data-forget-text")); } catch (e) { /* ignore */ }
  }
})();
