// Sentinel SOC page. Every value from the server is shown with textContent,
// never parsed as HTML: a request path or rule description stays text.
"use strict";

const MAX_ROWS = 100;
const token = new URLSearchParams(window.location.search).get("token");

function withToken(path) {
  return token ? path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : path;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function setText(id, text) {
  document.getElementById(id).textContent = String(text);
}

function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return value.toFixed(unit === 0 ? 0 : 1) + " " + units[unit];
}

function formatUptime(secs) {
  const h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60), s = secs % 60;
  return (h ? h + " h " : "") + (h || m ? m + " min " : "") + s + " s";
}

function showStats(stats) {
  setText("app", stats.app);
  setText("allowed", stats.allowed);
  setText("dropped", stats.dropped);
  setText("rate", stats.rate_per_sec.toFixed(1));
  const cpu = stats.process.cpu_percent;
  setText("cpu", cpu === null || cpu === undefined ? "–" : cpu.toFixed(1) + " %");
  setText("mem", formatBytes(stats.process.rss_bytes));
  setText("uptime", formatUptime(stats.uptime_secs));
  const body = document.getElementById("blocked");
  body.replaceChildren();
  for (const source of stats.top_blocked) {
    const row = document.createElement("tr");
    cell(row, source.src, "mono");
    cell(row, source.count, "num");
    body.appendChild(row);
  }
}

function showRules(rules) {
  const body = document.getElementById("rules");
  body.replaceChildren();
  for (const rule of rules) {
    const row = document.createElement("tr");
    cell(row, rule.index, "num");
    cell(row, rule.action, rule.action === "ALLOW" ? "verdict allow" : "verdict drop");
    cell(row, rule.proto);
    cell(row, rule.dport, "mono");
    cell(row, rule.src, "mono");
    cell(row, rule.dst, "mono");
    cell(row, rule.desc);
    cell(row, rule.hits, "num");
    body.appendChild(row);
  }
}

function showEvents(events) {
  const body = document.getElementById("events");
  for (const event of events) {
    const row = document.createElement("tr");
    row.className = event.action === "ALLOW" ? "allow" : "drop";
    row.dataset.seq = String(event.seq);
    cell(row, event.time.slice(11), "mono");
    cell(row, event.action, "verdict");
    cell(row, event.proto);
    cell(row, event.src, "mono");
    cell(row, event.dst, "mono");
    cell(row, event.reason);
    body.insertBefore(row, body.firstChild);
  }
  while (body.childElementCount > MAX_ROWS) body.removeChild(body.lastChild);
}

function connect() {
  const status = document.getElementById("status");
  const source = new EventSource(withToken("/api/events/stream"));
  source.onopen = () => {
    status.textContent = "live";
    status.className = "status on";
  };
  source.onerror = () => {
    status.textContent = "disconnected, retrying…";
    status.className = "status off";
  };
  source.onmessage = (message) => {
    const update = JSON.parse(message.data);
    showStats(update.stats);
    showRules(update.rules);
    showEvents(update.events);
  };
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("report").href = withToken("/api/report");
  connect();
});
