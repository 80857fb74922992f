// Keyuan CRM: the little JavaScript the pages need beside htmx. No inline
// scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  // A thin progress bar while any htmx request runs, so nobody waits
  // without seeing that something happens.
  var inflight = 0;
  function progress(delta) {
    var bar = document.getElementById("progress");
    inflight = Math.max(0, inflight + delta);
    if (bar) bar.classList.toggle("active", inflight > 0);
  }
  document.addEventListener("htmx:beforeRequest", function () { progress(1); });
  document.addEventListener("htmx:afterRequest", function () { progress(-1); });
  window.addEventListener("beforeunload", function () { progress(1); });

  // Toasts: the server sends HX-Trigger {"toast": {"message", "level"}}.
  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (level || "info");
    el.setAttribute("role", level === "error" ? "alert" : "status");
    el.textContent = message;
    box.appendChild(el);
    setTimeout(function () { el.classList.add("leaving"); }, 4000);
    setTimeout(function () { el.remove(); }, 4600);
  }
  document.addEventListener("toast", function (e) { toast(e.detail.message, e.detail.level); });
  document.addEventListener("htmx:responseError", function (e) {
    if (!e.detail.xhr.getResponseHeader("HX-Trigger")) toast(document.documentElement.lang === "en" ? "Request failed" : "请求失败", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast(document.documentElement.lang === "en" ? "Cannot reach the server" : "无法连接服务器", "error");
  });

  // Forms and buttons with data-confirm ask before they submit.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var btn = e.submitter;
    var msg = (btn && btn.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  }, true);

  // Navigation drawer on narrow screens.
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-toggle-nav]");
    if (!t) return;
    e.preventDefault(); // the link's #sidenav is for browsers without script
    var open = document.body.classList.toggle("nav-open");
    t.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // "Select all on this page" and the batch bar.
  function syncBatch(form) {
    var boxes = form.querySelectorAll("input[name=id]");
    var checked = form.querySelectorAll("input[name=id]:checked").length;
    var all = form.querySelector("input[name=all]");
    var bar = form.querySelector("[data-batch-actions]");
    if (bar) bar.classList.toggle("has-selection", checked > 0 || (all && all.checked));
    var head = form.querySelector("[data-check-all]");
    if (head) {
      head.checked = boxes.length > 0 && checked === boxes.length;
      head.indeterminate = checked > 0 && checked < boxes.length;
    }
  }
  document.addEventListener("change", function (e) {
    var form = e.target.closest("form[data-batch]");
    if (!form) return;
    if (e.target.matches("[data-check-all]")) {
      form.querySelectorAll("input[name=id]").forEach(function (b) { b.checked = e.target.checked; });
    }
    syncBatch(form);
  });

  // "Fetch from knowledge base": copy an article's solution into the
  // handling record being written, and remember which article it was.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-kb-copy]");
    if (!btn) return;
    var hit = btn.closest("[data-kb-hit]");
    var source = hit && hit.querySelector(".kb-solution");
    var target = document.getElementById("handling-content");
    if (!source || !target) return;
    var text = source.value.trim();
    target.value = target.value.trim() ? target.value.replace(/\s+$/, "") + "\n\n" + text : text;
    var article = document.getElementById("handling-article");
    if (article) article.value = btn.getAttribute("data-article-id") || "";
    target.focus();
    target.setSelectionRange(target.value.length, target.value.length);
    toast(btn.getAttribute("data-copied"), "info");
  });

  // The top bar's results as you type: close on Escape or a click outside,
  // open again when the box gets the focus back.
  function suggestBox() { return document.getElementById("search-suggest"); }
  document.addEventListener("keydown", function (e) {
    var box = suggestBox();
    if (e.key === "Escape" && box && !box.hidden) {
      box.hidden = true;
    }
  });
  document.addEventListener("click", function (e) {
    var box = suggestBox();
    if (box && !e.target.closest("[data-suggest]")) box.hidden = true;
  });
  document.addEventListener("focusin", function (e) {
    var box = suggestBox();
    if (box && e.target.closest("[data-suggest]")) box.hidden = false;
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.target.id === "search-suggest") e.target.hidden = false;
  });
})();

(function () {
  "use strict";
  // A select marked data-autosubmit submits its form when changed.
  document.addEventListener("change", function (e) {
    if (e.target.matches("select[data-autosubmit]")) e.target.form.requestSubmit();
  });
  // A submit button with data-busy shows that text and is disabled while
  // the (slow) request runs, so nobody clicks twice or wonders.
  document.addEventListener("submit", function (e) {
    if (e.defaultPrevented) return;
    var btn = e.submitter;
    if (!btn || !btn.hasAttribute("data-busy")) return;
    setTimeout(function () { btn.disabled = true; btn.textContent = btn.getAttribute("data-busy"); }, 0);
  });
})();

