// Live progress of a filing run (server-sent events) and the person's answers to its human steps.
// Everything from the server is put in the page as text (textContent), never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("run");
  if (!root) { return; }
  var runId = root.dataset.run;
  var csrf = root.dataset.csrf;
  var dry = root.dataset.dry === "1";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function box(channel) {
    var found = root.querySelector('.run-channel[data-channel="' + CSS.escape(channel) + '"]');
    if (found) { return found; }
    var li = el("li", "card run-channel");
    li.dataset.channel = channel;
    li.appendChild(el("h2", "", channel));
    ["progress muted", "guidance", "asks", "result"].forEach(function (c) { li.appendChild(el(c === "progress muted" ? "p" : "div", c)); });
    root.querySelector(".run-channels").appendChild(li);
    return li;
  }

  function post(data) {
    var body = new URLSearchParams(data);
    body.set("csrf", csrf);
    return fetch("/runs/" + runId + "/answer", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.json(); });
  }

  function ask(ev) {
    var holder = box(ev.channel).querySelector(".asks");
    var form = el("form", "ask ask-" + ev.kind);
    form.dataset.question = ev.id;
    form.appendChild(el("p", "prompt", ev.prompt));
    if (ev.error) { form.appendChild(el("p", "finding error", ev.error)); }
    if (ev.image) {
      var img = el("img", ev.kind === "code" ? "captcha" : "qr");
      img.src = "/runs/" + runId + "/questions/" + encodeURIComponent(ev.id) + "/image";
      img.alt = ev.kind === "code" ? "验证码图片（已放大）" : "二维码";
      form.appendChild(img);
    }
    var status = el("p", "muted answer-status");
    if (ev.kind === "confirm") {
      var done = el("button", "", "已完成");
      done.type = "submit";
      var stop = el("button", "secondary", "放弃");
      stop.type = "button";
      stop.addEventListener("click", function () { send({ question: ev.id, give_up: "1" }); });
      form.appendChild(done);
      form.appendChild(stop);
      form.addEventListener("submit", function (e) { e.preventDefault(); send({ question: ev.id, value: "yes" }); });
    } else {
      var input = el("input", "answer");
      input.name = "value";
      input.autocomplete = "off";
      input.maxLength = 200;
      input.setAttribute("aria-label", ev.prompt);
      if (ev.kind === "code") { input.inputMode = "text"; input.className = "answer code"; }
      var ok = el("button", "", "提交回答");
      ok.type = "submit";
      form.appendChild(input);
      form.appendChild(ok);
      form.addEventListener("submit", function (e) { e.preventDefault(); send({ question: ev.id, value: input.value }); });
      setTimeout(function () { input.focus(); }, 0);
    }
    if (root.dataset.demo === "1") {
      // DEMO ONLY: the demo script reads the twin's test outbox for the person
      var demo = el("button", "secondary demo", "演示：由脚本代替本人读取");
      demo.type = "button";
      demo.addEventListener("click", function () {
        var body = new URLSearchParams({ question: ev.id, csrf: csrf });
        fetch("/runs/" + runId + "/demo-answer", { method: "POST", body: body, credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (res) {
            if (res.error) { status.textContent = res.error.message + res.error.hint; return; }
            var box = form.querySelector("input.answer");
            if (box) { box.value = res.value; }
            status.textContent = box ? "演示脚本已填好，请点“提交回答”。" : "演示脚本已在孪生站点扫码，请点“已完成”。";
          });
      });
      form.appendChild(demo);
    }
    form.appendChild(status);
    holder.appendChild(form);

    function send(data) {
      status.textContent = "正在发送……";
      post(data).then(function (res) {
        status.textContent = res.ok ? "已收到，继续提交……" : (res.error.message + res.error.hint);
      }).catch(function () { status.textContent = "发送失败，请再试一次。"; });
    }
  }

  function result(index, o) {
    var li = box(o.channel);
    li.classList.add("state-" + o.state);
    li.querySelector(".progress").textContent = o.label + (o.complaint_no ? "：" + o.complaint_no : "");
    var r = li.querySelector(".result");
    r.textContent = "";
    if (o.reason) { r.appendChild(el("p", "finding warning", o.reason)); }
    if (o.hint) { r.appendChild(el("p", "muted", "建议：" + o.hint)); }
    for (var n = 0; n < o.shots; n++) {
      var a = el("a");
      a.href = "/runs/" + runId + "/outcomes/" + index + "/shots/" + n;
      a.target = "_blank";
      a.rel = "noopener";
      var img = el("img", "thumb shot");
      img.src = a.href;
      img.alt = (dry ? "填好的表单截图" : "回执截图");
      a.appendChild(img);
      r.appendChild(a);
    }
  }

  function plans(list) {
    var sec = document.getElementById("plans");
    var holder = sec.querySelector(".plans");
    list.forEach(function (p) {
      var d = el("details", "channel");
      d.appendChild(el("summary", "", p.title + "（" + p.channel + "）"));
      var dl = el("dl", "fields");
      p.rows.forEach(function (row) { dl.appendChild(el("dt", "", row.label)); dl.appendChild(el("dd", "", row.text)); });
      d.appendChild(dl);
      p.notes.forEach(function (n) { d.appendChild(el("p", "muted", "注意：" + n)); });
      holder.appendChild(d);
    });
    sec.hidden = list.length === 0;
  }

  var state = document.getElementById("run-state");
  var source = new EventSource("/runs/" + runId + "/events");
  source.onmessage = function (m) {
    var ev = JSON.parse(m.data);
    if (ev.type === "progress") {
      box(ev.channel).querySelector(".progress").textContent = ev.text;
      state.textContent = "正在提交……";
    } else if (ev.type === "plans") {
      plans(ev.plans);
    } else if (ev.type === "show") {
      box(ev.channel).querySelector(".guidance").appendChild(el("pre", "guide", ev.text));
    } else if (ev.type === "ask") {
      ask(ev);
    } else if (ev.type === "answered") {
      var f = root.querySelector('form.ask[data-question="' + CSS.escape(ev.id) + '"]');
      if (f) { f.remove(); }
    } else if (ev.type === "error") {
      var err = document.getElementById("run-error");
      err.textContent = ev.message + (ev.hint ? "（" + ev.hint + "）" : "");
      err.hidden = false;
    } else if (ev.type === "done") {
      source.close();
      ev.outcomes.forEach(function (o, i) { result(i, o); });
      var allPlanned = ev.outcomes.length > 0 && ev.outcomes.every(function (o) { return o.state === "planned"; });
      state.textContent = dry ? "演练结束。" : "提交结束。";
      root.dataset.finished = "1";
      if (dry && allPlanned) { document.getElementById("confirm").hidden = false; }
    }
  };
}());
