"""The live page served at ``/``: recent events and rejected requests, refreshed while open.

The page polls ``/_mock/events?since=<seq>`` and ``/_mock/rejected?since=<seq>`` and builds its
rows with ``textContent`` only, so nothing a client sends can become markup. Rejected requests
are shown above the events: an app sending without a token, or with an empty event name, gets
a 4xx its SDK swallows, and would otherwise look like an app that sends nothing.
"""

from __future__ import annotations

LIVE_PAGE_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mock PostHog host</title>
<style>
  :root {
    color-scheme: light dark;
    --bg: #f7f7f4; --fg: #1d1f27; --muted: #6b6f7b; --line: #e3e3dc;
    --card: #ffffff; --accent: #f54e00; --system: #2f6fde; --reject: #c0262d;
  }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #15161b; --fg: #e9e9ee; --muted: #9a9dab; --line: #2b2d36;
            --card: #1d1f27; --system: #7aa5ff; --reject: #ff6b6b; }
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--fg);
         font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
  header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap;
           padding: 1rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--card); }
  h1 { font-size: 1.15rem; margin: 0; }
  h1 span { color: var(--accent); }
  #status { color: var(--muted); flex: 1; }
  button { font: inherit; padding: .3rem .8rem; border-radius: 6px; cursor: pointer;
           border: 1px solid var(--line); background: var(--bg); color: var(--fg); }
  main { padding: 1rem 1.5rem; }
  #hint { color: var(--muted); }
  code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .92em; }
  table { width: 100%; border-collapse: collapse; background: var(--card);
          border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
  th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid var(--line);
           vertical-align: top; }
  th { white-space: nowrap; font-weight: 600; color: var(--muted); font-size: .85em; text-transform: uppercase;
       letter-spacing: .03em; }
  td.time { white-space: nowrap; color: var(--muted); font-variant-numeric: tabular-nums; }
  td.event { font-weight: 600; }
  td.event.system { color: var(--system); }
  td.props { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em;
             word-break: break-word; }
  .key { color: var(--muted); }
  tr.fresh { animation: fresh 1.2s ease-out; }
  #rejected-section { margin-bottom: 1.2rem; }
  #rejected-section h2 { font-size: 1rem; margin: 0 0 .5rem; color: var(--reject); }
  td.status { font-weight: 600; color: var(--reject); white-space: nowrap; }
  @keyframes fresh { from { background: rgba(245, 78, 0, .18); } to { background: none; } }
</style>
</head>
<body>
<header>
  <h1><span>&#9679;</span> Mock PostHog host</h1>
  <div id="status">Connecting&hellip;</div>
  <button id="clear" type="button">Clear</button>
</header>
<main>
  <p id="hint">No events yet. Point your app at this host:
    <code>POSTHOG_HOST=<span id="origin"></span></code></p>
  <section id="rejected-section" hidden>
    <h2>Rejected requests</h2>
    <table>
      <thead><tr><th>Time</th><th>Status</th><th>Request</th><th>Reason</th></tr></thead>
      <tbody id="rejected"></tbody>
    </table>
  </section>
  <table>
    <thead><tr><th>Time</th><th>Event</th><th>Distinct ID</th><th>Properties</th></tr></thead>
    <tbody id="events"></tbody>
  </table>
</main>
<script>
"use strict";
const MAX_ROWS = 500;
const POLL_MS = 500;
const rows = document.getElementById("events");
const statusLine = document.getElementById("status");
const hint = document.getElementById("hint");
document.getElementById("origin").textContent = window.location.origin;
const rejectedRows = document.getElementById("rejected");
const rejectedSection = document.getElementById("rejected-section");
let since = 0;
let generation = null;
let total = 0;
let rejectedSince = 0;
let rejectedGeneration = null;
let rejectedTotal = 0;

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

function shortValue(value) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? text.slice(0, 77) + "..." : text;
}

// PostHog's bookkeeping properties, left out of the summary column.
const HIDDEN_PREFIXES = ["$lib", "$python", "$os", "$geoip", "$is_server", "$process_person"];
const HIDDEN_KEYS = new Set(["$groups", "$exception_list", "$set", "$set_once"]);

function isHidden(key) {
  return HIDDEN_KEYS.has(key) || HIDDEN_PREFIXES.some((prefix) => key.startsWith(prefix));
}

