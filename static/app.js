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
