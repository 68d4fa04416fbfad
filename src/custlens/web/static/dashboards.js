/* 仪表板 builder: widgets picked from lists, moved up/down or dragged by their handle, each previewed live through
   POST /api/v1/dashboards/preview; saved with POST/PUT /api/v1/dashboards. Every visible text
   comes from the page (the message catalogue), none from here. */
(function () {
  "use strict";

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (resp) {
      return resp.json().then(function (data) {
        if (!resp.ok) throw new Error((data.error && data.error.message) || String(resp.status));
        return data;
      });
    });
  }

  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
      });
    });
  }

  var form = document.getElementById("dashboard-builder");
  if (!form) { confirmForms(); return; }
  var list = document.getElementById("widget-list");
  var tpl = document.getElementById("widget-template");
  var status = document.getElementById("save-status");
  var spec = JSON.parse(document.getElementById("dashboard-spec").textContent);
  var FIELDS = ["metric", "dimension", "chart", "period", "grain", "width", "title"];
  var chartIds = 0;

  // the dashboard's own filters (each widget row has a "period" select of its own)
  function globalField(k) {
    return form.querySelector("#global-filters [name=" + k + "]");
  }

  function filters() {
    var out = {};
    ["period", "channel", "store", "segment"].forEach(function (k) {
      out[k] = globalField(k).value || null;
    });
    return out;
  }

  function widgetOf(row) {
    var w = {};
    FIELDS.forEach(function (k) {
      var v = row.querySelector("[name=" + k + "]").value;
      w[k] = v === "" ? null : v;
    });
    if (!w.grain) w.grain = "month";
    if (!w.width) w.width = "full";
    return w;
  }

  function number(v, unit) {
    if (v === null || v === undefined) return "–";
    if (unit === "rate") return (v * 100).toFixed(2) + "%";
    var digits = unit === "count" ? 0 : 2;
    return Number(v).toLocaleString(document.documentElement.lang,
      { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function showRows(box, data) {
    var dim = data.widget.dimension;
    var table = document.createElement("table");
    table.className = "data";
    data.rows.slice(0, 12).forEach(function (r) {
      var tr = table.insertRow();
      if (dim) tr.insertCell().textContent = (r.period && dim !== "period" ? r.period + " · " : "") + r[dim];
      tr.insertCell().textContent = number(r.value, data.metric.unit);
    });
    box.appendChild(table);
  }

  function preview(row) {
    var box = row.querySelector(".preview");
    var err = row.querySelector(".preview-error");
    var opt = row.querySelector("[name=metric]").selectedOptions[0];
    row.querySelector(".definition").textContent = opt ? opt.title : "";
    row.setAttribute("data-preview", "loading");
    var ticket = (row._ticket = (row._ticket || 0) + 1);  // only the latest answer is shown
    api("POST", "/api/v1/dashboards/preview", { widget: widgetOf(row), filters: filters() })
      .then(function (data) {
        if (ticket !== row._ticket) return;
        err.hidden = true;
        box.innerHTML = "";
        if (data.chart) {
          var el = document.createElement("div");
          el.className = "chart";
          el.id = "preview" + (++chartIds);
          box.appendChild(el);
          window.custlensEmbed(el, { spec: data.chart, drill: null });
        } else {
          showRows(box, data);
        }
        row.setAttribute("data-preview", "ok");
      })
      .catch(function (e) {
        if (ticket !== row._ticket) return;
        box.innerHTML = "";
        err.textContent = e.message;
        err.hidden = false;
        row.setAttribute("data-preview", "error");
      });
  }

  function addRow(w) {
    var row = tpl.content.firstElementChild.cloneNode(true);
    FIELDS.forEach(function (k) {
      if (w[k] !== null && w[k] !== undefined) row.querySelector("[name=" + k + "]").value = w[k];
    });
    var timer = null;
    row.addEventListener("change", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { preview(row); }, 250);
    });
    row.querySelectorAll("[data-act]").forEach(function (b) {
      b.addEventListener("click", function () {
        var act = b.getAttribute("data-act");
        if (act === "remove") row.remove();
        else if (act === "up" && row.previousElementSibling) list.insertBefore(row, row.previousElementSibling);
        else if (act === "down" && row.nextElementSibling) list.insertBefore(row.nextElementSibling, row);
      });
    });
    var handle = row.querySelector(".drag-handle");
    handle.addEventListener("dragstart", function (e) {
      dragged = row;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", "");
    });
    row.addEventListener("dragover", function (e) { if (dragged) e.preventDefault(); });
    row.addEventListener("drop", function (e) {
      e.preventDefault();
      if (!dragged || dragged === row) return;
      var after = e.clientY > row.getBoundingClientRect().top + row.offsetHeight / 2;
      list.insertBefore(dragged, after ? row.nextElementSibling : row);
      dragged = null;
    });
    list.appendChild(row);
    preview(row);
  }
  var dragged = null;

  form.elements.name.value = spec.name || "";
  var f = spec.filters || {};
  ["period", "channel", "store", "segment"].forEach(function (k) {
    if (f[k]) globalField(k).value = f[k];
  });
  var sharing = spec.shared_with || { roles: [], users: [] };
  form.querySelectorAll("[name=share_role]").forEach(function (c) {
    c.checked = sharing.roles.indexOf(c.value) >= 0;
  });
  form.querySelectorAll("[name=share_user]").forEach(function (c) {
    c.checked = (sharing.users || []).indexOf(c.value) >= 0;
  });
  (spec.widgets || []).forEach(addRow);

  document.getElementById("add-widget").addEventListener("click", function () {
    addRow({ metric: "gmv", chart: "kpi" });
  });
  ["period", "channel", "store", "segment"].forEach(function (k) {
    globalField(k).addEventListener("change", function () {
      list.querySelectorAll("[data-widget-row]").forEach(preview);
    });
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var body = {
      name: form.elements.name.value,
      description: spec.description || "",
      filters: filters(),
      shared_with: {
        roles: Array.prototype.map.call(form.querySelectorAll("[name=share_role]:checked"),
          function (c) { return c.value; }),
        users: Array.prototype.map.call(form.querySelectorAll("[name=share_user]:checked"),
          function (c) { return c.value; })
      },
      widgets: Array.prototype.map.call(list.querySelectorAll("[data-widget-row]"), widgetOf)
    };
    var id = form.getAttribute("data-id");
    status.textContent = "";
    api(id ? "PUT" : "POST", "/api/v1/dashboards" + (id ? "/" + id : ""), body)
      .then(function (saved) {
        status.textContent = form.getAttribute("data-saved");
        window.location.assign("/dashboards/" + saved.id);
      })
      .catch(function (err) {
        status.textContent = form.getAttribute("data-unsaved") + ": " + err.message;
        status.className = "status error";
      });
  });
})();
