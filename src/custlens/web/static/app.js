/* custlens dashboard: charts (vega-embed, CSP-safe interpreter), drill-down, small helpers.
   No inline scripts anywhere: chart specs arrive as inert JSON blocks. */
(function () {
  "use strict";
  var views = {};
  window.custlensViews = views;
  window.custlensEmbed = function (el, cfg) { embedSpec(el, cfg); };

  function drillUrl(drill, datum) {
    var params = new URLSearchParams();
    var fixed = drill.fixed || {};
    Object.keys(fixed).forEach(function (k) {
      if (fixed[k] !== null && fixed[k] !== "") params.set(k, fixed[k]);
    });
    var fields = drill.fields || {};
    var keys = Object.keys(fields);
    for (var i = 0; i < keys.length; i++) {
      var v = datum[fields[keys[i]]];
      if (v === undefined || v === null || v === "") return null;
      params.set(keys[i], String(v));
    }
    return (drill.base || "/customers") + "?" + params.toString();
  }

  /* a single-view Vega-Lite chart takes the full width of its box (the spec's fixed width
     is for reports); composite views (concat, facet, repeat) keep their own layout */
  function fitWidth(el, spec) {
    var composite = spec.hconcat || spec.vconcat || spec.concat || spec.facet || spec.repeat;
    var lite = String(spec["$schema"] || "").indexOf("vega-lite") >= 0;
    var width = el.clientWidth;
    if (!lite || composite || typeof spec.width !== "number" || width < 200) return;
    spec.width = width;
    spec.autosize = { type: "fit-x", contains: "padding" };
  }

  function embed(el) {
    var block = document.getElementById(el.getAttribute("data-chart"));
    if (!block || typeof vegaEmbed === "undefined") return;
    embedSpec(el, JSON.parse(block.textContent));
  }

  /* draw {spec, drill} into el (also used by the dashboard builder's live preview) */
  function embedSpec(el, cfg) {
    fitWidth(el, cfg.spec);
    var opts = {
      renderer: "canvas",
      actions: false,
      defaultStyle: false,
      ast: true,
      expr: vega.expressionInterpreter,
      tooltip: { disableDefaultStyle: true }
    };
    vegaEmbed(el, cfg.spec, opts).then(function (res) {
      views[el.id] = res.view;
      if (cfg.drill) {
        res.view.addEventListener("click", function (event, item) {
          if (!item || !item.datum) return;
          var url = drillUrl(cfg.drill, item.datum);
          if (url) window.location.assign(url);
        });
      }
      el.setAttribute("data-ready", "1");
    }).catch(function (err) {
      el.textContent = "chart error: " + err;
      el.setAttribute("data-ready", "error");
    });
  }

  function init() {
    document.querySelectorAll("[data-chart]").forEach(embed);
    document.querySelectorAll("[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () {
        if (s.name === "period" && s.value === "custom") { toggleCustom(); return; }
        s.form.submit();
      });
    });
    document.querySelectorAll("[data-back]").forEach(function (a) {
      a.addEventListener("click", function (e) {
        if (window.history.length > 1) { e.preventDefault(); window.history.back(); }
      });
    });
    toggleCustom();
    livePreview();
    document.querySelectorAll("[data-step-pick]").forEach(stepPicker);
    document.querySelectorAll("form[data-busy]").forEach(busyForm);
    document.querySelectorAll("a[data-busy]").forEach(busyLink);
    document.querySelectorAll("button[data-image]").forEach(imageExport);
  }

  /* a dashboard widget's chart saved as PNG (twice the screen's pixels) or SVG, drawn in the
     browser from the chart already shown: no server round trip, no outside service */
  function imageExport(button) {
    button.addEventListener("click", function () {
      var box = button.closest(".widget");
      var el = box && box.querySelector(".chart");
      var view = el && views[el.id];
      if (!view) return;
      var fmt = button.getAttribute("data-image");
      view.toImageURL(fmt, fmt === "png" ? 2 : 1).then(function (url) {
        var a = document.createElement("a");
        a.href = url;
        a.download = (button.getAttribute("data-name") || "chart") + "." + fmt;
        document.body.appendChild(a);
        a.click();
        a.remove();
      });
    });
  }

  /* funnel builder: a picked step is appended to the steps field, joined by " > " */
  function stepPicker(select) {
    var input = document.getElementById(select.getAttribute("data-step-pick"));
    if (!input) return;
    select.addEventListener("change", function () {
      if (!select.value) return;
      var text = input.value.trim();
      input.value = text ? text + " > " + select.value : select.value;
      select.value = "";
      input.focus();
    });
  }

  /* loading states: a status line with the seconds elapsed, the buttons disabled while a
     slow request runs; a download (report, export) is fetched so the page can say when it
     is done, and can be cancelled */
  function statusFor(el) {
    var note = document.createElement("span");
    note.className = "busy-note";
    note.setAttribute("role", "status");
    note.setAttribute("aria-live", "polite");
    note.hidden = true;
    el.insertAdjacentElement("afterend", note);
    return note;
  }

  function startBusy(el, note, onCancel) {
    var started = Date.now();
    var label = el.getAttribute("data-busy");
    var text = document.createElement("span");
    note.textContent = "";
    note.appendChild(Object.assign(document.createElement("span"), { className: "spinner" }));
    note.appendChild(text);
    if (onCancel) {
      var cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "small secondary";
      cancel.textContent = el.getAttribute("data-cancel") || "✕";
      cancel.addEventListener("click", onCancel);
      note.appendChild(cancel);
    }
    function tick() { text.textContent = label + " " + Math.round((Date.now() - started) / 1000) + " s"; }
    tick();
    note.hidden = false;
    note.classList.remove("error");
    el.setAttribute("aria-busy", "true");
    var timer = setInterval(tick, 500);
    return function stop(message) {
      clearInterval(timer);
      el.removeAttribute("aria-busy");
      note.textContent = message || "";
      note.hidden = !message;
      if (message) note.classList.add("error");
    };
  }

  function fileName(resp, fallback) {
    var cd = resp.headers.get("Content-Disposition") || "";
    var m = /filename\*=UTF-8''([^;]+)/i.exec(cd) || /filename="?([^";]+)"?/i.exec(cd);
    return m ? decodeURIComponent(m[1]) : fallback;
  }

  function errorText(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var el = doc.querySelector(".flash.error, main .notice, main p, main");
    return el ? el.textContent.trim() : "";
  }

  function download(el, url, init, done) {
    var ctrl = new AbortController();
    var stop = startBusy(el, el._note, function () { ctrl.abort(); });
    init.signal = ctrl.signal;
    init.credentials = "same-origin";
    fetch(url, init).then(function (resp) {
      if (!resp.ok) return resp.text().then(function (t) { throw new Error(errorText(t) || resp.status); });
      return resp.blob().then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = fileName(resp, "download");
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        stop();
      });
    }).catch(function (err) {
      stop(err.name === "AbortError" ? "" : String(err.message || err));
    }).then(done, done);
  }

  function setDisabled(form, on) {
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = on; });
  }

  function busyForm(form) {
    form._note = statusFor(form.querySelector("button[type=submit], button:not([type])") || form.lastElementChild);
    form.addEventListener("submit", function (e) {
      if (form.hasAttribute("data-download")) {
        e.preventDefault();
        var data = new FormData(form);
        setDisabled(form, true);
        download(form, form.action, { method: "POST", body: data }, function () { setDisabled(form, false); });
        return;
      }
      // a page that answers when done (the analysis run): keep the user informed until then
      startBusy(form, form._note, null);
      setTimeout(function () { setDisabled(form, true); }, 0);
    });
  }

  function busyLink(a) {
    a._note = statusFor(a);
    a.addEventListener("click", function (e) {
      e.preventDefault();
      if (a.getAttribute("aria-busy")) return;
      download(a, a.href, { method: "GET" }, function () {});
    });
  }

  window.addEventListener("pageshow", function () {  // back to a page kept in the cache
    document.querySelectorAll("form[data-busy]").forEach(function (f) {
      setDisabled(f, false);
      if (f._note) { f._note.hidden = true; f.removeAttribute("aria-busy"); }
    });
  });

  function toggleCustom() {
    var form = document.getElementById("period-form");
    if (!form) return;
    var custom = form.elements.period.value === "custom";
    form.querySelectorAll(".custom-dates").forEach(function (l) { l.hidden = !custom; });
  }

  function livePreview() {
    var input = document.querySelector("[data-rule-preview]");
    var out = document.getElementById("rule-live");
    if (!input || !out) return;
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (!input.value.trim()) { out.textContent = ""; return; }
        fetch("/api/v1/tags/preview?rule=" + encodeURIComponent(input.value), {
          credentials: "same-origin",
          headers: { "X-CSRF-Token": document.querySelector("meta[name=csrf-token]").content }
        }).then(function (r) { return r.json(); }).then(function (d) {
          out.textContent = d.error ? d.error.message : (d.matched + " / " + d.customers);
        }).catch(function () { out.textContent = ""; });
      }, 400);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