// Business activity screens.
(function () {
  "use strict";

  // Counterpart picker: choosing a search result fills the hidden id and
  // tells the form ("picked"), so the contact list reloads.
  document.addEventListener("click", function (e) {
    var opt = e.target.closest("[data-pick-id]");
    if (opt) {
      var picker = opt.closest("[data-picker]");
      picker.querySelector("input[name=customer]").value = opt.getAttribute("data-pick-id");
      picker.querySelector("input[name=customer_label]").value = opt.getAttribute("data-pick-label");
      picker.querySelector(".picker-results").innerHTML = "";
      picker.dispatchEvent(new CustomEvent("picked", { bubbles: true }));
      return;
    }
    // A click elsewhere closes open result lists.
    document.querySelectorAll("[data-picker] .picker-results").forEach(function (r) {
      if (!r.closest("[data-picker]").contains(e.target)) r.innerHTML = "";
    });
    var close = e.target.closest("[data-close-detail]");
    if (close) {
      var box = close.closest(".cal-detail");
      if (box) box.innerHTML = "";
    }
  });

  // Typing in the picker after a choice clears the chosen id, so a changed
  // name is never saved against the old customer.
  document.addEventListener("input", function (e) {
    if (e.target.name !== "customer_label") return;
    var picker = e.target.closest("[data-picker]");
    if (picker) picker.querySelector("input[name=customer]").value = "";
  });

  // The one-time feed address selects itself for copying.
  document.addEventListener("focusin", function (e) {
    if (e.target.matches("[data-select-on-focus]")) e.target.select();
  });

  // Pipeline board: dragging a card onto another stage moves it there
  // (the buttons and the list do the same without a mouse).
  var dragged = null;
  document.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest("[data-move]");
    if (!card) return;
    dragged = card;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.getAttribute("data-move"));
  });
  document.addEventListener("dragover", function (e) {
    var col = dragged && e.target.closest("[data-stage]");
    if (col && col.getAttribute("data-stage") !== "0") {
      e.preventDefault();
      col.classList.add("drop-target");
    }
  });
  document.addEventListener("dragleave", function (e) {
    var col = e.target.closest && e.target.closest("[data-stage]");
    if (col && !col.contains(e.relatedTarget)) col.classList.remove("drop-target");
  });
  document.addEventListener("drop", function (e) {
    var col = dragged && e.target.closest("[data-stage]");
    if (!col) return;
    e.preventDefault();
    col.classList.remove("drop-target");
    var url = dragged.getAttribute("data-move");
    dragged = null;
    if (window.htmx) htmx.ajax("POST", url, { target: "#board", values: { stage: col.getAttribute("data-stage") } });
  });
  document.addEventListener("dragend", function () { dragged = null; });
})();

// On a phone, a list's filters fold behind one "Filters" button; filters
// already in use stay visible. Wide screens show them all, as before.
(function () {
  "use strict";
  function fold(root) {
    (root || document).querySelectorAll("form.filters").forEach(function (form) {
      if (form.querySelector("[data-toggle-filters]") || form.querySelectorAll("select").length < 3) return;
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "btn filter-toggle";
      btn.setAttribute("data-toggle-filters", "");
      btn.setAttribute("aria-expanded", "false");
      btn.textContent = document.documentElement.lang === "en" ? "Filters" : "筛选";
      form.classList.add("foldable");
      var first = form.querySelector("input[type=search]");
      if (first && first.nextSibling) form.insertBefore(btn, first.nextSibling); else form.appendChild(btn);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { fold(); });
  document.addEventListener("htmx:afterSwap", function (e) { fold(e.target); });
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-toggle-filters]");
    if (!btn) return;
    var open = btn.form.classList.toggle("show-all");
    btn.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();

// Reports.
(function () {
  "use strict";
  // The report builder shows a definition the server refuses (400) in
  // place, with the reason, as any form shows a 422.
  // Typing a report's name or category changes nothing in its preview:
  // keep the change from the builder's form, which would rebuild itself
  // (and could drop letters typed while it did).
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-no-rebuild]")) e.stopPropagation();
  }, true);
  document.addEventListener("htmx:beforeSwap", function (e) {
    // The element that made the request (detail.elt is the target).
    var elt = (e.detail.requestConfig && e.detail.requestConfig.elt) || e.detail.elt;
    if (e.detail.xhr.status === 400 && elt && elt.closest && elt.closest("[data-swap-errors]")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
})();
