// The handling and callback pages: small aids; every form works without them.
(function () {
  "use strict";
  // Callback: the double deduction stands out when the outcome would reopen the case.
  var form = document.getElementById("callback-form");
  if (form) {
    var box = document.getElementById("deduction");
    var unsolved = document.getElementById("unsolved_and_true");
    var update = function () {
      var picked = form.querySelector("input[name=outcome]:checked");
      var reopens = unsolved.checked;
      box.classList.toggle("is-idle", !reopens);
      if (reopens && picked && picked.value !== "unsatisfied") {
        picked.checked = false;
      }
    };
    unsolved.addEventListener("change", function () {
      if (unsolved.checked) {
        var u = form.querySelector("input[name=outcome][value=unsatisfied]");
        if (u) { u.checked = true; }
      }
      update();
    });
    form.addEventListener("change", function (e) {
      if (e.target.name === "outcome" && e.target.value !== "unsatisfied") {
        unsolved.checked = false;
      }
      update();
    });
    update();
  }
  // Extension: say at once when the days asked for pass the ceiling (the server refuses too).
  var days = document.getElementById("working_days");
  if (days) {
    var hint = document.createElement("p");
    hint.className = "field-error";
    hint.hidden = true;
    days.insertAdjacentElement("afterend", hint);
    days.addEventListener("input", function () {
      var room = parseInt(days.getAttribute("data-room"), 10);
      var asked = parseInt(days.value, 10);
      var over = !isNaN(asked) && asked > room;
      hint.hidden = !over;
      hint.textContent = over
        ? "最多还可延期" + room + "个工作日 / at most " + room + " more working days"
        : "";
    });
  }
})();
