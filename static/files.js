// Keyuan CRM: attachments and comments on a record's card (issue 15).
// Uploads go by XMLHttpRequest for the progress bar; without JavaScript the
// same form posts as plain multipart. Drag and drop, pasted screenshots and
// the @mention list are extras on top.
(function () {
  "use strict";

  function panelOf(el) { return el && el.closest ? el.closest("[data-files-panel]") : null; }

  function replacePanel(panel, html) {
    var box = document.createElement("div");
    box.innerHTML = html;
    var fresh = box.querySelector("[data-files-panel]");
    if (fresh) panel.replaceWith(fresh);
  }

  function upload(form, files) {
    var panel = panelOf(form);
    var data = new FormData();
    for (var i = 0; i < files.length; i++) data.append("file", files[i], files[i].name);
    var bar = form.querySelector("progress");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.setRequestHeader("HX-Request", "true");
    if (bar) { bar.hidden = false; bar.value = 0; }
    xhr.upload.onprogress = function (e) {
      if (bar && e.lengthComputable) bar.value = Math.round(e.loaded * 100 / e.total);
    };
    xhr.onload = function () {
      if (xhr.getResponseHeader("Content-Type") && xhr.getResponseHeader("Content-Type").indexOf("text/html") === 0 && panel) {
        replacePanel(panel, xhr.responseText);
      }
      if (bar) bar.hidden = true;
    };
    xhr.onerror = function () { if (bar) bar.hidden = true; };
    xhr.send(data);
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-file-upload]")) return;
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files.length) return;
    e.preventDefault();
    upload(form, input.files);
  });
  document.addEventListener("change", function (e) {
    var input = e.target;
    var form = input.closest && input.closest("form[data-file-upload]");
    if (form && input.files && input.files.length) upload(form, input.files);
  });
  document.addEventListener("dragover", function (e) {
    var form = e.target.closest && e.target.closest("form[data-file-upload]");
    if (form) { e.preventDefault(); form.classList.add("dragging"); }
  });
  document.addEventListener("dragleave", function (e) {
    var form = e.target.closest && e.target.closest("form[data-file-upload]");
    if (form) form.classList.remove("dragging");
  });
  document.addEventListener("drop", function (e) {
    var form = e.target.closest && e.target.closest("form[data-file-upload]");
    if (!form) return;
    e.preventDefault();
    form.classList.remove("dragging");
    if (e.dataTransfer && e.dataTransfer.files.length) upload(form, e.dataTransfer.files);
  });

  // A screenshot pasted anywhere on an issue, a handling record or an
  // article becomes an attachment: of the panel the paste happened in, else
  // the page's first panel that takes pastes.
  document.addEventListener("paste", function (e) {
    var items = (e.clipboardData && e.clipboardData.files) || [];
    var images = [];
    for (var i = 0; i < items.length; i++) {
      if (items[i].type.indexOf("image/") === 0) images.push(items[i]);
    }
    if (!images.length) return;
    var panel = panelOf(e.target);
    if (!panel || !panel.hasAttribute("data-paste")) panel = document.querySelector("[data-files-panel][data-paste]");
    var form = panel && panel.querySelector("form[data-file-upload]");
    if (!form) return;
    e.preventDefault();
    var stamp = new Date().toISOString().replace(/[:.]/g, "-");
    var named = images.map(function (f, n) {
      var ext = f.type === "image/jpeg" ? "jpg" : (f.type.split("/")[1] || "png");
      return new File([f], "screenshot-" + stamp + (n ? "-" + n : "") + "." + ext, { type: f.type });
    });
    upload(form, named);
  });

  // @mentions: after "@" and a few letters, a list of colleagues who may
  // see the record; a click puts "@login " into the text.
  var timer = null;
  document.addEventListener("input", function (e) {
    var ta = e.target;
    if (!ta.matches || !ta.matches("textarea[data-mentions]")) return;
    var before = ta.value.slice(0, ta.selectionStart);
    var m = /(^|\s)@([^\s@]{0,30})$/.exec(before);
    var list = ta.parentNode.querySelector(".mention-options");
    if (!m) { if (list) list.remove(); return; }
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(ta.getAttribute("data-mentions") + "?q=" + encodeURIComponent(m[2]), { headers: { "HX-Request": "true" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (people) {
          if (list) list.remove();
          if (!people.length) return;
          list = document.createElement("ul");
          list.className = "mention-options";
          people.forEach(function (p) {
            var li = document.createElement("li");
            var b = document.createElement("button");
            b.type = "button";
            b.className = "link";
            b.textContent = p.name + " (@" + p.username + ")";
            b.addEventListener("click", function () {
              var start = ta.selectionStart - m[2].length;
              ta.value = ta.value.slice(0, start) + p.username + " " + ta.value.slice(ta.selectionStart);
              ta.focus();
              list.remove();
            });
            li.appendChild(b);
            list.appendChild(li);
          });
          ta.insertAdjacentElement("afterend", list);
        });
    }, 200);
  });
})();
