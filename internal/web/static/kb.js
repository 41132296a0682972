// Knowledge base, in plain script (no build step, no inline script):
//  - the agent's ticket page: articles suggested for the ticket's subject,
//    each with "Insert link" into the reply composer;
//  - the article editor: upload an image and write its Markdown;
//  - the customer portal's new-ticket form (#portal-subject with
//    #kb-suggestions): suggestions as the subject is typed, and deflection
//    counting — opening a suggestion is recorded (POST /kb/suggest/opened),
//    sending the form anyway is recorded too (POST /kb/suggest/submitted);
//    an opening not followed by a sent form within an hour is a deflection.
(function () {
  "use strict";

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }

  function suggest(q, lang, limit) {
    let url = "/kb/suggest?limit=" + limit + "&q=" + encodeURIComponent(q);
    if (lang) url += "&lang=" + encodeURIComponent(lang);
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .catch(function () { return { suggestions: [] }; });
  }

  // insertAt puts text at the caret of a textarea (or at its end).
  function insertAt(box, text) {
    const start = box.selectionStart != null ? box.selectionStart : box.value.length;
    const end = box.selectionEnd != null ? box.selectionEnd : start;
    const before = box.value.slice(0, start);
    const sep = before && !/\s$/.test(before) ? " " : "";
    box.value = before + sep + text + box.value.slice(end);
    const at = (before + sep + text).length;
    box.focus();
    box.setSelectionRange(at, at);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // The agent's ticket page.
  function ticketPanel(panel) {
    const list = panel.querySelector("ul");
    const box = document.getElementById(panel.dataset.target);
    suggest(panel.dataset.subject || "", "", 5).then(function (j) {
      const items = j.suggestions || [];
      list.textContent = "";
      if (!items.length) {
        list.appendChild(el("li", { class: "muted" }, panel.dataset.none));
        return;
      }
      items.forEach(function (s) {
        const li = el("li", { "data-kb-suggestion": String(s.id) });
        li.appendChild(el("a", { href: s.url, target: "_blank", rel: "noopener", lang: s.language }, s.title));
        if (s.internal) {
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", { class: "pill warn" }, panel.dataset.internal));
        } else if (box) {
          const b = el("button", { type: "button", class: "link", "data-kb-insert": String(s.id) }, panel.dataset.insert);
          b.addEventListener("click", function () {
            insertAt(box, s.title + ": " + location.origin + s.url);
          });
          li.appendChild(document.createTextNode(" "));
          li.appendChild(b);
        }
        list.appendChild(li);
      });
    });
  }

  // The editor's image upload: the file goes to the blob store through
  // the API, and its Markdown goes into the body.
  function imageUpload(input) {
    input.addEventListener("change", function () {
      const file = input.files && input.files[0];
      if (!file) return;
      const csrf = document.body.dataset.csrf || "";
      const form = new FormData();
      form.append("csrf", csrf);
      form.append("file", file);
      fetch("/api/v1/kb/images", { method: "POST", credentials: "same-origin", body: form,
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (img) {
          const alt = file.name.replace(/\.[a-z0-9]+$/i, "").replace(/[\[\]]/g, "");
          insertAt(document.getElementById(input.dataset.insertTarget), "![" + alt + "](" + img.url + ")");
          input.value = "";
        })
        .catch(function () { alert(input.dataset.failed); });
    });
  }

  // The customer portal's new-ticket form.
  const openedKey = "sahayak.kb.opened";
  function opened() {
    try { return JSON.parse(sessionStorage.getItem(openedKey) || "[]"); } catch (e) { return []; }
  }
  function postJSON(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: JSON.stringify(body) });
  }
  function portalSuggestions(subject, out) {
    const lang = document.documentElement.lang || "";
    let timer = null, last = "";
    function show(q) {
      suggest(q, lang, 5).then(function (j) {
        const items = j.suggestions || [];
        if (q !== subject.value.trim()) return; // typed on meanwhile
        out.textContent = "";
        if (!items.length) return;
        out.appendChild(el("p", { class: "muted" }, out.dataset.heading || j.heading || ""));
        const ul = el("ul", {});
        items.forEach(function (s) {
          const a = el("a", { href: s.url, target: "_blank", rel: "noopener", lang: s.language, "data-kb-suggestion": String(s.id) }, s.title);
          a.addEventListener("click", function () {
            postJSON("/kb/suggest/opened", { article_id: s.id, q: q })
              .then(function (r) { return r.ok ? r.json() : null; })
              .then(function (j) {
                if (!j || !j.token) return;
                const list = opened();
                list.push(j.token);
                sessionStorage.setItem(openedKey, JSON.stringify(list.slice(-20)));
              })
              .catch(function () {});
          });
          const li = el("li", {});
          li.appendChild(a);
          if (s.snippet) li.appendChild(el("p", { class: "snippet" }, s.snippet));
          ul.appendChild(li);
        });
        out.appendChild(ul);
      });
    }
    subject.addEventListener("input", function () {
      const q = subject.value.trim();
      if (q === last) return;
      last = q;
      clearTimeout(timer);
      if (q.length < 3) { out.textContent = ""; return; }
      timer = setTimeout(function () { show(q); }, 300);
    });
    const form = subject.form;
    if (form) {
      form.addEventListener("submit", function () {
        const tokens = opened();
        if (!tokens.length) return;
        sessionStorage.removeItem(openedKey);
        postJSON("/kb/suggest/submitted", { tokens: tokens }).catch(function () {});
      });
    }
  }

  function start() {
    document.querySelectorAll("[data-kb-suggest]").forEach(ticketPanel);
    document.querySelectorAll("[data-kb-image]").forEach(imageUpload);
    const subject = document.getElementById("portal-subject");
    const out = document.getElementById("kb-suggestions");
    if (subject && out) {
      out.setAttribute("aria-live", "polite");
      portalSuggestions(subject, out);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
