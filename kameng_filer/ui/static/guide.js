// Copy buttons of the assisted-channel guide: the clipboard API where the page is a secure context
// (127.0.0.1), else a selection and execCommand (the phone page over the local network is plain http).
(function () {
  "use strict";
  function fallback(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    return ok;
  }
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var node = document.getElementById(button.dataset.copy);
      if (!node) { return; }
      var text = node.textContent;
      function done(ok) { button.textContent = ok ? "已复制" : "请长按文字复制"; }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallback(node)); });
      } else {
        done(fallback(node));
      }
    });
  });
}());
