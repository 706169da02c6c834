/* Hunter lead screen: small progressive enhancements. Every page works without this file.
   - [data-copy="id"]: copy the text of element #id to the clipboard and say so.
   - form[data-confirm]: ask before submitting.
   - form[data-busy]: disable the submit button and show the busy label while it is sent.
   - [data-job]: poll /jobs/<id> and move the progress bar; load data-done-url when finished.  A job
     already finished when the page was drawn is shown as it is, and the address becomes
     data-done-url without a reload, so reloading later does not show the finished job again.
   Hand-written, no dependencies; allowed by the page's Content-Security-Policy (script-src 'self'). */
(function () {
  "use strict";

  var FINAL = { done: true, failed: true, cancelled: true };

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function initCopy(button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) { return; }
      var status = button.parentNode.querySelector(".copy-status");
      copyText(source.value !== undefined ? source.value : source.textContent).then(function () {
        button.classList.add("is-done");
        if (status) { status.textContent = button.getAttribute("data-copied") || "✓"; }
        window.setTimeout(function () {
          button.classList.remove("is-done");
          if (status) { status.textContent = ""; }
        }, 2500);
      }, function () {
        source.focus();
        if (source.select) { source.select(); }
      });
    });
  }

  function initConfirm(form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  }

  function initBusy(form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        window.setTimeout(function () {
          button.disabled = true;
          button.textContent = form.getAttribute("data-busy");
        }, 0);
      }
    });
  }

  function initJob(box) {
    var id = box.getAttribute("data-job");
    var bar = box.querySelector("[data-job-bar]");
    var text = box.querySelector("[data-job-text]");
    var chip = box.querySelector("[data-job-status]");
    var done = box.getAttribute("data-done-url");
    if (FINAL[box.getAttribute("data-status")]) {
      if (done && done !== window.location.pathname + window.location.search && window.history.replaceState) {
        window.history.replaceState(null, "", done);
      }
      return;
    }
    var delay = 500;

    function poll() {
      fetch("/jobs/" + encodeURIComponent(id), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (answer) {
          if (answer.ok) { return answer.json(); }
          if (answer.status === 401 || answer.status === 403 || answer.status === 404) { return null; }
          throw new Error("HTTP " + answer.status);                 // a passing fault: ask again later
        })
        .then(function (job) {
          if (!job) { return; }
          var percent = Math.round((job.progress || 0) * 100);
          if (bar) { bar.value = percent; bar.textContent = percent + " %"; }
          if (text) {
            text.textContent = job.total ? (job.done + job.failed) + " / " + job.total : String(job.done);
          }
          if (chip) { chip.setAttribute("data-state", job.status); }
          if (FINAL[job.status]) {
            window.location.replace(done);
            return;
          }
          delay = Math.min(delay * 1.3, 3000);
          window.setTimeout(poll, delay);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, delay);
  }

  function each(selector, init) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), init);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.documentElement.classList.add("js");
    each("[data-copy]", initCopy);
    each("form[data-confirm]", initConfirm);
    each("form[data-busy]", initBusy);
    each("[data-job]", initJob);
  });
}());
