/* Keyboard for the staff pages (issue 13 item 8).
 *   /      focus the search box (#global-search, else the page's first search field)
 *   j / k  move the highlighted row ("current") in the first table.list of the page
 *   Enter  open the current row's first link
 *   ?      show or hide the help; Esc hides it
 * Keys are ignored while typing in a field and when a modifier (Ctrl, Alt, Meta) is held.
 * Loaded by base.html (and by the search page); initialises once. */
(function () {
  "use strict";
  if (window.cdKeys) { return; }
  window.cdKeys = true;

  var zh = (document.documentElement.lang || "zh").indexOf("en") !== 0;
  var style = document.createElement("style");
  style.textContent =
    "table.list tbody tr.current td{background:#e8f0fe}" +
    "table.list tbody tr.current td:first-child{box-shadow:inset 3px 0 0 #1a56db}" +
    "#keys-help{position:fixed;inset:0;background:rgba(15,23,42,.45);display:flex;" +
    "align-items:center;justify-content:center;z-index:50}" +
    "#keys-help[hidden]{display:none}" +
    "#keys-help .keys-box{background:#fff;border-radius:10px;padding:18px 22px;min-width:260px;" +
    "max-width:90vw;box-shadow:0 10px 30px rgba(0,0,0,.25)}" +
    "#keys-help h2{margin:0 0 10px;font-size:17px}" +
    "#keys-help table{border-collapse:collapse}" +
    "#keys-help td{padding:4px 10px 4px 0;vertical-align:top}" +
    "#keys-help kbd{display:inline-block;min-width:22px;text-align:center;padding:1px 6px;" +
    "border:1px solid #cbd5e1;border-bottom-width:2px;border-radius:4px;font:13px monospace}";
  document.head.appendChild(style);

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function searchBox() {
    return document.getElementById("global-search") ||
      document.querySelector("input[type=search]");
  }

  function rows() {
    var table = document.querySelector("table.list");
    var body = table && table.tBodies[0];
    return body ? Array.prototype.slice.call(body.rows) : [];
  }

  function move(step) {
    var list = rows();
    if (!list.length) { return; }
    var at = list.findIndex(function (r) { return r.classList.contains("current"); });
    var next = at < 0 ? (step > 0 ? 0 : list.length - 1)
      : Math.min(list.length - 1, Math.max(0, at + step));
    if (at >= 0) { list[at].classList.remove("current"); list[at].removeAttribute("aria-selected"); }
    list[next].classList.add("current");
    list[next].setAttribute("aria-selected", "true");
    list[next].scrollIntoView({ block: "nearest" });
  }

  function open() {
    var current = rows().filter(function (r) { return r.classList.contains("current"); })[0];
    var link = current && current.querySelector("a[href]");
    if (!link) { return false; }
    window.location.assign(link.href);
    return true;
  }

  function help() {
    var box = document.getElementById("keys-help");
    if (box) { box.hidden = !box.hidden; return; }
    var lines = [
      ["/", zh ? "跳到检索框" : "Jump to the search box"],
      ["j", zh ? "下一行" : "Next row"],
      ["k", zh ? "上一行" : "Previous row"],
      ["Enter", zh ? "打开当前行" : "Open the current row"],
      ["?", zh ? "显示或关闭本帮助" : "Show or hide this help"],
      ["Esc", zh ? "关闭" : "Close"]
    ];
    box = document.createElement("div");
    box.id = "keys-help";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", zh ? "键盘快捷键" : "Keyboard shortcuts");
    var inner = document.createElement("div");
    inner.className = "keys-box";
    var title = document.createElement("h2");
    title.textContent = zh ? "键盘快捷键" : "Keyboard shortcuts";
    inner.appendChild(title);
    var table = document.createElement("table");
    lines.forEach(function (line) {
      var tr = table.insertRow();
      var key = document.createElement("kbd");
      key.textContent = line[0];
      tr.insertCell().appendChild(key);
      tr.insertCell().textContent = line[1];
    });
    inner.appendChild(table);
    box.appendChild(inner);
    box.addEventListener("click", function (e) { if (e.target === box) { box.hidden = true; } });
    document.body.appendChild(box);
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey || e.isComposing) { return; }
    var box = document.getElementById("keys-help");
    if (e.key === "Escape" && box && !box.hidden) { box.hidden = true; return; }
    if (typing(e.target)) { return; }
    if (e.key === "/") {
      var input = searchBox();
      if (input) { e.preventDefault(); input.focus(); input.select(); }
    } else if (e.key === "j" || e.key === "k") {
      e.preventDefault();
      move(e.key === "j" ? 1 : -1);
    } else if (e.key === "Enter") {
      // Enter on a focused link or button keeps its own meaning.
      if (e.target.closest && e.target.closest("a,button")) { return; }
      if (open()) { e.preventDefault(); }
    } else if (e.key === "?") {
      e.preventDefault();
      help();
    }
  });
})();
