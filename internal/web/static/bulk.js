// Bulk actions on ticket lists: pick tickets with the checkboxes (shift-click
// picks the range from the last one clicked; the header box picks the whole
// page), and the bulk form appears with the count. Without this script the
// form is shown and works the same.
"use strict";

(function () {
  const form = document.querySelector("[data-bulk-form]");
  if (!form) return;
  let last = null;

  function picks() { return Array.from(document.querySelectorAll("input[data-bulk-pick]")); }
  function update() {
    const list = picks();
    const n = list.filter((c) => c.checked).length;
    const actions = form.querySelector("[data-bulk-actions]");
    if (actions) actions.hidden = n === 0;
    const count = form.querySelector("[data-bulk-count]");
    if (count) count.textContent = (count.dataset.text || "%d").replace("%d", String(n));
    document.querySelectorAll("input[data-bulk-all]").forEach((all) => {
      all.checked = n > 0 && n === list.length;
      all.indeterminate = n > 0 && n < list.length;
    });
    // While tickets are picked, a live refresh of the list would drop the
    // picks: hold it, as a form being edited is held.
    const region = document.querySelector('[data-live-region="list"]');
    if (region) {
      region.setAttribute("data-keep-when-dirty", "");
      if (n > 0) region.dataset.dirty = "1"; else delete region.dataset.dirty;
    }
  }

  // A click beside a checkbox in its cell picks too, rather than opening
  // the ticket (capture: before the row's own click handler).
  document.addEventListener("click", (e) => {
    const cell = e.target.closest && e.target.closest("td.pick, th.pick");
    if (!cell || e.target.tagName === "INPUT") return;
    e.stopPropagation();
    e.preventDefault();
    const box = cell.querySelector("input[type=checkbox]");
    if (box) box.click();
  }, true);

  document.addEventListener("click", (e) => {
    const box = e.target;
    if (!(box instanceof HTMLInputElement)) return;
    if (box.matches("input[data-bulk-all]")) {
      picks().forEach((c) => { c.checked = box.checked; });
      last = null;
      update();
      return;
    }
    if (!box.matches("input[data-bulk-pick]")) return;
    const list = picks();
    if (e.shiftKey && last && list.includes(last)) {
      const [a, b] = [list.indexOf(last), list.indexOf(box)].sort((x, y) => x - y);
      for (let i = a; i <= b; i++) list[i].checked = box.checked;
    }
    last = box;
    update();
  });

  update();
})();
