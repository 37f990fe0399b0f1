// Sentinel SOC page. Every value from the server is shown with textContent,
// never parsed as HTML: a request path or rule description stays text.
"use strict";

const MAX_ROWS = 100;
const RULES_PER_PAGE = 50;
const RULES_REFRESH_MS = 2000;
let rulesOffset = 0;
let rulesTotal = 0;
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

function formatCount(n) {
  return Number(n).toLocaleString("en-US");
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
    cell(row, formatCount(rule.hits), "num");
    body.appendChild(row);
  }
  const last = Math.min(rulesOffset + rules.length, rulesTotal);
  setText("rules-range", rulesTotal === 0 ? "no rules"
    : formatCount(rulesOffset + 1) + "–" + formatCount(last) + " of " + formatCount(rulesTotal));
  document.getElementById("rules-prev").disabled = rulesOffset === 0;
  document.getElementById("rules-next").disabled = last >= rulesTotal;
}

// One page of rules, the ones with hits first; the stream carries no rules.
async function loadRules() {
  const path = "/api/rules?order=hits&offset=" + rulesOffset + "&limit=" + RULES_PER_PAGE;
  try {
    const answer = await fetch(withToken(path), { cache: "no-store" });
    if (!answer.ok) return;
    rulesTotal = Number(answer.headers.get("X-Total-Count") || 0);
    const rules = await answer.json();
    if (rules.length === 0 && rulesOffset > 0 && rulesOffset >= rulesTotal) {
      rulesOffset = Math.max(0, rulesTotal - RULES_PER_PAGE);
      return loadRules();
    }
    showRules(rules);
  } catch (_) {
    // the stream's status already says when the monitor is unreachable
  }
}

function gapRow(gap) {
  const row = document.createElement("tr");
  row.className = "gap";
  const td = cell(row, formatCount(gap.count) + " more "
    + (gap.since ? "since " + gap.since.slice(11, 19) : "not shown"));
  td.colSpan = 6;
  return row;
}

// Decisions the stream did not bring, counted since the first such gap.
let missedCount = 0;
let missedSince = null;

function showMissed(gap) {
  missedCount += gap.count;
  if (missedSince === null) missedSince = gap.since ? gap.since.slice(11, 19) : "";
  const notice = document.getElementById("missed");
  notice.textContent = formatCount(missedCount) + " more since "
    + (missedSince || "this page opened") + " not listed (more than 200 per update)";
  notice.hidden = false;
}

function showEvents(events, gap) {
  const body = document.getElementById("events");
  if (gap) {
    showMissed(gap);
    body.insertBefore(gapRow(gap), body.firstChild);
  }
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
    showEvents(update.events, update.gap);
  };
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("report").href = withToken("/api/report");
  document.getElementById("rules-prev").addEventListener("click", () => {
    rulesOffset = Math.max(0, rulesOffset - RULES_PER_PAGE);
    loadRules();
  });
  document.getElementById("rules-next").addEventListener("click", () => {
    rulesOffset += RULES_PER_PAGE;
    loadRules();
  });
  connect();
  loadRules();
  setInterval(loadRules, RULES_REFRESH_MS);
});