function mainProperties(item) {
  // What a person scanning the list wants first: the app's own properties, then what a
  // special event is about (person properties set, the exception raised), then the rest.
  const properties = item.properties || {};
  const raw = item.raw || {};
  const pairs = [];
  for (const key of Object.keys(properties)) {
    if (!key.startsWith("$")) pairs.push([key, properties[key]]);
  }
  for (const key of ["$set", "$set_once"]) {
    const value = raw[key] || properties[key];
    if (value && Object.keys(value).length) pairs.push([key, value]);
  }
  const exceptions = properties.$exception_list;
  if (Array.isArray(exceptions) && exceptions.length) {
    pairs.push(["exception", (exceptions[0].type || "") + ": " + (exceptions[0].value || "")]);
  }
  for (const key of Object.keys(properties)) {
    if (key.startsWith("$") && !isHidden(key)) pairs.push([key, properties[key]]);
  }
  return pairs.slice(0, 6);
}

function propertiesCell(item) {
  const td = document.createElement("td");
  td.className = "props";
  mainProperties(item).forEach(([key, value], index) => {
    if (index > 0) td.appendChild(document.createTextNode("  "));
    const name = document.createElement("span");
    name.className = "key";
    name.textContent = key + "=";
    td.appendChild(name);
    td.appendChild(document.createTextNode(shortValue(value)));
  });
  return td;
}

function timeText(isoTime) {
  const time = new Date(isoTime);
  return time.toLocaleTimeString([], {hour12: false}) + "."
    + String(time.getMilliseconds()).padStart(3, "0");
}

function addRejectedRow(item) {
  const tr = document.createElement("tr");
  tr.className = "fresh";
  tr.dataset.seq = String(item.seq);
  tr.appendChild(cell(timeText(item.received_at), "time"));
  tr.appendChild(cell(item.status + " " + item.code, "status"));
  tr.appendChild(cell(item.method + " " + item.path, "request"));
  tr.appendChild(cell(item.reason, "reason"));
  rejectedRows.insertBefore(tr, rejectedRows.firstChild);
  while (rejectedRows.childElementCount > MAX_ROWS) rejectedRows.removeChild(rejectedRows.lastChild);
}

async function pollRejected() {
  const response = await fetch("/_mock/rejected?since=" + rejectedSince, {cache: "no-store"});
  const data = await response.json();
  if (rejectedGeneration !== data.generation) {
    if (rejectedGeneration !== null) { rejectedRows.replaceChildren(); rejectedTotal = 0; }
    rejectedGeneration = data.generation;
  }
  data.rejected.forEach(addRejectedRow);
  rejectedTotal += data.rejected.length;
  rejectedSince = Math.max(rejectedSince, data.last_seq);
  rejectedSection.hidden = rejectedRows.childElementCount === 0;
}

function addRow(item) {
  const tr = document.createElement("tr");
  tr.className = "fresh";
  tr.dataset.seq = String(item.seq);
  tr.appendChild(cell(timeText(item.received_at), "time"));
  tr.appendChild(cell(item.event, item.event.startsWith("$") ? "event system" : "event"));
  tr.appendChild(cell(item.distinct_id, "distinct"));
  tr.appendChild(propertiesCell(item));
  rows.insertBefore(tr, rows.firstChild);
  while (rows.childElementCount > MAX_ROWS) rows.removeChild(rows.lastChild);
}

async function poll() {
  try {
    const response = await fetch("/_mock/events?limit=" + MAX_ROWS + "&since=" + since,
                                 {cache: "no-store"});
    const data = await response.json();
    if (generation !== data.generation) {
      if (generation !== null) { rows.replaceChildren(); total = 0; }
      generation = data.generation;
    }
    data.events.forEach(addRow);
    total += data.events.length;
    since = Math.max(since, data.last_seq);
    await pollRejected();
    hint.hidden = rows.childElementCount > 0;
    statusLine.textContent = total + (total === 1 ? " event" : " events") + " received"
      + (rejectedTotal ? ", " + rejectedTotal + " rejected" : "")
      + " \\u00b7 updated " + new Date().toLocaleTimeString([], {hour12: false});
  } catch (error) {
    statusLine.textContent = "Cannot reach the mock host; retrying\\u2026";
  }
  setTimeout(poll, POLL_MS);
}

document.getElementById("clear").addEventListener("click", async () => {
  await fetch("/_mock/events", {method: "DELETE"});
  await fetch("/_mock/rejected", {method: "DELETE"});
});

poll();
</script>
</body>
</html>
"""
