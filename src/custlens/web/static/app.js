/* custlens dashboard: charts (vega-embed, CSP-safe interpreter), drill-down, small helpers.
   No inline scripts anywhere: chart specs arrive as inert JSON blocks. */
(function () {
  "use strict";
  var views = {};
  window.custlensViews = views;

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

  function embed(el) {
    var block = document.getElementById(el.getAttribute("data-chart"));
    if (!block || typeof vegaEmbed === "undefined") return;
    var cfg = JSON.parse(block.textContent);
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
  }

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
