// The web chat page: sign in with an email, then one WebSocket to /chat/ws carries the conversation.
// Messages arrive as HTML rendered (and escaped) by the server; this script only places them, collects the
// values of a pressed card's inputs, and reconnects when the socket drops. No framework, no build step.
"use strict";

(() => {
  const EMAIL_KEY = "ticketbot.web.email";
  const $ = (id) => document.getElementById(id);
  const log = $("log");
  const text = $("text");
  let socket = null;
  let retries = 0;
  let email = localStorage.getItem(EMAIL_KEY) || "";

  function setStatus(words) { $("status").textContent = words; }

  function scrollDown() { window.scrollTo(0, document.body.scrollHeight); }

  function note(words) {
    const node = document.createElement("p");
    node.className = "note";
    node.textContent = words;
    log.append(node);
    scrollDown();
  }

  // Show a message, or replace the one with the same id (a refreshed card; a message already in the history).
  function show(entry, onlyReplace) {
    const existing = log.querySelector(`[data-message="${CSS.escape(entry.id)}"]`);
    if (!existing && onlyReplace) return;
    const node = document.createElement("div");
    node.className = entry.author === "user" ? "message message-user" : "message message-bot";
    node.dataset.message = entry.id;
    node.innerHTML = entry.html; // rendered by the server with every user text escaped (cards/html.py)
    if (existing) existing.replaceWith(node); else log.append(node);
    if (!existing) scrollDown();
  }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      note("Not connected; trying again shortly.");
      return false;
    }
    socket.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(`${scheme}${location.host}/chat/ws?as=${encodeURIComponent(email)}`);
    setStatus("connecting…");
    socket.addEventListener("open", () => { retries = 0; setStatus("connected"); });
    socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
    socket.addEventListener("close", () => {
      socket = null;
      const wait = Math.min(1000 * 2 ** retries, 15000);
      retries += 1;
      setStatus("disconnected; reconnecting…");
      setTimeout(() => { if (email) connect(); }, wait);
    });
  }

  function receive(frame) {
    if (frame.type === "welcome") {
      $("bot").textContent = frame.bot;
      log.replaceChildren();
      frame.history.forEach((entry) => show(entry, false));
      scrollDown();
    } else if (frame.type === "message") {
      show(frame, false);
    } else if (frame.type === "replace") {
      show(frame, true);
    } else if (frame.type === "error") {
      note(frame.text);
    } else if (frame.type === "done") {
      log.querySelectorAll("button[data-verb]:disabled").forEach((b) => { b.disabled = false; });
    }
  }

  // A card button: its data, plus the inputs of the card body (a Button) or of its own prompt (a Prompt).
  function press(button) {
    const message = button.closest("[data-message]");
    const card = button.closest(".card");
    const prompt = button.closest(".card-prompt");
    const values = JSON.parse(button.dataset.values || "{}");
    const check = button.classList.contains("card-button-positive");
    for (const field of (prompt || card).querySelectorAll("[name]")) {
      if (!prompt && field.closest(".card-prompt")) continue;
      if (check && !field.reportValidity()) return;
      values[field.name] = field.value;
    }
    if (send({ type: "action", message: message.dataset.message, verb: button.dataset.verb, values })) {
      card.querySelectorAll("button[data-verb]").forEach((b) => { b.disabled = true; });
    }
  }

  function start() {
    $("signin").hidden = true;
    $("chat").hidden = false;
    $("who").hidden = false;
    $("who-email").textContent = email;
    connect();
    text.focus();
  }

  log.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-verb]");
    if (button) press(button);
  });

  $("compose").addEventListener("submit", (event) => {
    event.preventDefault();
    const words = text.value.trim();
    if (words && send({ type: "message", text: words })) text.value = "";
  });

  $("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    email = $("email").value.trim().toLowerCase();
    localStorage.setItem(EMAIL_KEY, email);
    start();
  });

  $("change").addEventListener("click", () => {
    localStorage.removeItem(EMAIL_KEY);
    location.reload();
  });

  if (email) start(); else $("signin").hidden = false;
})();
