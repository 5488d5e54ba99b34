// The shopper's web chat: the same assistant as the counter, over the conversation endpoint.
// Works without this script (the form posts to /chat); with it, replies come without a reload and,
// where the browser offers it, are read aloud and the shopper may speak instead of typing.
(function () {
  "use strict";
  const main = document.querySelector("main.chat");
  const form = document.getElementById("say");
  const input = document.getElementById("text");
  const list = document.getElementById("transcript");
  const aloud = document.getElementById("aloud");
  const shop = main.dataset.shop;
  let session = sessionStorage.getItem("voiceshop-chat") || form.elements.session.value;
  sessionStorage.setItem("voiceshop-chat", session);
  form.elements.session.value = session;

  function show(who, text) {
    const item = document.createElement("li");
    item.className = who;
    item.textContent = (who === "you" ? "You: " : "Assistant: ") + text;
    list.appendChild(item);
    item.scrollIntoView({ block: "end" });
    if (who === "assistant" && aloud.checked && "speechSynthesis" in window) {
      window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
    }
  }

  async function send(path, body) {
    const response = await fetch(`/api/v1/conversations/${session}/${path}?shop=${encodeURIComponent(shop)}&channel=web`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body === null ? null : JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) {
      show("assistant", data.detail || "Sorry, that did not go through. Please try again.");
      return;
    }
    data.replies.forEach((reply) => show("assistant", reply.text));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    show("you", text);
    send("turns", { text: text });
  });

  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (Recognition) {
    const button = document.getElementById("speak");
    button.hidden = false;
    button.addEventListener("click", () => {
      const heard = new Recognition();
      heard.lang = document.documentElement.lang || "en";
      heard.onresult = (event) => {
        input.value = event.results[0][0].transcript;
        form.requestSubmit();
      };
      heard.start();
    });
  }

  if (!list.children.length) send("start", null);
})();
