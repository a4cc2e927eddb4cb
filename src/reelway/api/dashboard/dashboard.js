// Reelway's operator dashboard: plain JS, no framework, no build step.
//
// The key typed into the sign-in form is kept in sessionStorage (this tab only) and sent as
// "Authorization: Bearer"; it never goes into a URL.  Thumbnails and videos are fetched with
// that header and shown through blob URLs.
"use strict";

(() => {
  const KEY = "reelway.dashboard.key";
  const WINDOW = "reelway.dashboard.window";
  const REFRESH_MS = 5000;
  const SVG = "http://www.w3.org/2000/svg";

  const $ = (id) => document.getElementById(id);
  let windowName = sessionStorage.getItem(WINDOW) || "1h";
  let timer = null;
  let generation = 0; // bumped on sign-in/out and window change: stale answers are dropped
  const media = new Map(); // video id -> {card, thumbUrl, videoUrl}
  let lastChart = null; // [buckets, window] of the last summary, redrawn on resize

  // ------------------------------------------------------------------ helpers

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const pad = (n) => String(n).padStart(2, "0");

  function clock(unix, seconds = true) {
    if (unix === null || unix === undefined) return "–";
    const d = new Date(unix * 1000);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return seconds ? `${hm}:${pad(d.getSeconds())}` : hm;
  }

  function when(unix) {
    const d = new Date(unix * 1000);
    const today = new Date();
    if (d.toDateString() === today.toDateString()) return clock(unix);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(unix, false)}`;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 10) return `${seconds.toFixed(1)} s`;
    if (seconds < 60) return `${Math.round(seconds)} s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${pad(Math.round(seconds % 60))}s`;
    return `${Math.floor(seconds / 3600)}h ${pad(Math.floor((seconds % 3600) / 60))}m`;
  }

  const usd = (value) => `$${value.toFixed(2)}`;
  const percent = (value) => `${(value * 100).toFixed(value >= 0.999 || value === 0 ? 0 : 1)}%`;

  function fill(tbody, rows, columns, empty) {
    tbody.replaceChildren();
    if (!rows.length) {
      tbody.append(el("tr", {}, el("td", { class: "empty", colspan: columns, text: empty })));
      return;
    }
    for (const row of rows) tbody.append(row);
  }

  // ------------------------------------------------------------------ the API

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path) {
    const key = sessionStorage.getItem(KEY);
    if (!key) throw new ApiError(401, "Not signed in.");
    let answer;
    try {
      answer = await fetch(path, { headers: { Authorization: `Bearer ${key}` } });
    } catch (exc) {
      throw new ApiError(0, `Reelway cannot be reached (${exc.message}).`);
    }
    if (!answer.ok) {
      let message = `${answer.status} ${answer.statusText}`;
      try {
        const body = await answer.json();
        if (body && body.error && body.error.message) message = body.error.message;
      } catch (_) {
        // not JSON: keep the status line
      }
      throw new ApiError(answer.status, message);
    }
    return answer;
  }

  async function blobUrl(path) {
    const answer = await api(path);
    return URL.createObjectURL(await answer.blob());
  }

  // ------------------------------------------------------------------ signing in and out

  function showSignIn(message) {
    $("signin").hidden = false;
    $("board").hidden = true;
    $("controls").hidden = true;
    const error = $("signin-error");
    error.textContent = message || "";
    error.hidden = !message;
    $("key").focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    generation += 1;
    clearTimeout(timer);
    for (const id of [...media.keys()]) forget(id);
    showSignIn(message);
  }

  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("key").value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY, key);
    $("key").value = "";
    start();
  });

  $("signout").addEventListener("click", () => signOut(""));

  for (const button of document.querySelectorAll("[data-window]")) {
    button.addEventListener("click", () => {
      windowName = button.dataset.window;
      sessionStorage.setItem(WINDOW, windowName);
      markWindow();
      start();
    });
  }

  function markWindow() {
    for (const button of document.querySelectorAll("[data-window]")) {
      button.setAttribute("aria-pressed", String(button.dataset.window === windowName));
    }
  }

  function start() {
    generation += 1;
    clearTimeout(timer);
    refresh(generation);
  }

  // ------------------------------------------------------------------ refreshing

  async function refresh(mine) {
    if (document.hidden) {
      timer = setTimeout(() => refresh(mine), REFRESH_MS);
      return;
    }
    try {
      const answer = await api(`/v1/dashboard/summary?window=${encodeURIComponent(windowName)}`);
      const summary = await answer.json();
      if (mine !== generation) return;
      render(summary);
      $("refresh-error").hidden = true;
    } catch (exc) {
      if (mine !== generation) return;
      if (exc.status === 401 || exc.status === 403) {
        signOut(exc.message);
        return;
      }
      if ($("board").hidden) {
        showSignIn(exc.message);
      } else {
        $("refresh-error").textContent = `Refresh failed: ${exc.message}`;
        $("refresh-error").hidden = false;
      }
    }
    if (mine === generation) timer = setTimeout(() => refresh(mine), REFRESH_MS);
  }

  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => lastChart && renderChart(...lastChart), 150);
  });

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && sessionStorage.getItem(KEY)) start();
  });

  function render(s) {
    $("signin").hidden = true;
    $("board").hidden = false;
    $("controls").hidden = false;
    $("scope").textContent = s.scope.admin
      ? "Admin · all projects"
      : `Project · ${s.scope.project.name}`;
    $("updated").textContent = `updated ${clock(s.generated_at)}`;

    $("q-runnable").textContent = s.queue.queued_runnable;
    $("q-waiting").textContent = s.queue.queued_waiting;
    $("q-running").textContent = s.queue.running;
    $("t-completed").textContent = s.totals.completed;
    $("t-failed").textContent = s.totals.failed;
    $("t-failed").classList.toggle("bad", s.totals.failed > 0);
    $("t-cancelled").textContent = s.totals.cancelled;
    $("t-success").textContent = s.totals.success_rate === null ? "–" : percent(s.totals.success_rate);
    $("g-p50").textContent = duration(s.generation_seconds.p50);
    $("g-p95").textContent = duration(s.generation_seconds.p95);
    $("g-count").textContent = s.generation_seconds.count;

    lastChart = [s.throughput, s.window];
    renderChart(s.throughput, s.window);
    renderErrors(s.errors);
    renderSpend(s.spend);
    $("deployment-paused").hidden = !s.deployment_paused;
    renderEngines(s.engines);
    renderRecent(s.recent);
  }

  // ------------------------------------------------------------------ the chart

  function renderChart(buckets, window) {
    // Drawn at the container's pixel width (redrawn on resize), so text is never stretched.
    const width = Math.max(320, Math.round($("chart").clientWidth || 720));
    const height = 180;
    const left = 30;
    const bottom = 18;
    const top = 8;
    const plot = height - bottom - top;
    const most = Math.max(1, ...buckets.map((b) => b.completed + b.failed + b.cancelled));
    const step = (width - left) / Math.max(1, buckets.length);
    const gap = step > 4 ? 1 : 0;
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-label": "Completed and failed videos per time bucket",
    });
    const levels = most >= 4 ? [0, Math.round(most / 2), most] : [0, most];
    for (const level of levels) {
      const y = top + plot - (plot * level) / most;
      chart.append(svg("line", { class: "axis", x1: left, x2: width, y1: y, y2: y }));
      chart.append(svg("text", { x: left - 4, y: y + 4, "text-anchor": "end" }, String(level)));
    }
    buckets.forEach((bucket, i) => {
      const x = left + i * step;
      const group = svg("g");
      let y = top + plot;
      for (const [name, cls] of [["completed", "ok"], ["failed", "bad"], ["cancelled", "off"]]) {
        const h = (bucket[name] / most) * plot;
        if (h > 0) {
          y -= h;
          group.append(svg("rect", { class: cls, x: x + gap / 2, y, width: step - gap, height: h }));
        }
      }
      const label = `${clock(bucket.start, false)}: ${bucket.completed} completed, ` +
        `${bucket.failed} failed, ${bucket.cancelled} cancelled`;
      group.append(svg("rect", { x, y: top, width: step, height: plot, fill: "transparent" }));
      group.append(svg("title", {}, label));
      chart.append(group);
    });
    const ticks = buckets.length > 1 ? [0, Math.floor(buckets.length / 2), buckets.length] : [0];
    for (const i of ticks) {
      const at = window.start + i * window.bucket_seconds;
      const anchor = i === 0 ? "start" : i === buckets.length ? "end" : "middle";
      chart.append(svg("text", { x: left + i * step, y: height - 4, "text-anchor": anchor },
        clock(at, false)));
    }
    $("chart").replaceChildren(chart);
    const per = window.bucket_seconds >= 3600
      ? `${window.bucket_seconds / 3600} h`
      : `${window.bucket_seconds / 60} min`;
    $("chart-caption").textContent = `per ${per}, last ${window.name}`;
  }

  // ------------------------------------------------------------------ tables

  function renderErrors(errors) {
    fill(
      $("errors-code").tBodies[0],
      errors.by_code.map((e) => el("tr", {},
        el("td", { class: "mono", text: e.code }), el("td", { class: "num", text: e.count }))),
      2, "No failures in this window.",
    );
    fill(
      $("errors-engine").tBodies[0],
      errors.by_engine.map((e) => el("tr", {},
        el("td", { class: e.engine ? "mono" : "muted", text: e.engine || "(no engine)" }),
        el("td", { class: "num", text: e.count }))),
      2, "No failures in this window.",
    );
  }

  function renderSpend(spend) {
    fill(
      $("spend").tBodies[0],
      spend.map((p) => {
        let budget = el("span", { class: "muted", text: "no budget" });
        if (p.budget_usd !== null) {
          const used = p.budget_usd > 0 ? p.spent_usd / p.budget_usd : 1;
          const cls = used >= 1 ? "fill bad" : used >= 0.8 ? "fill warn" : "fill";
          const fillBar = el("div", { class: cls });
          fillBar.style.width = `${Math.min(100, used * 100).toFixed(1)}%`;
          budget = el("div", { class: "meter" },
            el("div", { class: "bar" }, fillBar),
            el("span", { class: "label", text: `${usd(p.spent_usd)} of ${usd(p.budget_usd)} (${percent(used)})` }));
        }
        const name = el("td", {}, p.name);
        if (p.status !== "active") name.append(" ", el("span", { class: "badge", text: p.status }));
        if (p.paused) name.append(" ", el("span", { class: "badge paused", text: "paused" }));
        return el("tr", { "data-project": p.project_id }, name,
          el("td", { class: "num", text: usd(p.spent_usd) }),
          el("td", { class: "num", text: usd(p.reserved_usd) }),
          el("td", {}, budget));
      }),
      4, "No projects.",
    );
  }

  function renderEngines(engines) {
    const labels = {
      ok: "ok", failing: "failing", backing_off: "backing off", circuit_open: "circuit open",
    };
    fill(
      $("engines").tBodies[0],
      engines.map((e) => {
        const until = e.circuit_open_until || e.backoff_until;
        return el("tr", { "data-engine": e.engine },
          el("td", {}, el("span", { class: "mono", text: e.engine }),
            e.type !== e.engine ? el("span", { class: "muted small", text: ` ${e.type}` }) : null),
          el("td", {}, el("span", { class: `badge ${e.status}`, text: labels[e.status] || e.status }),
            e.paused ? el("span", { class: "badge paused", text: "paused" }) : null),
          el("td", { class: "num", text: `${e.consecutive_failures} / ${e.breaker_failures}` }),
          el("td", { text: until ? clock(until) : "–" }));
      }),
      4, "No engines.",
    );
  }

  // ------------------------------------------------------------------ recent videos

  function forget(id) {
    const entry = media.get(id);
    if (!entry) return;
    if (entry.thumbUrl) URL.revokeObjectURL(entry.thumbUrl);
    if (entry.videoUrl) URL.revokeObjectURL(entry.videoUrl);
    entry.card.remove();
    media.delete(id);
  }

  function renderRecent(videos) {
    const wanted = new Set(videos.map((v) => v.id));
    for (const id of [...media.keys()]) if (!wanted.has(id)) forget(id);
    const list = $("recent");
    for (const video of videos) {
      let entry = media.get(video.id);
      if (!entry) {
        entry = { card: el("article", { class: "video", "data-id": video.id }), slot: null };
        entry.box = el("div", { class: "media" });
        entry.info = el("div", { class: "info" });
        entry.card.append(entry.box, entry.info);
        media.set(video.id, entry);
      }
      updateMedia(entry, video);
      updateInfo(entry, video);
      list.append(entry.card); // moves it into place: newest first
    }
    $("recent-empty").hidden = videos.length > 0;
  }

  function updateMedia(entry, video) {
    if (entry.slot === "video" || (entry.slot === "thumb" && video.thumbnail_url)) return;
    if (!video.thumbnail_url) {
      if (entry.slot !== video.status) {
        entry.slot = video.status;
        entry.box.replaceChildren(el("span", { text: video.status === "failed" ? "no video" : video.status }));
      }
      return;
    }
    entry.slot = "thumb";
    const img = el("img", { alt: `Thumbnail of ${video.id}`, class: "thumb" });
    const button = el("button", { type: "button", title: "Play", "aria-label": `Play ${video.id}` }, img);
    entry.box.replaceChildren(button);
    blobUrl(video.thumbnail_url).then((url) => {
      if (media.get(video.id) !== entry) return URL.revokeObjectURL(url);
      entry.thumbUrl = url;
      img.src = url;
    }).catch((exc) => {
      entry.box.replaceChildren(el("span", { text: `thumbnail: ${exc.message}` }));
    });
    button.addEventListener("click", () => play(entry, video, button));
  }

  async function play(entry, video, button) {
    if (!video.video_url || entry.slot === "video") return;
    button.disabled = true;
    entry.box.setAttribute("aria-busy", "true");
    try {
      const url = await blobUrl(video.video_url);
      if (media.get(video.id) !== entry) return URL.revokeObjectURL(url);
      entry.videoUrl = url;
      entry.slot = "video";
      const player = el("video", { controls: true, muted: true, playsinline: true, loop: true, class: "player" });
      player.muted = true;
      player.src = url;
      entry.box.replaceChildren(player);
      await player.play().catch(() => undefined); // the controls still work if autoplay is refused
    } catch (exc) {
      button.disabled = false;
      entry.box.append(el("span", { class: "error small", text: exc.message }));
    } finally {
      entry.box.removeAttribute("aria-busy");
    }
    return undefined;
  }

  function updateInfo(entry, video) {
    const status = el("span", { class: `badge ${video.status}`, text: video.status });
    const rows = [
      el("div", { class: "row" },
        el("span", { class: "mono id", title: video.id, text: video.id }), status),
      el("div", { class: "row" },
        el("span", { text: video.project }),
        el("span", { class: "muted", text: `${video.model} · ${video.seconds} s` })),
      el("div", { class: "row small muted" },
        el("span", { text: when(video.created_at) }),
        el("span", { text: video.generation_seconds === null ? "" : `took ${duration(video.generation_seconds)}` })),
    ];
    if (video.kind !== "generate") {
      const made = video.kind === "extend" ? "extension" : video.kind;
      const from = video.source_video_id || "an uploaded video";
      rows.push(el("div", { class: "row small muted" },
        el("span", { class: "mono source", title: from, text: `${made} of ${from}` })));
    }
    if (video.error_code) {
      rows.push(el("div", { class: "row small" }, el("span", { class: "error mono", text: video.error_code })));
    }
    entry.info.replaceChildren(...rows);
  }

  // ------------------------------------------------------------------ start

  markWindow();
  if (sessionStorage.getItem(KEY)) start();
  else showSignIn("");
})();
