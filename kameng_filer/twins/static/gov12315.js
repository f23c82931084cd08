// 12315 twin page behaviour: 须知 countdown, enterprise search, 商品类别 typeahead, 处理单位 cascade,
// typed-only 内容 with live counter, immediate XHR uploads, and the XHR submit of the case-info form.
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const w = (name) => document.querySelector(`[data-w="${name}"]`);
  const chars = (s) => Array.from(s).length;
  const csrf = () => $("meta[name=csrf-token]").content;
  const getJSON = async (url) => {
    const r = await fetch(url, { credentials: "same-origin" });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return r.json();
  };
  const option = (value, text) => {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    return o;
  };

  // 须知: the agree button stays disabled until the countdown ends.
  const agree = $("#agree-btn");
  if (agree) {
    let left = parseInt(agree.dataset.seconds, 10);
    const tick = () => {
      if (left <= 0) {
        agree.disabled = false;
        agree.textContent = "我已阅读并同意";
        return;
      }
      agree.textContent = `请阅读须知(${left}秒)`;
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  }

  // Step 2: enterprise search (server) → pick, or manual name + address.
  const entQ = w("ent_search");
  if (entQ) {
    const results = $("#ent-results");
    const msg = $("#ent-msg");
    const pick = (item) => {
      $("#ent-id").value = item.id;
      $("#ent-mode").value = "pick";
      $("#manual-box").hidden = true;
      $("#ent-picked").textContent = `已选择:${item.name}(${item.address})`;
    };
    let seq = 0;
    const search = async () => {
      const q = entQ.value.trim();
      const mine = ++seq;
      results.innerHTML = "";
      if (chars(q) < 2) {
        msg.textContent = "请输入至少2个字的企业名称";
        return;
      }
      msg.textContent = "查询中…";
      const items = await getJSON(`/cuser/api/enterprises?q=${encodeURIComponent(q)}`);
      if (mine !== seq) return; // a newer search is on its way
      results.innerHTML = "";
      msg.textContent = items.length ? `共找到${items.length}家企业,请点击选择` : "未找到相关企业";
      for (const item of items) {
        const li = document.createElement("li");
        const b = document.createElement("button");
        b.type = "button";
        b.className = "ent-pick";
        b.dataset.id = item.id;
        b.textContent = item.name;
        const addr = document.createElement("span");
        addr.className = "ent-address";
        addr.textContent = item.address;
        b.appendChild(addr);
        b.addEventListener("click", () => pick(item));
        li.appendChild(b);
        results.appendChild(li);
      }
    };
    $("#ent-search-btn").addEventListener("click", search);
    entQ.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        search();
      }
    });
    $("#manual-link")?.addEventListener("click", (e) => {
      e.preventDefault();
      $("#manual-box").hidden = false;
      $("#ent-mode").value = "manual";
      $("#ent-id").value = "";
      $("#ent-picked").textContent = "";
    });
  }

  // Step 4: 商品类别 typeahead; typing clears the chosen code until a suggestion is clicked.
  const cat = w("category");
  if (cat) {
    const list = $("#category-list");
    const code = $("#category-code");
    let timer = null;
    let active = -1;
    const close = () => {
      list.hidden = true;
      cat.setAttribute("aria-expanded", "false");
      active = -1;
    };
    const choose = (item) => {
      code.value = item.code;
      cat.value = item.name;
      close();
    };
    const render = (items) => {
      list.innerHTML = "";
      items.forEach((item, i) => {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = `category-opt-${i}`;
        li.dataset.code = item.code;
        li.textContent = item.name;
        li.addEventListener("mousedown", (e) => e.preventDefault());
        li.addEventListener("click", () => choose(item));
        list.appendChild(li);
      });
      if (!items.length) {
        const li = document.createElement("li");
        li.className = "empty";
        li.textContent = "无匹配的商品类别";
        list.appendChild(li);
      }
      list.hidden = false;
      cat.setAttribute("aria-expanded", "true");
    };
    let seq = 0;
    cat.addEventListener("input", () => {
      code.value = "";
      clearTimeout(timer);
      const mine = ++seq;
      timer = setTimeout(async () => {
        const q = cat.value.trim();
        if (!q) return close();
        const items = await getJSON(`/cuser/api/categories?q=${encodeURIComponent(q)}`);
        if (mine === seq) render(items); // drop answers to older keystrokes
      }, 150);
    });
    cat.addEventListener("keydown", (e) => {
      const opts = Array.from(list.querySelectorAll("[role=option]"));
      if (list.hidden || !opts.length) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : opts.length - 1)) % opts.length;
        opts.forEach((o, i) => o.setAttribute("aria-selected", String(i === active)));
        cat.setAttribute("aria-activedescendant", opts[active].id);
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        opts[active].click();
      } else if (e.key === "Escape") {
        close();
      }
    });
    cat.addEventListener("blur", () => setTimeout(close, 150));
  }

  // 销售方式 (网购 reveals 电商平台/入驻商户) and the 处理单位 cascade it resets.
  const sales = w("sales_method");
  if (sales) {
    const prov = w("unit_province");
    const city = w("unit_city");
    const dist = w("unit_district");
    const unitName = $("#unit-name");
    const fill = async (sel, parent, placeholder) => {
      const mine = (sel.fillSeq = (sel.fillSeq || 0) + 1);
      sel.innerHTML = "";
      sel.appendChild(option("", placeholder));
      sel.disabled = true;
      if (parent === null) return;
      const items = await getJSON(`/cuser/api/regions?parent=${encodeURIComponent(parent)}`);
      if (mine !== sel.fillSeq) return; // reset or re-chosen meanwhile
      for (const item of items) {
        const o = option(item.code, item.name);
        o.dataset.unit = item.unit || "";
        sel.appendChild(o);
      }
      sel.disabled = false;
    };
    const showUnit = () => {
      const o = dist.selectedOptions[0];
      unitName.textContent = o && o.value ? `处理单位:${o.dataset.unit}` : "";
    };
    sales.addEventListener("change", () => {
      $("#platform-box").hidden = sales.value !== "网购";
      prov.value = "";
      fill(city, null, "请选择城市");
      fill(dist, null, "请选择区县");
      showUnit();
      $("#unit-reset-tip").textContent = "销售方式已变更,请重新选择处理单位";
    });
    prov.addEventListener("change", () => {
      $("#unit-reset-tip").textContent = "";
      fill(city, prov.value || null, "请选择城市");
      fill(dist, null, "请选择区县");
      showUnit();
    });
    city.addEventListener("change", () => {
      fill(dist, city.value || null, "请选择区县");
      showUnit();
    });
    dist.addEventListener("change", showUnit);
    fill(prov, "", "请选择省份");
  }

  // 内容: paste/drop blocked, live counter, and a count of trusted typing events.
  const content = w("content");
  if (content) {
    const max = parseInt(content.dataset.max, 10);
    const counter = $("#content-counter");
    const tip = $("#content-tip");
    const typing = new Set([
      "insertText",
      "insertCompositionText",
      "insertFromComposition",
      "insertLineBreak",
      "insertParagraph",
    ]);
    let keys = 0;
    let typed = 0;
    const blocked = (e) => {
      e.preventDefault();
      tip.textContent = "为保证真实性,请手动输入";
      tip.hidden = false;
    };
    const update = () => {
      if (chars(content.value) > max) content.value = Array.from(content.value).slice(0, max).join("");
      counter.textContent = `${chars(content.value)}/${max}`;
      $("#content-keys").value = String(keys);
      $("#content-typed").value = String(typed);
    };
    content.addEventListener("paste", blocked);
    content.addEventListener("drop", blocked);
    content.addEventListener("beforeinput", (e) => {
      if (e.inputType === "insertFromPaste" || e.inputType === "insertFromDrop") blocked(e);
    });
    content.addEventListener("keydown", (e) => {
      if (e.isTrusted) keys += 1;
    });
    content.addEventListener("input", (e) => {
      if (e.isTrusted && typing.has(e.inputType)) typed += 1;
      update();
    });
    update();
  }

  // Upload widget: styled button → hidden file input → immediate XHR upload → list with 删除.
  const upInput = w("upload");
  if (upInput) {
    const list = $("#upload-list");
    const err = $("#upload-error");
    let pending = 0;
    const setPending = (n) => {
      pending = n;
      list.dataset.pending = String(pending);
      $("#upload-status").textContent = pending ? "上传中…" : "";
    };
    const addItem = (item) => {
      const li = document.createElement("li");
      li.dataset.id = item.id;
      const name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = item.name;
      const hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "attachment_ids";
      hidden.value = item.id;
      const del = document.createElement("a");
      del.href = "#";
      del.className = "upload-del";
      del.textContent = "删除";
      del.setAttribute("role", "button");
      del.setAttribute("aria-label", `删除 ${item.name}`);
      del.addEventListener("click", async (e) => {
        e.preventDefault();
        await fetch(`/cuser/api/upload/${item.id}`, {
          method: "DELETE",
          credentials: "same-origin",
          headers: { "X-CSRF-Token": csrf() },
        });
        li.remove();
      });
      li.append(name, ` (${Math.ceil(item.size / 1024)}KB) `, hidden, del);
      list.appendChild(li);
    };
    $("#upload-btn").addEventListener("click", () => upInput.click());
    upInput.addEventListener("change", async () => {
      const files = Array.from(upInput.files);
      upInput.value = "";
      err.textContent = "";
      setPending(pending + files.length);
      for (const f of files) {
        const fd = new FormData();
        fd.append("file", f);
        try {
          const r = await fetch("/cuser/api/upload", {
            method: "POST",
            body: fd,
            credentials: "same-origin",
            headers: { "X-CSRF-Token": csrf(), "X-Requested-With": "XMLHttpRequest" },
          });
          const j = await r.json();
          if (r.ok) addItem(j);
          else err.textContent = `${f.name}:${j.error}`;
        } catch (e) {
          err.textContent = `${f.name}:上传失败,请重试`;
        }
        setPending(pending - 1);
      }
    });
    window.__uploadsPending = () => pending;
  }

  // Case-info form: submitted by XHR; errors shown in place, success navigates to the receipt.
  const form = $("#info-form");
  if (form) {
    const box = $("#form-errors");
    const showErrors = (j) => {
      const ul = document.createElement("ul");
      for (const item of j.errors || [{ message: j.error || "提交失败,请稍后重试" }]) {
        const li = document.createElement("li");
        li.textContent = item.message;
        ul.appendChild(li);
        const slot = item.field && document.querySelector(`.field-error[data-for="${item.field}"]`);
        if (slot) slot.textContent = item.message;
      }
      box.appendChild(ul);
      box.hidden = false;
    };
    // 安全验证: the site holds the submit back until the person types the characters of the image.
    const challenge = (j) => {
      let dlg = $("#security-check");
      if (!dlg) {
        dlg = document.createElement("div");
        dlg.id = "security-check";
        dlg.setAttribute("role", "dialog");
        dlg.setAttribute("aria-label", "安全验证");
        dlg.innerHTML =
          '<p>检测到异常操作,请完成安全验证后继续提交。</p><p class="challenge-error" role="alert"></p>' +
          '<img id="security-captcha" class="captcha" alt="验证码" width="130" height="46">' +
          '<label for="security-code">验证码</label><input type="text" id="security-code" autocomplete="off">' +
          '<button type="button" id="security-submit">继续提交</button>';
        form.after(dlg);
      }
      dlg.hidden = false;
      const c = j.challenge;
      dlg.querySelector(".challenge-error").textContent = j.code === 4031 && j.msg && j.msg.includes("错误") ? j.msg : "";
      dlg.querySelector("#security-captcha").src = c.image_url;
      const input = dlg.querySelector("#security-code");
      input.value = "";
      dlg.querySelector("#security-submit").onclick = async () => {
        const body = new URLSearchParams();
        body.set(c.answer_field, input.value);
        try {
          const r = await fetch(c.answer_url, {
            method: "POST",
            body,
            credentials: "same-origin",
            headers: { "X-Requested-With": "XMLHttpRequest" },
          });
          await answered(await r.json());
        } catch (e3) {
          box.textContent = "网络异常,请稍后重试";
          box.hidden = false;
        }
      };
    };
    const answered = async (j) => {
      if (j.ok) {
        location.href = j.redirect;
        return;
      }
      if (j.challenge) {
        challenge(j);
        return;
      }
      const dlg = $("#security-check");
      if (dlg) dlg.hidden = true;
      showErrors(j);
    };
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      box.innerHTML = "";
      box.hidden = true;
      document.querySelectorAll(".field-error").forEach((el) => (el.textContent = ""));
      if (window.__uploadsPending && window.__uploadsPending() > 0) {
        box.textContent = "附件上传中,请稍候";
        box.hidden = false;
        return;
      }
      const btn = $("#submit-btn");
      btn.disabled = true;
      try {
        const r = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { "X-Requested-With": "XMLHttpRequest" },
        });
        await answered(await r.json());
      } catch (e2) {
        box.textContent = "网络异常,请稍后重试";
        box.hidden = false;
      }
      btn.disabled = false;
    });
  }
})();
