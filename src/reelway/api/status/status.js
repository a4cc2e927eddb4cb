// The public status page: reads /status.json (no key) and redraws every 30 s.
// Built with DOM calls only (textContent), so nothing from the answer is parsed as HTML.
"use strict";

const REFRESH_MS = 30000;
const LABELS = { operational: "Operational", degraded: "Degraded", down: "Down" };
const OVERALL = {
  operational: "All systems operational",
  degraded: "Some systems degraded",
  down: "Some systems are down",
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function percent(value) {
  return value === null ? "no data" : (value * 100).toFixed(2) + " %";
}

function dayClass(value) {
  if (value === null) return "day";
  if (value >= 0.99) return "day ok";
  if (value >= 0.9) return "day warn";
  return "day bad";
}

function utc(seconds) {
  return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

function component(item) {
  const li = el("li", "component");
  li.dataset.kind = item.kind;
  li.dataset.name = item.name;
  const head = el("div", "head");
  head.append(el("span", "name", item.name));
  head.append(el("span", "state " + item.status, LABELS[item.status] || item.status));
  li.append(head);
  const bar = el("div", "bar");
  bar.setAttribute("role", "img");
  bar.setAttribute("aria-label", item.name + " availability per day");
  for (const day of item.days) {
    const cell = el("span", dayClass(day.availability));
    cell.dataset.date = day.date;
    cell.title = day.date + ": " + percent(day.availability);
    bar.append(cell);
  }
  li.append(bar);
  li.append(el("div", "muted availability", percent(item.availability) + " over the period"));
  return li;
}

function incident(item) {
  const li = el("li", "incident" + (item.ongoing ? " ongoing" : ""));
  const what = item.kind === "circuit_open" ? "Circuit breaker open" : item.kind;
  li.append(el("div", "name", what + ": " + item.engines.join(", ")));
  const end = item.ongoing ? "ongoing" : utc(item.ended_at);
  li.append(el("div", "muted when", utc(item.started_at) + " – " + end));
  return li;
}

function render(data) {
  const overall = document.getElementById("overall");
  overall.dataset.status = data.status;
  overall.textContent = OVERALL[data.status] || data.status;
  document.getElementById("days").textContent = String(data.days);
  document.getElementById("components").replaceChildren(...data.components.map(component));
  document.getElementById("incidents").replaceChildren(...data.incidents.map(incident));
  document.getElementById("no-incidents").hidden = data.incidents.length > 0;
  document.getElementById("updated").textContent = utc(data.generated_at);
  document.getElementById("error").hidden = true;
}

async function refresh() {
  try {
    const answer = await fetch("/status.json", { cache: "no-store" });
    if (!answer.ok) throw new Error("the status service answered " + answer.status);
    render(await answer.json());
  } catch (problem) {
    const error = document.getElementById("error");
    error.textContent = "Could not load the status: " + problem.message;
    error.hidden = false;
    const overall = document.getElementById("overall");
    overall.dataset.status = "down";
    overall.textContent = "Status unavailable";
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
