// 登记: live suggestions while the operator types, representatives rows (at most 3),
// the conditional parts of the form, and one submit per click.
// Everything typed is rendered with textContent: no server or user text becomes HTML.
(function () {
  "use strict";
  var form = document.getElementById("register-form");
  if (!form) return;
  var t = JSON.parse(form.getAttribute("data-i18n"));
  var maxReps = parseInt(form.getAttribute("data-max-reps"), 10);
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // --- conditional parts -------------------------------------------------------------
  function toggles() {
    ["anonymous", "is_proxy", "is_group"].forEach(function (name) {
      var on = $(name).checked;
      form.querySelectorAll('[data-show-if="' + name + '"]').forEach(function (n) { n.hidden = !on; });
      form.querySelectorAll('[data-hide-if="' + name + '"]').forEach(function (n) { n.hidden = on; });
    });
    var chosen = form.querySelector('input[name="decision"]:checked');
    form.querySelectorAll(".decision-fields").forEach(function (n) {
      n.hidden = !chosen || n.getAttribute("data-decision") !== chosen.value;
    });
    var save = $("save");
    var label = chosen ? chosen.parentNode.textContent.trim() : "";
    if (label) save.textContent = label;
  }
  form.addEventListener("change", function (e) {
    if (e.target.type === "checkbox" || e.target.name === "decision") toggles();
  });

  function choose(decision) {
    var radio = form.querySelector('input[name="decision"][value="' + decision + '"]');
    if (radio) radio.checked = true;
    toggles();
  }

  // --- representatives: add and remove rows, never a 4th -----------------------------
  var rows = $("rep-rows");
  function renumber() {
    rows.querySelectorAll(".rep-row").forEach(function (row, i) {
      row.querySelector(".rep-no").textContent = String(i + 1);
    });
  }
  $("rep-add").addEventListener("click", function () {
    var limit = $("rep-limit");
    if (rows.querySelectorAll(".rep-row").length >= maxReps) {
      limit.textContent = t.rep_limit;
      limit.hidden = false;
      return;
    }
    limit.hidden = true;
    var row = $("rep-row-template").content.firstElementChild.cloneNode(true);
    rows.appendChild(row);
    renumber();
    row.querySelector('input[name="rep_name"]').focus();
  });
  rows.addEventListener("click", function (e) {
    if (!e.target.classList.contains("rep-remove")) return;
    var row = e.target.closest(".rep-row");
    if (rows.querySelectorAll(".rep-row").length > 1) {
      row.parentNode.removeChild(row);
    } else {
      row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
    }
    $("rep-limit").hidden = true;
    renumber();
  });

  // --- one submit per click (the one-time key stops a reload from filing twice) -----
  form.addEventListener("submit", function () {
    var save = $("save");
    setTimeout(function () { save.disabled = true; }, 0);
  });

  // --- live suggestions ----------------------------------------------------------------
  var url = form.getAttribute("data-suggest-url");
  var csrf = form.getAttribute("data-csrf");
  var timer = null;
  var seq = 0;
  var controller = null;

  function typed() {
    return {
      title: $("title").value,
      content: $("content").value,
      phone: $("phone").value
    };
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 350);
  }
  ["title", "content", "phone"].forEach(function (id) { $(id).addEventListener("input", schedule); });

  function fetchSuggestions() {
    var body = typed();
    if (!body.title.trim() && !body.content.trim()) {
      $("sg-body").hidden = true;
      $("sg-waiting").hidden = false;
      $("sg-state").textContent = "";
      return;
    }
    var mine = ++seq;
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    $("sg-state").textContent = t.loading;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (data) {
      if (mine !== seq) return;
      show(data);
      $("sg-state").textContent = "";
      form.setAttribute("data-suggested", String(mine));
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      if (mine === seq) $("sg-state").textContent = t.failed;
    });
  }

  function chips(words, cls) {
    var box = el("span", "sg-chips");
    words.forEach(function (w) { box.appendChild(el("span", "chip " + (cls || ""), w)); });
    return box;
  }

  function showRouting(data) {
    var list = $("sg-routing-list");
    clear(list);
    $("sg-no-model").hidden = data.routing_active;
    $("sg-no-model").textContent = data.routing_active ? "" : t.no_model;
    data.routing.forEach(function (r) {
      var pct = Math.round(r.confidence * 100);
      var li = el("li", "sg-bar");
      li.appendChild(el("span", "sg-bar-label", r.label));
      var track = el("span", "sg-bar-track");
      var fill = el("span", "sg-bar-fill" + (r.confidence >= data.threshold ? " sure" : ""));
      fill.style.width = pct + "%";
      track.appendChild(fill);
      li.appendChild(track);
      li.appendChild(el("span", "sg-bar-pct", pct + "%"));
      list.appendChild(li);
    });
    var note = "";
    if (data.routing_active && !data.routing.length) note = t.no_routing;
    else if (data.routing.length && data.needs_dispatcher) note = t.needs_dispatcher;
    $("sg-routing-note").textContent = note;
  }

  function showScope(scope) {
    var box = $("sg-scope-body");
    clear(box);
    if (scope.in_scope) {
      var p = el("p", "sg-line");
      p.appendChild(el("span", "badge badge-in", t.in_scope));
      p.appendChild(el("strong", null, " " + scope.label));
      box.appendChild(p);
      if (scope.matched_phrases.length) {
        var m = el("p", "sg-line small");
        m.appendChild(el("span", "muted", t.matched + "："));
        m.appendChild(chips(scope.matched_phrases, "chip-scope"));
        box.appendChild(m);
      }
      return;
    }
    var head = el("p", "sg-line");
    head.appendChild(el("span", "badge badge-out", t.out_scope));
    box.appendChild(head);
    if (scope.competent_authority) {
      var a = el("p", "sg-line");
      a.appendChild(el("span", "muted", t.authority + "："));
      a.appendChild(el("strong", null, scope.competent_authority));
      box.appendChild(a);
    }
    if (scope.explanation) box.appendChild(el("p", "sg-explain small", scope.explanation));
    var actions = el("p", "sg-actions");
    var reject = el("button", "btn btn-secondary", t.use_reject);
    reject.type = "button";
    reject.id = "sg-use-reject";
    reject.addEventListener("click", function () {
      $("reject_explanation").value = scope.explanation || "";
      $("reject_authority").value = scope.competent_authority || "";
      choose("reject");
      $("reject_explanation").focus();
    });
    var hand = el("button", "btn btn-secondary", t.use_handover);
    hand.type = "button";
    hand.id = "sg-use-handover";
    hand.addEventListener("click", function () {
      $("handover_department").value = scope.competent_authority || "";
      $("handover_reason").value = scope.explanation || "";
      choose("hand_over");
      $("handover_reason").focus();
    });
    actions.appendChild(reject);
    var handRadio = form.querySelector('input[name="decision"][value="hand_over"]');
    if (handRadio && !handRadio.disabled) actions.appendChild(hand);
    box.appendChild(actions);
  }

  function showImportance(imp) {
    var box = $("sg-importance-body");
    clear(box);
    var important = imp.level === "important";
    box.appendChild(el("p", "sg-line", null)).appendChild(
      el("span", "badge " + (important ? "badge-important" : "badge-left"), important ? t.important : t.ordinary));
    if (imp.reasons.length) {
      var ul = el("ul", "sg-reasons small");
      imp.reasons.forEach(function (r) {
        var li = el("li", null, r.label + "：");
        li.appendChild(chips(r.words));
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
  }

  function showPreview(data) {
    var box = $("sg-preview");
    clear(box);
    var seen = {};
    data.preview.forEach(function (seg) {
      if (!seg.kind) { box.appendChild(document.createTextNode(seg.text)); return; }
      var mark = el("mark", "ent ent-" + seg.kind, seg.text);
      mark.title = t.kinds[seg.kind] || seg.kind;
      box.appendChild(mark);
      seen[seg.kind] = true;
    });
    if (data.preview_truncated) box.appendChild(el("span", "muted small", " " + t.truncated));
    var legend = $("sg-legend");
    clear(legend);
    Object.keys(t.kinds).forEach(function (kind) {
      if (seen[kind]) legend.appendChild(el("mark", "ent ent-" + kind, t.kinds[kind]));
    });
  }

  function showEarlier(items) {
    var list = $("sg-earlier-list");
    clear(list);
    if (!$("phone").value.trim()) { list.appendChild(el("li", "muted small", t.no_phone)); return; }
    if (!items.length) { list.appendChild(el("li", "muted small", t.no_earlier)); return; }
    var en = document.documentElement.lang === "en";
    items.forEach(function (c) {
      var li = el("li");
      var a = el("a", null, c.tracking_no);
      a.href = c.url;
      a.target = "_blank";
      a.rel = "noopener";
      li.appendChild(a);
      li.appendChild(el("span", "badge badge-status", c.status_label[en ? 1 : 0]));
      li.appendChild(el("span", "small", c.title || ""));
      list.appendChild(li);
    });
  }

  function show(data) {
    $("sg-waiting").hidden = true;
    $("sg-body").hidden = false;
    showRouting(data);
    showScope(data.scope);
    showImportance(data.importance);
    showPreview(data);
    showEarlier(data.earlier);
  }

  toggles();
  var firstError = form.querySelector(".has-error input, .has-error textarea, .has-error select");
  if (firstError) firstError.focus();
  if ($("title").value.trim() || $("content").value.trim()) fetchSuggestions();
})();
