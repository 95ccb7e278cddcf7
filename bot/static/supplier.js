// The supplier's form, improved: live show/hide of conditional questions, autosave, focus on the error summary.
// Progressive enhancement only: every page works without this script (the server re-checks conditions on save,
// and every button saves). No inline scripts or styles: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  function valuesOf(form, questionId) {
    var name = "q-" + questionId;
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    var values = [];
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) continue;
      if (input.value !== "") values.push(input.value);
    }
    return values;
  }

  function holds(form, condition) {
    var values = valuesOf(form, condition.question);
    for (var i = 0; i < values.length; i++) {
      for (var j = 0; j < condition["in"].length; j++) {
        if (String(condition["in"][j]) === values[i]) return true;
      }
    }
    return false;
  }

  function updateConditions(form) {
    var wrappers = form.querySelectorAll("[data-show-if]");
    for (var i = 0; i < wrappers.length; i++) {
      var conditions;
      try { conditions = JSON.parse(wrappers[i].getAttribute("data-show-if")); } catch (e) { continue; }
      var shown = true;
      for (var j = 0; j < conditions.length; j++) {
        if (!holds(form, conditions[j])) { shown = false; break; }
      }
      wrappers[i].hidden = !shown;
    }
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key] !== undefined ? values[key] : ""; });
  }

  function setupAutosave(form, strings) {
    var url = form.getAttribute("data-autosave-url");
    var status = document.getElementById("autosave-status");
    var progress = document.getElementById("section-progress");
    if (!url || !window.fetch || !window.FormData) return;
    var timer = null;
    var saving = false;
    var again = false;

    function save() {
      if (saving) { again = true; return; }
      saving = true;
      var data = new FormData(form);
      var files = form.querySelectorAll('input[type="file"]');
      for (var i = 0; i < files.length; i++) data["delete"](files[i].name); // documents go with the Save button
      data["delete"]("remove"); // so do removals: a ticked box must not delete at once
      data.set("action", "save");
      fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Autosave": "1" } })
        .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
        .then(function (reply) {
          if (status) status.textContent = reply.saved ? format(strings.autosaved, { time: reply.time }) : "";
          if (progress && reply.progress) progress.textContent = format(strings.answered_of, reply.progress);
        })
        .catch(function () { if (status) status.textContent = strings.autosave_failed; })
        .then(function () { saving = false; if (again) { again = false; save(); } });
    }

    form.addEventListener("change", function (event) {
      if (event.target && event.target.type === "file") return;
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 800);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    var form = document.getElementById("section-form");
    if (!form) return;
    var strings = {};
    try { strings = JSON.parse(form.getAttribute("data-strings") || "{}"); } catch (e) { strings = {}; }
    updateConditions(form);
    form.addEventListener("change", function () { updateConditions(form); });
    setupAutosave(form, strings);
  });
})();
