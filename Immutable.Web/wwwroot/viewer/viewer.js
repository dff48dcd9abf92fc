// The embeddable activity viewer (/viewer?token=…): a read-only, paged feed of the events its viewer token may read.
// Every value from the API is written with textContent, never as HTML.
(function () {
  "use strict";
  const params = new URLSearchParams(window.location.search);
  const token = params.get("token") || "";
  const feed = document.querySelector("#feed tbody");
  if (!feed) return; // the page is showing an error instead
  const status = document.getElementById("status");
  const total = document.getElementById("total");
  const newer = document.getElementById("newer");
  const older = document.getElementById("older");
  const form = document.getElementById("filters");
  let cursors = [null]; // cursors[i] opens page i; the last is the current page's
  let next = null;

  function filters() {
    const q = new URLSearchParams();
    const action = document.getElementById("action").value.trim();
    const from = document.getElementById("from").value;
    const to = document.getElementById("to").value;
    if (action) q.set("action", action);
    if (from) q.set("from", from + "T00:00:00Z");
    if (to) q.set("to", to + "T23:59:59.999999Z");
    return q;
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function when(iso) {
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  function render(events) {
    feed.replaceChildren();
    for (const e of events) {
      const row = document.createElement("tr");
      row.dataset.eventId = e.id;
      const w = cell(row, when(e.occurred_at), "when");
      w.title = e.occurred_at;
      cell(row, e.actor_name || e.actor_id, "who");
      const what = cell(row, e.action, "what");
      const target = e.resource_name || e.resource_id;
      if (target) {
        const span = document.createElement("span");
        span.className = "resource";
        span.textContent = " " + target;
        what.appendChild(span);
      }
      const place = [e.ip_city, e.ip_country].filter(Boolean).join(", ");
      cell(row, [place, e.ip_address].filter(Boolean).join(" · "), "where");
      feed.appendChild(row);
    }
    if (events.length === 0) {
      const row = document.createElement("tr");
      const td = cell(row, "No activity.", "empty");
      td.colSpan = 4;
      feed.appendChild(row);
    }
  }

  async function load() {
    const q = filters();
    q.set("limit", "25");
    const cursor = cursors[cursors.length - 1];
    if (cursor) q.set("cursor", cursor);
    status.textContent = "Loading…";
    try {
      const response = await fetch("/api/v1/events?" + q.toString(), {
        headers: { "Authorization": "Bearer " + token, "Accept": "application/json" },
        credentials: "omit",
        cache: "no-store",
      });
      const body = await response.json();
      if (!response.ok) {
        status.textContent = body && body.message ? body.message : "The feed could not be loaded.";
        render([]);
        return;
      }
      render(body.data);
      next = body.pagination.next_cursor;
      total.textContent = body.pagination.total + " events";
      status.textContent = "";
    } catch {
      status.textContent = "The feed could not be loaded.";
    }
    newer.disabled = cursors.length <= 1;
    older.disabled = !next;
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    cursors = [null];
    load();
  });
  older.addEventListener("click", () => { if (next) { cursors.push(next); load(); } });
  newer.addEventListener("click", () => { if (cursors.length > 1) { cursors.pop(); load(); } });
  load();
})();
