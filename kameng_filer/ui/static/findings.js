/* Shared by the form pages (edit.js, texts.js): a `kameng check` finding shown as the server renders it
   (severity word, message, the hint after 建议：), and a box refilled with a list of them. */
(function () {
  "use strict";

  function finding(f) {
    var div = document.createElement("div");
    div.className = "finding " + f.severity;
    var strong = document.createElement("strong");
    strong.textContent = f.label;
    div.appendChild(strong);
    div.appendChild(document.createTextNode(" " + f.message));
    if (f.hint) {
      div.appendChild(document.createElement("br"));
      var hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = "建议：" + f.hint;
      div.appendChild(hint);
    }
    return div;
  }

  function fill(box, list) {
    box.textContent = "";
    list.forEach(function (f) { box.appendChild(finding(f)); });
  }

  /* True when the person changed a field before the page's script was running (the form is in the page
     before the script at its end has loaded: on a slow phone, typing starts earlier and no input event
     reaches the script). */
  function changedBeforeLoad(form) {
    return Array.prototype.some.call(form.elements, function (el) {
      if (el.type === "checkbox" || el.type === "radio") { return el.checked !== el.defaultChecked; }
      if (el.tagName === "SELECT") {
        return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      if (el.type === "file" || el.type === "hidden" || el.type === "submit" || el.type === "button") { return false; }
      return typeof el.value === "string" && typeof el.defaultValue === "string" && el.value !== el.defaultValue;
    });
  }

  window.kamengFindings = { finding: finding, fill: fill, changedBeforeLoad: changedBeforeLoad };
})();
