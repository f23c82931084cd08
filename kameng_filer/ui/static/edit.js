/* The dispute form: add/remove list rows, live `kameng check` findings at their fields, evidence by drag
   and drop drafted by OCR. Plain JavaScript, no library, no build; the page works without it too. */
(function () {
  "use strict";
  var form = document.getElementById("case-form");
  if (!form) { return; }
  var seq = 100000;
  var timer = null;
  var ATTRS = ["name", "id", "for", "data-path", "data-for"];

  function field(name, value) {
    var el = form.querySelector('[name="' + CSS.escape(name) + '"]');
    return el;
  }

  function renumber() {
    form.querySelectorAll("fieldset.list").forEach(function (list) {
      var name = list.getAttribute("data-list");
      var rows = list.querySelector(".rows").children;
      Array.prototype.forEach.call(rows, function (row, i) {
        var prefix = name + "[" + i + "]";
        [row].concat(Array.prototype.slice.call(row.querySelectorAll("*"))).forEach(function (el) {
          ATTRS.forEach(function (a) {
            var v = el.getAttribute(a);
            if (v === null) { return; }
            var at = v.indexOf(name + "[");
            if (at < 0) { return; }
            var end = v.indexOf("]", at);
            el.setAttribute(a, v.slice(0, at) + prefix + v.slice(end + 1));
          });
        });
      });
    });
  }

  function addRow(listName) {
    var list = form.querySelector('fieldset.list[data-list="' + CSS.escape(listName) + '"]');
    var tpl = list.querySelector("template[data-item]");
    var row = tpl.content.firstElementChild.cloneNode(true);
    var n = String(seq++);
    [row].concat(Array.prototype.slice.call(row.querySelectorAll("*"))).forEach(function (el) {
      ATTRS.forEach(function (a) {
        var v = el.getAttribute(a);
        if (v !== null) { el.setAttribute(a, v.split("__i__").join(n)); }
      });
    });
    list.querySelector(".rows").appendChild(row);
    renumber();
    return row;
  }

  function findingBox(path) {
    var p = path === "(root)" ? "" : path;
    for (;;) {
      var box = form.querySelector('.found[data-for="' + CSS.escape(p) + '"]');
      if (box || p === "") { return box; }
      var cut = p.replace(/(\.[^.\[\]]+|\[\d+\])$/, "");
      p = cut === p ? "" : cut;
    }
  }

  function show(result) {
    form.querySelectorAll(".found").forEach(function (b) { b.textContent = ""; });
    var counts = { error: 0, warning: 0, hint: 0 };
    result.findings.forEach(function (f) {
      counts[f.severity] = (counts[f.severity] || 0) + 1;
      var box = findingBox(f.path);
      if (box) { box.appendChild(window.kamengFindings.finding(f)); }
    });
    var summary = form.querySelector(".check-summary");
    summary.textContent = "检查结果：错误 " + counts.error + " · 警告 " + counts.warning + " · 建议 " + counts.hint +
      (result.storable ? "" : "（有错误时不能保存）");
    summary.className = "check-summary" + (counts.error ? " has-errors" : "");
    var stale = document.querySelector(".stale");
    if (stale) { stale.hidden = !result.stale; }
    form.setAttribute("data-checked", String(Date.now()));
  }

  var asked = 0; // only the answer to the latest check is shown (answers may arrive out of order)

  function check() {
    clearTimeout(timer);
    timer = null;
    renumber();
    var mine = ++asked;
    fetch("/edit/check", { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (mine === asked && result && result.findings) { show(result); } })
      .catch(function () { /* the next change checks again */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 500);
  }

  form.addEventListener("change", check);
  form.addEventListener("input", later);
  form.addEventListener("submit", renumber);
  form.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.classList.contains("add")) {
      var row = addRow(t.getAttribute("data-list"));
      var first = row.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    } else if (t.classList.contains("remove")) {
      t.closest(".row").remove();
      check();
    } else if (t.classList.contains("accept")) {
      accept(t.closest("li"));
      check();
    } else if (t.classList.contains("accept-all")) {
      form.querySelectorAll(".drafted-values li").forEach(accept);
      check();
    }
  });

  function accept(li) {
    var el = field(li.getAttribute("data-path"));
    if (el) { el.value = li.getAttribute("data-value"); }
    li.classList.add("accepted");
    var b = li.querySelector("button.accept");
    if (b) { b.textContent = "已采用"; b.disabled = true; }
  }

  var drop = document.getElementById("drop");
  var input = document.getElementById("drop-input");
  var status = drop ? drop.querySelector(".drop-status") : null;

  function thumb(url, alt) {
    var img = document.createElement("img");
    img.className = "thumb";
    img.src = url;
    img.alt = alt;
    return img;
  }

  function uploaded(result) {
    result.evidence.forEach(function (ev) {
      var row = addRow("evidence");
      ["id", "kind", "file", "description"].forEach(function (k) {
        var el = row.querySelector('[name$="].' + k + '"]');
        if (el) { el.value = ev[k]; }
      });
      if (ev.url && /\.(png|jpg|webp)$/.test(ev.file)) { row.insertBefore(thumb(ev.url, ev.description), row.firstChild); }
    });
    var panel = document.getElementById("drafted");
    var ul = panel.querySelector(".drafted-values");
    result.values.forEach(function (v) {
      var li = document.createElement("li");
      li.setAttribute("data-path", v.path);
      li.setAttribute("data-value", v.value);
      var text = document.createElement("span");
      text.textContent = v.label + "：" + v.value + "（来自 " + v.source.replace(/^evidence\//, "") + "）";
      li.appendChild(thumb(v.source_url, "来源截图"));
      li.appendChild(text);
      var b = document.createElement("button");
      b.type = "button";
      b.className = "accept secondary";
      b.textContent = "采用";
      li.appendChild(b);
      ul.appendChild(li);
    });
    panel.hidden = ul.children.length === 0;
    status.textContent = "已加入 " + result.evidence.length + " 份证据" +
      (result.values.length ? "，识别出 " + result.values.length + " 项信息，请核对后采用。" : "。");
    check();
  }

  function send(files) {
    if (!files || !files.length) { return; }
    var data = new FormData();
    data.append("csrf", form.querySelector('input[name="csrf"]').value);
    data.append("target", form.querySelector('input[name="target"]').value);
    Array.prototype.forEach.call(files, function (f) { data.append("files", f); });
    status.textContent = "正在保存并识别截图，请稍候……";
    status.className = "drop-status";
    fetch("/edit/upload", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (result) {
        if (result.error) {
          status.textContent = result.error.message + (result.error.hint ? " 建议：" + result.error.hint : "");
          status.className = "drop-status error";
          return;
        }
        uploaded(result);
      })
      .catch(function () {
        status.textContent = "上传失败：工作台没有回应。请确认终端里的 kameng ui 仍在运行后重试。";
        status.className = "drop-status error";
      });
  }

  if (drop) {
    drop.addEventListener("dragover", function (ev) { ev.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
    drop.addEventListener("drop", function (ev) {
      ev.preventDefault();
      drop.classList.remove("over");
      send(ev.dataTransfer.files);
    });
    input.addEventListener("change", function () { send(input.files); input.value = ""; });
  }
  check();
})();
