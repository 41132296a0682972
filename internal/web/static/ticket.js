// Ticket page: the composer (files by drag and drop or paste, Ctrl/Cmd+Enter
// sends, "Add note" in note mode) and the assignee picker that follows the
// chosen team. The forms work without this; it only makes them quicker.
"use strict";

(function () {
  const form = document.getElementById("composer");
  if (form) composer(form);
  document.querySelectorAll("[data-team-picker]").forEach(followTeam);

  function composer(form) {
    const body = document.getElementById("composer-body");
    const input = document.getElementById("composer-files");
    const drop = document.getElementById("composer-drop");
    const list = document.getElementById("composer-file-list");
    const send = document.getElementById("composer-send");

    // Files dropped or pasted join those chosen with the file input: the
    // input holds them all, so the form sends them as it would its own.
    function addFiles(files) {
      if (!files || files.length === 0) return;
      const dt = new DataTransfer();
      for (const f of input.files) dt.items.add(f);
      for (const f of files) dt.items.add(f);
      input.files = dt.files;
      showFiles();
    }
    function showFiles() {
      list.replaceChildren();
      for (const f of input.files) {
        const li = document.createElement("li");
        li.textContent = f.name + " (" + f.size + " B)";
        list.append(li);
      }
    }
    input.addEventListener("change", showFiles);
    ["dragenter", "dragover"].forEach((type) => form.addEventListener(type, (e) => {
      if (!e.dataTransfer || !Array.from(e.dataTransfer.types).includes("Files")) return;
      e.preventDefault();
      drop.classList.add("over");
    }));
    ["dragleave", "drop"].forEach((type) => form.addEventListener(type, () => drop.classList.remove("over")));
    form.addEventListener("drop", (e) => {
      if (!e.dataTransfer || e.dataTransfer.files.length === 0) return;
      e.preventDefault();
      addFiles(e.dataTransfer.files);
    });
    body.addEventListener("paste", (e) => {
      const files = e.clipboardData ? e.clipboardData.files : null;
      if (!files || files.length === 0) return; // plain text pastes as text
      e.preventDefault();
      addFiles(files);
    });

    // Ctrl+Enter (Cmd+Enter on a Mac) sends, as the primary button would.
    form.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      form.requestSubmit(send);
    });

    // A note is added, not sent: the button says so, and a note offers no
    // "send and set status".
    function syncKind() {
      const note = form.querySelector('input[name="internal"][value="true"]');
      const isNote = !!(note && note.checked) || !form.querySelector('input[name="internal"][value="false"]');
      send.textContent = isNote ? send.dataset.labelNote : send.dataset.labelReply;
      form.classList.toggle("note-mode", isNote);
      const statuses = document.getElementById("send-status");
      if (statuses) statuses.hidden = isNote;
    }
    form.addEventListener("change", (e) => { if (e.target.name === "internal") syncKind(); });
    // The shortcuts r and n (app.js) pick a kind without a change event.
    form.addEventListener("focusin", syncKind);
    syncKind();
  }

  // An assignee picker shows only the members of the team chosen beside it
  // (everyone when no team is chosen); a chosen assignee who is not a member
  // is cleared, as the ticket would refuse them.
  function followTeam(team) {
    const scope = team.form || document;
    const picker = scope.querySelector("[data-assignee-picker]");
    if (!picker) return;
    function filter() {
      const id = team.value;
      for (const o of picker.options) {
        if (!o.value) continue;
        const member = !id || (o.dataset.teams || "").split(" ").includes(id);
        o.hidden = !member;
        if (!member && o.selected) picker.value = "";
      }
    }
    team.addEventListener("change", filter);
  }
})();
