// commerce-async admin: keeps the Bulk Actions pages current without reloading them.
// The element marked data-poll names a JSON endpoint of this admin; its answer updates the
// progress bars, counts and status badges in place. Polls often while work is under way and
// slowly once everything shown has finished; pauses while the tab is hidden.
(function () {
  "use strict";

  var FAST_MS = 1000;
  var SLOW_MS = 5000;
  var SEGMENTS = ["complete", "failed", "open"];

  var root = document.querySelector("[data-poll]");
  if (!root) {
    return;
  }
  var url = root.getAttribute("data-poll");
  var kind = root.getAttribute("data-kind");
  var live = document.querySelector("[data-live]");

  function setLive(ok) {
    if (!live) {
      return;
    }
    live.classList.toggle("on", ok);
    live.classList.toggle("off", !ok);
    live.textContent = ok ? "Live" : "Reconnecting";
  }

  function setText(element, value) {
    var text = String(value);
    if (element && element.textContent !== text) {
      element.textContent = text;
    }
  }

  // Update one bulk's progress bar, legend and status badge inside `scope`.
  function updateBulk(scope, bulk) {
    var progress = bulk.progress;
    var block = scope.querySelector("[data-progress]");
    if (block) {
      SEGMENTS.forEach(function (name, index) {
        var segment = block.querySelector(".seg." + name);
        if (segment) {
          segment.style.width = progress.percent[index] + "%";
        }
        setText(block.querySelector('[data-field="' + name + '"]'), progress[name]);
      });
      var bar = block.querySelector(".progress");
      if (bar) {
        bar.setAttribute(
          "aria-label",
          progress.complete + " complete, " + progress.failed + " failed, " + progress.open +
            " open of " + progress.total
        );
      }
    }
    var badge = scope.querySelector('[data-field="status"]');
    if (badge) {
      setText(badge, bulk.status_label);
      badge.className = badge.className.replace(
        /\b(not-started|in-progress|success|failure)\b/,
        bulk.status_class
      );
    }
  }

  function active(bulk) {
    return bulk.status === 0 || bulk.status === 1;
  }

  function updateList(data) {
    var rows = {};
    var shown = [];
    document.querySelectorAll("tr[data-bulk-id]").forEach(function (row) {
      rows[row.getAttribute("data-bulk-id")] = row;
      shown.push(row.getAttribute("data-bulk-id"));
    });
    var wanted = data.bulks.map(function (bulk) {
      return bulk.bulk_id;
    });
    if (wanted.join(" ") !== shown.join(" ")) {
      // New bulks, or bulks that left the filter: take the rows as the server renders them.
      var body = document.querySelector("[data-rows]");
      var pager = document.querySelector("[data-pager]");
      if (body) {
        body.innerHTML = data.rows_html;
      }
      if (pager) {
        pager.innerHTML = data.pager_html;
      }
    } else {
      data.bulks.forEach(function (bulk) {
        updateBulk(rows[bulk.bulk_id], bulk);
      });
    }
    return data.bulks.some(active);
  }

  function updateDetails(data) {
    updateBulk(document, data.bulk);
    document.querySelectorAll("[data-count]").forEach(function (element) {
      setText(element, data.bulk.operations_by_status[element.getAttribute("data-count")] || 0);
    });
    var failures = document.getElementById("failures");
    if (failures && failures.getAttribute("data-version") !== data.failures_version) {
      // Rendered and escaped by the server's own template, like the first page load.
      failures.innerHTML = data.failures_html;
      failures.setAttribute("data-version", data.failures_version);
    }
    return active(data.bulk);
  }

  var timer = null;

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, delay);
  }

  function poll() {
    if (document.hidden) {
      schedule(SLOW_MS);
      return;
    }
    fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) {
        if (response.status === 401) {
          var here = window.location.pathname + window.location.search;
          window.location.assign("/admin/bulk/login?next=" + encodeURIComponent(here));
          return null;
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (data === null) {
          return;
        }
        var busy = kind === "list" ? updateList(data) : updateDetails(data);
        setLive(true);
        schedule(busy ? FAST_MS : SLOW_MS);
      })
      .catch(function () {
        setLive(false);
        schedule(SLOW_MS);
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      schedule(0);
    }
  });
  setLive(true);
  schedule(FAST_MS);
})();
