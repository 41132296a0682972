// Sahayak agent app: small progressive enhancements, no build step.
// Pages work without it; this adds live updates, presence, notifications
// and keyboard shortcuts. Everything is wired through data- attributes
// because the Content-Security-Policy forbids inline script.
"use strict";

(function () {
  const body = document.body;
  const csrf = body.dataset.csrf || "";
  const signedIn = body.dataset.agent && body.dataset.agent !== "0";
  const ticketPage = document.querySelector("[data-ticket-page]");
  const ticketID = ticketPage ? Number(ticketPage.dataset.ticketPage) : 0;
  const listRegion = document.querySelector('[data-live-region="list"]');

  function post(url, data) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json", "Content-Type": "application/json" },
      body: data ? JSON.stringify(data) : "{}",
    });
  }

  // --- Live regions: fetch the same page again and swap the parts that
  // changed, leaving alone whatever the agent is editing.
  let refreshTimer = 0;
  let refreshing = false;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 150);
  }
  async function refresh() {
    if (refreshing) { scheduleRefresh(); return; }
    refreshing = true;
    try {
      const res = await fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      document.querySelectorAll("[data-live-region][id]").forEach((old) => {
        const fresh = doc.getElementById(old.id);
        if (!fresh) return;
        if (old.contains(document.activeElement) && document.activeElement !== document.body) return;
        if (old.hasAttribute("data-keep-when-dirty") && old.dataset.dirty) return;
        if (old.innerHTML === fresh.innerHTML) return;
        const node = document.importNode(fresh, true);
        old.replaceWith(node);
        node.classList.add("flash");
        body.dataset.liveUpdated = String(Number(body.dataset.liveUpdated || 0) + 1);
      });
      restoreSelection();
      const note = document.querySelector("[data-live-status]");
      if (note) note.hidden = false;
    } finally {
      refreshing = false;
    }
  }

  document.addEventListener("input", markDirty, true);
  document.addEventListener("change", markDirty, true);
  function markDirty(e) {
    const form = e.target.closest && e.target.closest("[data-keep-when-dirty]");
    if (form) form.dataset.dirty = "1";
  }

  // --- Sidebar counts: after ticket events, fetch the sidebar again, at
  // most once every 2 s however many events arrive (each count is bounded
  // on the server, but a busy desk sends many events).
  let countsTimer = 0;
  let countsDue = 0;
  function scheduleCounts() {
    const bar = document.getElementById("view-sidebar");
    if (!bar || countsTimer) return;
    const wait = Math.max(400, countsDue - Date.now());
    countsTimer = setTimeout(refreshCounts, wait);
  }
  async function refreshCounts() {
    countsDue = Date.now() + 2000;
    try {
      const bar = document.getElementById("view-sidebar");
      if (!bar) return;
      const res = await fetch(bar.dataset.sidebarUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const fresh = doc.getElementById("view-sidebar");
      if (!fresh || fresh.innerHTML === bar.innerHTML) return;
      bar.replaceWith(document.importNode(fresh, true));
      body.dataset.countsUpdated = String(Number(body.dataset.countsUpdated || 0) + 1);
    } finally {
      countsTimer = 0;
    }
  }

  // --- The view beside the ticket: a list page remembers its view; on a
  // wide screen the ticket page shows that view's sidebar and first tickets
  // beside the ticket (server-rendered, fetched after the page, so the
  // ticket itself never waits for them).
  const shownView = document.querySelector("#view-sidebar a[aria-current]");
  if (listRegion && shownView) sessionStorage.setItem("sahayak.view", shownView.dataset.view);
  const pane = document.getElementById("workspace-pane");
  if (pane && window.matchMedia("(min-width: 1400px)").matches) {
    const key = sessionStorage.getItem("sahayak.view") || "";
    fetch(pane.dataset.paneUrl + "&view=" + encodeURIComponent(key), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then((res) => (res.ok ? res.text() : ""))
      .then((html) => {
        if (!html) return;
        const doc = new DOMParser().parseFromString(html, "text/html");
        const bar = doc.getElementById("view-sidebar");
        const list = doc.getElementById("pane-list");
        if (!bar || !list) return;
        pane.replaceChildren(document.importNode(bar, true), document.importNode(list, true));
        pane.hidden = false;
        document.getElementById("ticket-workspace").classList.add("with-pane");
      })
      .catch(() => {});
  }

  // --- Presence: say "I am replying" while typing, at most every 3 s.
  let lastReplying = 0;
  document.addEventListener("input", (e) => {
    if (!ticketPage || e.target.id !== "composer-body") return;
    const now = Date.now();
    if (now - lastReplying < 3000) return;
    lastReplying = now;
    post(ticketPage.dataset.replyingUrl).catch(() => {});
  });
  let replyingTimer = 0;
  function hideReplying() {
    const el = document.getElementById("replying");
    if (el) el.hidden = true;
  }
  function showReplying(name) {
    const el = document.getElementById("replying");
    if (!el) return;
    el.textContent = (el.dataset.text || "%s…").replace("%s", name || "?");
    el.hidden = false;
    clearTimeout(replyingTimer);
    replyingTimer = setTimeout(hideReplying, 8000);
  }

  // --- Notifications in the header.
  const notifCount = document.getElementById("notif-count");
  const notifList = document.getElementById("notif-list");
  const notifPanel = document.getElementById("notif-panel");
  async function loadNotifications() {
    if (!notifList) return;
    const res = await fetch("/api/v1/notifications?limit=20", { credentials: "same-origin", headers: { "Accept": "application/json" } });
    if (!res.ok) return;
    const list = (await res.json()).notifications || [];
    const unread = list.filter((n) => !n.read_at).length;
    notifCount.textContent = String(unread);
    notifCount.hidden = unread === 0;
    notifList.replaceChildren();
    if (list.length === 0) {
      const li = document.createElement("li");
      li.textContent = notifPanel.dataset.empty;
      notifList.append(li);
    }
    for (const n of list) {
      const li = document.createElement("li");
      if (!n.read_at) li.className = "unread";
      // The server says it as a sentence in the agent's language and where
      // it leads; the time is said here, relative to now.
      const a = document.createElement("a");
      a.href = n.url;
      a.textContent = n.text;
      const when = document.createElement("time");
      when.dateTime = n.created_at;
      when.textContent = " — " + ago(n.created_at);
      a.append(when);
      li.append(a);
      notifList.append(li);
    }
  }
  // ago says how long ago a time was ("2 minutes ago", "2 मिनट पहले").
  function ago(iso) {
    const secs = (new Date(iso).getTime() - Date.now()) / 1000;
    const rtf = new Intl.RelativeTimeFormat(body.dataset.lang || "en", { numeric: "auto" });
    for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
      if (Math.abs(secs) >= size) return rtf.format(Math.round(secs / size), unit);
    }
    return rtf.format(Math.round(secs), "second");
  }
  function toggleNotifications(open) {
    if (!notifPanel) return;
    const show = open === undefined ? notifPanel.hidden : open;
    notifPanel.hidden = !show;
    document.getElementById("notif-toggle").setAttribute("aria-expanded", String(show));
  }
  document.addEventListener("click", (e) => {
    const t = e.target;
    if (t.closest("#notif-toggle")) { toggleNotifications(); return; }
    if (t.closest("#notif-read")) {
      post("/api/v1/notifications/read").then(loadNotifications);
      return;
    }
    if (notifPanel && !notifPanel.hidden && !t.closest("#notif-panel")) toggleNotifications(false);
    closeSettingsMenu(t);
    const toggle = t.closest("[data-toggle]");
    if (toggle) {
      const target = document.getElementById(toggle.dataset.toggle);
      const open = target.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
      return;
    }
    if (t.closest("[data-help]")) { showHelp(true); return; }
    if (t.closest("[data-help-close]") || t.id === "help") { showHelp(false); return; }
    const row = t.closest("tr[data-row]");
    if (row && !t.closest("a, button, input, select, label")) location.href = row.dataset.href;
  });

  // The Settings menu closes on a click elsewhere and on Escape.
  function closeSettingsMenu(target) {
    const panel = document.getElementById("settings-panel");
    if (!panel || !panel.classList.contains("open")) return;
    if (target && target.closest(".settings-menu")) return;
    panel.classList.remove("open");
    const button = document.getElementById("settings-menu");
    if (button) button.setAttribute("aria-expanded", "false");
  }

  // --- The event stream.
  if (signedIn) {
    loadNotifications().catch(() => {});
    const es = new EventSource("/events");
    // A stream that fell behind is ended by the server; when it comes back,
    // what it missed is reloaded.
    let wasOpen = false;
    es.addEventListener("open", () => {
      body.dataset.live = "connected";
      if (wasOpen && (ticketPage || listRegion)) scheduleRefresh();
      wasOpen = true;
    });
    es.addEventListener("message", () => {});
    const onTicketEvent = (ev) => {
      let e;
      try { e = JSON.parse(ev.data); } catch { return; }
      if (ticketPage && e.ticket_id === ticketID) {
        if (ev.type === "ticket.message_added") hideReplying();
        scheduleRefresh();
      }
      else if (listRegion) scheduleRefresh();
      scheduleCounts();
    };
    ["ticket.created", "ticket.field_changed", "ticket.message_added", "ticket.assigned", "ticket.escalated",
      "ticket.deescalated", "ticket.merged", "ticket.merged_into", "ticket.linked", "ticket.follower_added"]
      .forEach((kind) => es.addEventListener(kind, onTicketEvent));
    es.addEventListener("presence.replying", (ev) => {
      let e;
      try { e = JSON.parse(ev.data); } catch { return; }
      if (ticketPage && e.ticket_id === ticketID) showReplying(e.data && e.data.name);
    });
    es.addEventListener("notification.added", () => { loadNotifications().catch(() => {}); });
    window.addEventListener("pagehide", () => es.close());
  }

  // --- Keyboard shortcuts (see the ? overlay).
  let selectedID = sessionStorage.getItem("sahayak.selected") || "";
  function rows() { return Array.from(document.querySelectorAll("tr[data-row]")); }
  function select(row) {
    rows().forEach((r) => r.classList.remove("selected"));
    if (!row) return;
    row.classList.add("selected");
    row.scrollIntoView({ block: "nearest" });
    selectedID = row.dataset.href;
    sessionStorage.setItem("sahayak.selected", selectedID);
  }
  function restoreSelection() {
    const row = rows().find((r) => r.dataset.href === selectedID);
    if (row) row.classList.add("selected");
  }
  restoreSelection();
  function move(step) {
    const list = rows();
    if (list.length === 0) return;
    let i = list.findIndex((r) => r.classList.contains("selected"));
    i = i < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, i + step));
    select(list[i]);
  }
  function showHelp(open) {
    const help = document.getElementById("help");
    if (help) help.hidden = !open;
  }
  function compose(kind) {
    const box = document.getElementById("composer-body");
    if (!box) return;
    const radio = document.querySelector('#composer input[name="kind"][value="' + kind + '"]');
    if (radio) radio.checked = true;
    syncComposerMode();
    box.focus();
  }
  function syncComposerMode() {
    const form = document.getElementById("composer");
    const note = document.querySelector('#composer input[name="kind"][value="note"]');
    if (form) form.classList.toggle("note-mode", !!(note && note.checked));
  }
  document.addEventListener("change", (e) => { if (e.target.name === "kind") syncComposerMode(); });
  syncComposerMode();

  let pendingG = 0;
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    const typing = t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName);
    if (e.key === "Escape") {
      showHelp(false); toggleNotifications(false); closeSettingsMenu(null);
      if (typing) t.blur();
      return;
    }
    if (typing) return;
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      if (e.key === "i") { location.href = "/tickets?view=mine"; e.preventDefault(); }
      if (e.key === "a") { location.href = "/tickets?view=all"; e.preventDefault(); }
      return;
    }
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter": case "o": {
        const row = document.querySelector("tr.selected");
        if (!row) return;
        location.href = row.dataset.href;
        break;
      }
      case "r": compose("reply"); break;
      case "n": compose("note"); break;
      case "c": {
        const link = document.querySelector('[data-shortcut="c"]');
        if (link) location.href = link.href;
        break;
      }
      case "g": pendingG = Date.now(); break;
      case "/": {
        // The jump box on every agent page: a number opens that ticket;
        // full-text search plugs in behind the same box.
        const f = document.querySelector("[data-jump]") || document.querySelector("[data-filter]");
        if (f) { f.focus(); f.select(); }
        break;
      }
      case "?": showHelp(true); break;
      default: return;
    }
    e.preventDefault();
  });
})();

