// 黑猫投诉 twin page behaviour: login tabs, QR polling, SMS code button, company search, tag buttons,
// text counters, image previews, star rating.
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const w = (name) => document.querySelector(`[data-w="${name}"]`);
  const chars = (s) => Array.from(s).length;
  const csrf = () => $("meta[name=csrf-token]").content;

  // Login tabs.
  document.querySelectorAll("[role=tab]").forEach((tab) => {
    tab.addEventListener("click", () => {
      document.querySelectorAll("[role=tab]").forEach((t) => {
        const on = t === tab;
        t.setAttribute("aria-selected", String(on));
        $(`#${t.getAttribute("aria-controls")}`).hidden = !on;
      });
    });
  });

  // QR login: poll the token until the phone confirms, then continue.
  const qr = $("#qr-img");
  if (qr) {
    const status = $("#qr-status");
    const words = { waiting: "请使用微博客户端扫码登录", scanned: "已扫码,请在手机上确认", expired: "二维码已过期" };
    const poll = async () => {
      let j;
      try {
        const r = await fetch(`/login/qr/${qr.dataset.token}/status`, { credentials: "same-origin" });
        j = await r.json();
      } catch (e) {
        setTimeout(poll, 1000);
        return;
      }
      if (j.state === "confirmed") {
        status.textContent = "登录成功,正在跳转…";
        location.href = j.redirect;
        return;
      }
      status.textContent = words[j.state] || j.state;
      if (j.state === "expired") {
        $("#qr-refresh").hidden = false;
        return;
      }
      setTimeout(poll, 700);
    };
    $("#qr-refresh").addEventListener("click", () => location.reload());
    poll();
  }

  // SMS login: 获取验证码 sends a code and counts down 60 s.
  const send = $("#send-code");
  if (send) {
    const msg = $("#sms-msg");
    send.addEventListener("click", async () => {
      msg.textContent = "";
      const fd = new FormData();
      fd.append("phone", w("phone").value.trim());
      let j;
      try {
        const r = await fetch("/login/sms/send", {
          method: "POST",
          body: fd,
          credentials: "same-origin",
          headers: { "X-CSRF-Token": csrf() },
        });
        j = await r.json();
      } catch (e) {
        msg.textContent = "网络异常,请稍后重试";
        return;
      }
      msg.textContent = j.ok ? "验证码已发送" : j.error;
      if (!j.ok) return;
      let left = j.wait || 60;
      send.disabled = true;
      const tick = () => {
        if (left <= 0) {
          send.disabled = false;
          send.textContent = "获取验证码";
          return;
        }
        send.textContent = `重新获取(${left})`;
        left -= 1;
        setTimeout(tick, 1000);
      };
      tick();
    });
  }

  // 投诉对象: search the server, click a result.
  const cq = w("company");
  if (cq) {
    const results = $("#company-results");
    let timer = null;
    let seq = 0;
    const search = async () => {
      const q = cq.value.trim();
      const mine = ++seq;
      if (!q) {
        results.innerHTML = "";
        return;
      }
      const r = await fetch(`/api/companies?q=${encodeURIComponent(q)}`, { credentials: "same-origin" });
      const items = await r.json();
      if (mine !== seq) return; // a newer search is on its way
      results.innerHTML = "";
      if (!items.length) {
        const li = document.createElement("li");
        li.className = "empty";
        li.textContent = "未找到该商家";
        results.appendChild(li);
      }
      for (const item of items) {
        const li = document.createElement("li");
        const b = document.createElement("button");
        b.type = "button";
        b.className = "company-pick";
        b.dataset.id = item.id;
        b.textContent = item.name;
        b.addEventListener("click", () => {
          $("#company-id").value = item.id;
          cq.value = item.name;
          $("#company-picked").textContent = `已选择:${item.name}`;
          results.innerHTML = "";
        });
        li.appendChild(b);
        results.appendChild(li);
      }
    };
    cq.addEventListener("input", () => {
      $("#company-id").value = "";
      $("#company-picked").textContent = "";
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    $("#company-search-btn").addEventListener("click", search);
    cq.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        search();
      }
    });
  }

  // Tag buttons (multi-select) keep hidden inputs in sync.
  document.querySelectorAll(".tag-group").forEach((group) => {
    const name = group.dataset.name;
    const sync = () => {
      group.querySelectorAll("input[type=hidden]").forEach((i) => i.remove());
      group.querySelectorAll("button.tag[aria-pressed=true]").forEach((b) => {
        const i = document.createElement("input");
        i.type = "hidden";
        i.name = name;
        i.value = b.dataset.value;
        group.appendChild(i);
      });
    };
    group.querySelectorAll("button.tag").forEach((b) => {
      b.addEventListener("click", () => {
        b.setAttribute("aria-pressed", String(b.getAttribute("aria-pressed") !== "true"));
        sync();
      });
    });
    sync();
  });

  // Live counters for title/description.
  document.querySelectorAll("[data-counter]").forEach((el) => {
    const out = $(`#${el.dataset.counter}`);
    const max = parseInt(el.dataset.max, 10);
    const update = () => (out.textContent = `${chars(el.value)}/${max}`);
    el.addEventListener("input", update);
    update();
  });

  // Image previews (names only) with the client-side count hint.
  const images = w("images");
  if (images) {
    $("#image-btn").addEventListener("click", () => images.click());
    images.addEventListener("change", () => {
      const list = $("#image-list");
      list.innerHTML = "";
      for (const f of Array.from(images.files)) {
        const li = document.createElement("li");
        li.textContent = `${f.name} (${Math.ceil(f.size / 1024)}KB)`;
        list.appendChild(li);
      }
      $("#image-msg").textContent = images.files.length > 9 ? "最多上传9张图片" : "";
    });
  }

  // Star rating.
  const stars = document.querySelectorAll("button.star");
  stars.forEach((s) => {
    s.addEventListener("click", () => {
      $("#rating-value").value = s.dataset.value;
      stars.forEach((o) => o.setAttribute("aria-pressed", String(+o.dataset.value <= +s.dataset.value)));
    });
  });
})();
