/* Rewriting a channel text: live character counts against the field limit and the `kameng check`
   findings (limits, emotional words) after each pause in typing. Plain JavaScript, no library. */
(function () {
  "use strict";
  var form = document.getElementById("texts-form");
  if (!form) { return; }
  var timer = null;

  function count(area) {
    var box = form.querySelector("#c-" + CSS.escape(area.id.slice(2)));
    var limit = parseInt(box.getAttribute("data-limit"), 10);
    var n = Array.from(area.value.replace(/\r\n/g, "\n")).length;
    box.firstChild.textContent = n + " 字" + (limit ? " / 上限 " + limit : "");
    box.classList.toggle("overdue", !!limit && n > limit);
  }

  function show(result) {
    result.fields.forEach(function (f) {
      var box = form.querySelector('.found[data-for="' + CSS.escape(f.name) + '"]');
      window.kamengFindings.fill(box, f.findings);
    });
    form.setAttribute("data-checked", String(Date.now()));
  }

  var asked = 0; // only the answer to the latest check is shown (answers may arrive out of order)

  function check() {
    var mine = ++asked;
    fetch(form.getAttribute("data-check"), { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (mine === asked && result && result.fields) { show(result); } })
      .catch(function () { /* checked again on the next change */ });
  }

  form.addEventListener("input", function (ev) {
    if (ev.target.tagName === "TEXTAREA") { count(ev.target); }
    clearTimeout(timer);
    timer = setTimeout(check, 500);
  });

  if (window.kamengFindings.changedBeforeLoad(form)) { // typed while the page was loading
    Array.prototype.forEach.call(form.querySelectorAll("textarea"), count);
    check();
  }
})();
