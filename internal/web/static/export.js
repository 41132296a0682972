// Export progress: an export link or button marked data-export is fetched
// here instead of navigated to, so the page can count the rows as they
// stream in against the total the server announces first (X-Export-Rows)
// and then offer the file. Nothing is kept on the server between requests,
// so any node may answer. Without script the plain link or form downloads
// as before.
"use strict";

(function () {
  const panel = document.getElementById("export-progress");
  if (!panel || !window.fetch || !window.ReadableStream) return;
  const bar = panel.querySelector("progress");
  const status = panel.querySelector(".export-status");
  const save = panel.querySelector(".export-save");
  let running = null; // the AbortController of the export under way

  function say(template, done, total) {
    status.textContent = template.replace("{done}", done.toLocaleString()).replace("{total}", total.toLocaleString());
  }

  function filename(resp, url) {
    const m = /filename="([^"]+)"/.exec(resp.headers.get("Content-Disposition") || "");
    return m ? m[1] : url.split("?")[0].split("/").pop();
  }

  // csvRows counts the CSV records that end in a chunk; quoted fields may
  // hold line breaks, so a newline counts only outside quotes ("" inside
  // a quoted field toggles twice and changes nothing).
  function csvCounter() {
    let quoted = false;
    return function (bytes) {
      let n = 0;
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i];
        if (b === 0x22) quoted = !quoted;
        else if (b === 0x0a && !quoted) n++;
      }
      return n;
    };
  }

  async function run(url) {
    if (running) running.abort();
    const ctl = new AbortController();
    running = ctl;
    panel.hidden = false;
    save.hidden = true;
    if (save.href) URL.revokeObjectURL(save.href);
    save.removeAttribute("href");
    delete panel.dataset.rows;
    bar.removeAttribute("value");
    status.textContent = panel.dataset.preparing;
    panel.scrollIntoView({ block: "nearest" });
    try {
      const resp = await fetch(url, { credentials: "same-origin", signal: ctl.signal });
      if (!resp.ok || !resp.body) throw new Error("status " + resp.status);
      const total = Number(resp.headers.get("X-Export-Rows") || "0");
      const csv = (resp.headers.get("Content-Type") || "").startsWith("text/csv");
      const count = csvCounter();
      let rows = -1; // the header line is not a row
      const parts = [];
      let pending = [];
      let pendingBytes = 0;
      const reader = resp.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        pending.push(value);
        pendingBytes += value.length;
        // Hand the bytes to the browser's blob store now and then, which
        // may keep them on disk, instead of holding them in script memory.
        if (pendingBytes > 8 << 20) {
          parts.push(new Blob(pending));
          pending = [];
          pendingBytes = 0;
        }
        if (csv) {
          rows += count(value);
          const shown = Math.max(0, Math.min(rows, total));
          bar.max = Math.max(total, 1);
          bar.value = shown;
          say(panel.dataset.progress, shown, total);
        }
      }
      parts.push(new Blob(pending));
      if (ctl !== running) return;
      const blob = new Blob(parts, { type: resp.headers.get("Content-Type") || "application/octet-stream" });
      if (!csv) rows = total; // a spreadsheet arrives whole at the end
      panel.dataset.rows = String(rows);
      bar.max = 1;
      bar.value = 1;
      say(panel.dataset.done, rows, total);
      save.href = URL.createObjectURL(blob);
      save.download = filename(resp, url);
      save.hidden = false;
      save.focus();
    } catch (e) {
      if (ctl.signal.aborted) return;
      bar.max = 1;
      bar.value = 0;
      status.textContent = panel.dataset.failed;
    } finally {
      if (running === ctl) running = null;
    }
  }

  panel.querySelector(".export-close").addEventListener("click", () => {
    if (running) running.abort();
    running = null;
    panel.hidden = true;
  });

  document.addEventListener("click", (ev) => {
    const a = ev.target.closest("a[data-export]");
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    ev.preventDefault();
    run(a.href);
  });
  document.addEventListener("submit", (ev) => {
    const btn = ev.submitter;
    if (!btn || !btn.hasAttribute("data-export")) return;
    ev.preventDefault();
    const form = ev.target;
    const params = new URLSearchParams(new FormData(form));
    run(btn.getAttribute("formaction") + "?" + params.toString());
  });
  panel.dataset.ready = "1";
})();
