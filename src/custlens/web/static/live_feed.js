// 总览 live feed: profile changes from GET /api/v1/changes/stream (Server-Sent Events).
// The server applies the viewer's row filters and masks names; text is inserted as text.
(function () {
  "use strict";
  var box = document.getElementById("live-feed");
  if (!box || !window.EventSource) return;
  var list = box.querySelector(".live-list");
  var status = box.querySelector(".live-status");
  var hint = status.textContent;
  var kinds = { segment: box.dataset.segment, stage: box.dataset.stage, tag: box.dataset.tag };
  var source = new EventSource(box.dataset.src);
  source.addEventListener("change", function (event) {
    var c = JSON.parse(event.data);
    var item = document.createElement("li");
    var time = document.createElement("time");
    time.textContent = c.changed_at.slice(5, 19);
    var link = document.createElement("a");
    link.href = "/customers/" + encodeURIComponent(c.customer_id);
    link.textContent = c.customer_id + (c.name ? " " + c.name : "");
    var what = " · " + (kinds[c.kind] || c.kind) + ": " + (c.from_label || "—") + " → " +
      c.to_label + (c.group ? " (" + c.group + ")" : "");
    item.append(time, " ", link, what);
    list.prepend(item);
    while (list.children.length > 50) list.lastElementChild.remove();
  });
  source.addEventListener("open", function () { status.textContent = hint; });
  source.addEventListener("error", function () { status.textContent = box.dataset.offline; });
})();
