// The dispatcher's pages. Without this file every form still works: the unit picker is a
// plain <select>. With it: a search box and a nested tree filtered as you type, the triage
// panel's units one click away, and the queue's select-all and count.
(function () {
  "use strict";
  var en = document.documentElement.lang === "en";
  var T = {
    chosen: en ? "Chosen: " : "已选：",
    none: en ? "No unit matches" : "没有匹配的单位",
    expand: en ? "expand" : "展开",
  };

  function picker(root) {
    var select = root.querySelector(".unit-select");
    var search = root.querySelector(".unit-search");
    var tree = root.querySelector(".unit-tree");
    var chosen = root.querySelector(".unit-chosen");
    if (!select || !search || !tree) return null;
    var nodes = [];
    var byId = {};
    Array.prototype.forEach.call(select.options, function (opt) {
      if (!opt.value) return;
      var node = {
        id: opt.value,
        name: opt.textContent.replace(/^[\u3000\s]+/, ""),
        depth: parseInt(opt.getAttribute("data-depth") || "0", 10),
        parent: opt.getAttribute("data-parent") || "",
        children: 0,
        open: false,
      };
      nodes.push(node);
      byId[node.id] = node;
    });
    nodes.forEach(function (n) {
      if (byId[n.parent]) byId[n.parent].children += 1;
      n.open = n.depth < 1;
    });
    nodes.forEach(function (n) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.setAttribute("role", "option");
      button.setAttribute("data-id", n.id);
      button.style.paddingLeft = 8 + n.depth * 18 + "px";
      var toggle = document.createElement("span");
      toggle.className = "toggle";
      toggle.textContent = n.children ? "▸" : "";
      toggle.title = n.children ? T.expand : "";
      button.appendChild(toggle);
      button.appendChild(document.createTextNode(n.name));
      li.appendChild(button);
      tree.appendChild(li);
      n.li = li;
      n.button = button;
      n.toggle = toggle;
      button.addEventListener("click", function (event) {
        if (event.target === toggle && n.children) {
          n.open = !n.open;
          render();
          return;
        }
        choose(n.id);
      });
    });
    var empty = document.createElement("li");
    empty.className = "muted small";
    empty.textContent = T.none;
    tree.appendChild(empty);

    function ancestorsOpen(n) {
      var p = byId[n.parent];
      while (p) {
        if (!p.open) return false;
        p = byId[p.parent];
      }
      return true;
    }

    function pathOf(n) {
      var names = [n.name];
      var p = byId[n.parent];
      while (p && p.depth > 0) {
        names.unshift(p.name);
        p = byId[p.parent];
      }
      return names.join(" › ");
    }

    function render() {
      var q = search.value.trim().toLowerCase();
      var shown = {};
      if (q) {
        nodes.forEach(function (n) {
          if (n.name.toLowerCase().indexOf(q) >= 0) {
            shown[n.id] = "hit";
            var p = byId[n.parent];
            while (p) {
              if (!shown[p.id]) shown[p.id] = "dim";
              p = byId[p.parent];
            }
          }
        });
      }
      var any = false;
      nodes.forEach(function (n) {
        var visible = q ? !!shown[n.id] : ancestorsOpen(n);
        n.li.hidden = !visible;
        n.li.className = q && shown[n.id] === "dim" ? "dim" : "";
        n.toggle.textContent = n.children ? (n.open || q ? "▾" : "▸") : "";
        n.button.setAttribute("aria-selected", String(select.value === n.id));
        if (visible) any = true;
      });
      empty.hidden = any;
      var current = byId[select.value];
      chosen.textContent = current ? T.chosen + pathOf(current) : "";
    }

    function choose(id) {
      select.value = id;
      var n = byId[id];
      var p = n && byId[n.parent];
      while (p) {
        p.open = true;
        p = byId[p.parent];
      }
      render();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    // The keyboard moves among the units that match (ancestors shown for context are skipped).
    // Scroll the tree (never the page) so a preselected unit is in sight.
    function reveal(n) {
      tree.scrollTop = Math.max(0, n.li.offsetTop - tree.offsetTop - tree.clientHeight / 3);
    }

    function visibleButtons() {
      return nodes.filter(function (n) {
        return !n.li.hidden && n.li.className !== "dim";
      }).map(function (n) { return n.button; });
    }

    search.addEventListener("input", render);
    search.addEventListener("keydown", function (event) {
      var buttons = visibleButtons();
      if (!buttons.length) return;
      var active = tree.querySelector("button.active");
      var i = buttons.indexOf(active);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (active) active.classList.remove("active");
        i = event.key === "ArrowDown" ? Math.min(i + 1, buttons.length - 1) : Math.max(i - 1, 0);
        buttons[i].classList.add("active");
        buttons[i].scrollIntoView({ block: "nearest" });
      } else if (event.key === "Enter") {
        event.preventDefault(); // Enter picks a unit; it never submits the form
        var hit = active || buttons[0];
        if (hit) choose(hit.getAttribute("data-id"));
      }
    });
    // The tree takes over from the select; the server still checks the choice.
    select.hidden = true;
    select.required = false;
    search.hidden = false;
    tree.hidden = false;
    if (byId[select.value]) {
      choose(select.value);
      reveal(byId[select.value]);
    } else {
      render();
    }
    return { choose: choose, select: select, root: byId };
  }

  var pickers = {};
  document.querySelectorAll("[data-unit-picker]").forEach(function (root) {
    var p = picker(root);
    var form = root.closest("form");
    if (p && form && form.id) pickers[form.id] = p;
  });

  // The triage panel's suggested units fill the dispatch form (or the sign-off form).
  document.querySelectorAll(".use-unit").forEach(function (button) {
    button.addEventListener("click", function () {
      var p = pickers["dispatch-form"] || pickers["sign-off-form"];
      if (p) {
        p.choose(button.getAttribute("data-unit"));
        p.select.closest("form").scrollIntoView({ block: "start", behavior: "smooth" });
      }
    });
  });

  // Self-handling is done by the centre itself: the own unit, when nothing was chosen.
  ["dispatch-form", "sign-off-form"].forEach(function (id) {
    var form = document.getElementById(id);
    var p = pickers[id];
    if (!form || !p) return;
    form.querySelectorAll("input[name=mode]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        var first = p.select.querySelector("option[value]:not([value=''])");
        if (radio.checked && radio.value === "self_handle" && !p.select.value && first) {
          p.choose(first.value);
        }
      });
    });
  });

  // The queue: select all, the count of ticked rows, ticked rows highlighted.
  var queue = document.getElementById("dispatch-queue");
  if (queue) {
    var all = document.getElementById("pick-all");
    var count = document.getElementById("bulk-selected");
    var boxes = queue.querySelectorAll("input[name=pick]");
    var update = function () {
      var n = 0;
      boxes.forEach(function (box) {
        box.closest("tr").classList.toggle("picked", box.checked);
        if (box.checked) n += 1;
      });
      if (count) count.textContent = String(n);
      if (all) all.checked = n > 0 && n === boxes.length;
    };
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    if (all) {
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
        update();
      });
    }
    update();
  }
})();
