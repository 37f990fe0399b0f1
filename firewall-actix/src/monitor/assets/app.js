// Sentinel SOC page. Every value from the server is shown with textContent,
// never parsed as HTML: a request path or rule description stays text.
"use strict";

const MAX_ROWS = 100;
const RULES_PER_PAGE = 50;
const RULES_REFRESH_MS = 2000;
const BANS_SHOWN = 50;
const BANS_REFRESH_MS = 2000;
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
  setText("rate-limited", formatCount(stats.rate_limited || 0));
  setText("active-bans", formatCount(stats.active_bans || 0));
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
    const stage = event.action === "ALLOW" ? "" : refusingStage(event.reason);
    row.className = event.action === "ALLOW" ? "allow" : ("drop " + stage.toLowerCase()).trim();
    row.dataset.seq = String(event.seq);
    cell(row, event.time.slice(11), "mono");
    cell(row, stage ? stage + " " + event.action : event.action, "verdict");
    cell(row, event.proto);
    cell(row, event.src, "mono");
    cell(row, event.dst, "mono");
    cell(row, event.reason);
    body.insertBefore(row, body.firstChild);
  }
  while (body.childElementCount > MAX_ROWS) body.removeChild(body.lastChild);
}

// "RATE" or "BAN" when a rate limit or a ban refused the request, read from
// the head of the reason only (the rest may quote the request), else "".
function refusingStage(reason) {
  const afterAcl = /^ACL ALLOW by rule #[0-9]+, then /.exec(reason);
  const head = afterAcl ? reason.slice(afterAcl[0].length) : reason;
  if (head.startsWith("RATE DROP")) return "RATE";
  if (head.startsWith("BAN DROP")) return "BAN";
  return "";
}

function formatLeft(secs) {
  if (secs >= 86400) return Math.floor(secs / 86400) + " d " + Math.floor((secs % 86400) / 3600) + " h";
  if (secs >= 3600) return Math.floor(secs / 3600) + " h " + Math.floor((secs % 3600) / 60) + " min";
  if (secs >= 60) return Math.floor(secs / 60) + " min " + (secs % 60) + " s";
  return secs + " s";
}

function showBanStatus(text) {
  const status = document.getElementById("bans-status");
  status.textContent = text;
  status.hidden = text === "";
}

function showBans(bans, total) {
  const body = document.getElementById("bans");
  body.replaceChildren();
  for (const ban of bans) {
    const row = document.createElement("tr");
    row.dataset.key = ban.key;
    cell(row, ban.key, "mono");
    cell(row, ban.reason);
    cell(row, ban.origin);
    cell(row, ban.since.slice(0, 19), "mono");
    cell(row, ban.until.slice(0, 19), "mono");
    cell(row, formatLeft(ban.seconds_left), "num");
    const actions = cell(row, "");
    if (token) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button unban";
      button.textContent = "Unban";
      button.addEventListener("click", () => unban(ban.key));
      actions.appendChild(button);
    }
    body.appendChild(row);
  }
  setText("bans-count", total === 0 ? "(none)"
    : "(" + formatCount(total) + (total > bans.length ? ", newest " + formatCount(bans.length) + " shown" : "") + ")");
}

// The bans in force, newest first; polled like the rules.
async function loadBans() {
  try {
    const answer = await fetch(withToken("/api/bans?limit=" + BANS_SHOWN), { cache: "no-store" });
    if (!answer.ok) return;
    const total = Number(answer.headers.get("X-Total-Count") || 0);
    showBans(await answer.json(), total);
  } catch (_) {
    // the stream's status already says when the monitor is unreachable
  }
}

// Where limits and bans are kept, and whether Redis answers; polled like the bans.
function showStore(store) {
  const line = document.getElementById("store");
  if (store.backend === "in-process") {
    line.textContent = "Store: in process (limits and bans of this instance only)";
    line.className = "store-line";
    return;
  }
  const rtt = store.last_rtt_ms == null ? "" : ", round trip " + store.last_rtt_ms.toFixed(2) + " ms";
  if (store.connected) {
    line.textContent = "Store: Redis " + store.url + " connected" + rtt;
    line.className = "store-line";
  } else {
    line.textContent = "Store: Redis " + store.url + " DEGRADED since " + store.degraded_since
      + " (limits in process or refused, bans as last known)";
    line.className = "store-line degraded";
  }
}

async function loadStore() {
  try {
    const answer = await fetch(withToken("/api/store"), { cache: "no-store" });
    if (!answer.ok) return;
    showStore(await answer.json());
  } catch (_) {
    // the stream's status already says when the monitor is unreachable
  }
}

// A state change: POST with the token in the Authorization header, JSON body.
async function post(path, body) {
  const answer = await fetch(path, {
    method: "POST",
    cache: "no-store",
    headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
    body: JSON.stringify(body),
  });
  return { ok: answer.ok, text: answer.ok ? "" : await answer.text(), json: answer.ok ? await answer.json() : null };
}

async function unban(key) {
  try {
    const result = await post("/api/bans/unban", { key: key });
    showBanStatus(result.ok ? "Unbanned " + result.json.key : "Unban refused: " + result.text);
  } catch (_) {
    showBanStatus("Unban failed: the monitor is unreachable");
  }
  loadBans();
}

async function banFromForm(event) {
  event.preventDefault();
  const body = {
    key: document.getElementById("ban-key").value,
    seconds: Math.round(Number(document.getElementById("ban-minutes").value) * 60),
    reason: document.getElementById("ban-reason").value,
  };
  try {
    const result = await post("/api/bans", body);
    showBanStatus(result.ok ? "Banned " + result.json.key + " until " + result.json.until.slice(0, 19)
      : "Ban refused: " + result.text);
  } catch (_) {
    showBanStatus("Ban failed: the monitor is unreachable");
  }
  loadBans();
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
  const form = document.getElementById("ban-form");
  form.hidden = !token;
  form.addEventListener("submit", banFromForm);
  setText("bans-note", "Open this page with ?token=… on a monitor started with a token to ban and unban here.");
  document.getElementById("bans-note").hidden = Boolean(token);
  connect();
  loadRules();
  loadBans();
  loadStore();
  setInterval(loadRules, RULES_REFRESH_MS);
  setInterval(loadBans, BANS_REFRESH_MS);
  setInterval(loadStore, BANS_REFRESH_MS);
});
