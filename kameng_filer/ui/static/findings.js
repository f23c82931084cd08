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

  window.kamengFindings = { finding: finding, fill: fill };
})();