// SLA countdowns: every <time data-due> shows the time left, or "overdue"
// and how long, refreshed each second (rows the live updates bring in are
// picked up at the next tick).
(function () {
  const pad = (n) => (n < 10 ? "0" : "") + n;
  const span = (ms) => {
    const m = Math.floor(ms / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60);
    if (d > 0) return d + "d " + h + "h";
    if (h > 0) return h + "h " + pad(m % 60) + "m";
    return m + "m " + pad(Math.floor(ms / 1000) % 60) + "s";
  };
  const tick = () => {
    const now = Date.now();
    document.querySelectorAll("time[data-due]").forEach((el) => {
      const left = Date.parse(el.dataset.due) - now;
      if (isNaN(left)) return;
      el.textContent = left >= 0 ? span(left) : el.dataset.overdue + " " + span(-left);
      el.classList.toggle("overdue", left < 0);
    });
  };
  tick();
  setInterval(tick, 1000);
})();

// Macro picker (templates/macro_picker.html): "m" focuses the search, typing
// filters, Enter or a click previews the chosen macro through the API, and
// Apply applies it to the version of the ticket this page shows.
(function () {
  const box = document.getElementById("macro-picker");
  const search = document.getElementById("macro-search");
  if (!box || !search) return;
  const items = [...box.querySelectorAll("[data-macro]")];
  const preview = document.getElementById("macro-preview");
  const errorBox = document.getElementById("macro-error");
  let chosen = null;
  const api = (path, body, extra) => fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: Object.assign({ "X-CSRF-Token": box.dataset.csrf, "Accept": "application/json",
      "Content-Type": "application/json" }, extra || {}),
    body: JSON.stringify(body),
  });
  const fail = (text) => { errorBox.textContent = text; errorBox.hidden = false; };
  const visible = () => items.filter((li) => !li.hidden);
  const mark = (li) => {
    items.forEach((x) => x.classList.toggle("selected", x === li));
    if (li) li.setAttribute("aria-selected", "true");
  };
  search.addEventListener("input", () => {
    const q = search.value.trim().toLowerCase();
    items.forEach((li) => { li.hidden = q !== "" && !li.dataset.name.toLowerCase().includes(q); });
    mark(visible()[0]);
  });
  async function show(li) {
    chosen = li.dataset.macro;
    errorBox.hidden = true;
    const res = await api("/api/v1/macros/" + chosen + "/preview", { ticket_id: Number(box.dataset.ticket) });
    if (!res.ok) { fail(box.dataset.failed); return; }
    const p = await res.json();
    document.getElementById("macro-preview-reply").textContent = p.reply;
    const ul = document.getElementById("macro-preview-changes");
    ul.replaceChildren(...p.changes.map((c) => { const x = document.createElement("li"); x.textContent = c; return x; }));
    preview.hidden = false;
    document.getElementById("macro-apply").focus();
  }
  items.forEach((li) => li.addEventListener("click", () => show(li)));
  search.addEventListener("keydown", (e) => {
    const list = visible();
    const at = list.findIndex((x) => x.classList.contains("selected"));
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      mark(list[Math.max(0, Math.min(list.length - 1, at + (e.key === "ArrowDown" ? 1 : -1)))]);
      e.preventDefault();
    } else if (e.key === "Enter") {
      const li = list[Math.max(0, at)];
      if (li) show(li);
      e.preventDefault();
    }
  });
  document.getElementById("macro-cancel").addEventListener("click", () => { preview.hidden = true; search.focus(); });
  document.getElementById("macro-apply").addEventListener("click", async () => {
    const res = await api("/api/v1/macros/" + chosen + "/apply", { ticket_id: Number(box.dataset.ticket) },
      { "If-Match": '"v' + box.dataset.version + '"' });
    if (res.ok) { location.reload(); return; }
    fail(res.status === 412 ? box.dataset.stale : box.dataset.failed);
  });
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (e.key !== "m" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    search.focus();
    e.preventDefault();
  });
})();

// Availability board (templates/availability.html): reload the boards when
// the server says an agent's availability or load changed.
(function () {
  const boards = document.querySelector("[data-presence-stream]");
  if (!boards || !window.EventSource || !boards.querySelector("section")) return;
  const es = new EventSource(boards.dataset.presenceStream);
  es.addEventListener("open", () => { boards.dataset.live = "connected"; });
  es.addEventListener("presence", async () => {
    const res = await fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const fresh = doc.querySelector("[data-presence-stream]");
    if (fresh) boards.replaceChildren(...fresh.childNodes);
  });
})();

// Printable pages (templates/perf_review.html): a link that prints the page
// (the print stylesheet leaves out the forms and the navigation).
document.addEventListener("click", (e) => {
  const link = e.target.closest("[data-print]");
  if (!link) return;
  e.preventDefault();
  window.print();
});
