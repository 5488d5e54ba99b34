// The order board: the server sends the open orders whenever they change (server-sent events); the
// buttons post without reloading the page. Without JavaScript the same forms post and reload.
"use strict";

const list = document.getElementById("orders");
const empty = document.getElementById("empty");
const live = document.getElementById("live");
const csrf = document.querySelector('meta[name="csrf-token"]').content;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function actionForm(order, verb, label, extraClass) {
  const button = el("button", { type: "submit", class: extraClass },
    label);
  button.setAttribute("aria-label", `${label}: order ${order.number}`);
  return el("form", { method: "post", action: `/board/orders/${order.number}/${verb}` },
    el("input", { type: "hidden", name: "csrf", value: csrf }),
    el("input", { type: "hidden", name: "etag", value: order.etag }), button);
}

function card(order) {
  const items = el("ul", {}, ...order.items.map((text) => el("li", {}, text)));
  const actions = el("div", { class: "actions" });
  if (order.next) actions.append(actionForm(order, "advance", `Mark ${order.next}`, "advance"));
  if (order.cancellable) actions.append(actionForm(order, "cancel", "Cancel", "cancel"));
  return el("li", { class: `order ${order.status}`, id: `order-${order.number}`, "data-number": order.number },
    el("h2", {}, order.number),
    el("p", {}, el("span", { class: "status" }, order.status), ` · ${order.delivery} · ${order.total}`,
      order.customer ? ` · ${order.customer}` : ""),
    items, actions);
}

function render(orders) {
  const focused = document.activeElement && document.activeElement.closest("form");
  const focusAction = focused ? focused.getAttribute("action") : null;
  list.replaceChildren(...orders.map(card));
  empty.hidden = orders.length > 0;
  if (focusAction) {
    const again = list.querySelector(`form[action="${focusAction}"] button`);
    if (again) again.focus();
  }
}

list.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const response = await fetch(form.action, {
    method: "POST",
    body: new URLSearchParams(new FormData(form)),
    headers: { "Accept": "application/json" },
    credentials: "same-origin",
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ detail: response.statusText }));
    live.textContent = problem.detail;
  }
});

// The browser reconnects a dropped stream by itself, but gives up for good when the server answers
// with an error (a revoked token, too many wrong ones, a restart mid-request). Then ask once what the
// answer is: signed out goes to the sign-in page, anything else is tried again a little later.
function connect() {
  const events = new EventSource("/board/events");
  events.addEventListener("orders", (event) => {
    render(JSON.parse(event.data));
    live.textContent = `Live · updated ${new Date().toLocaleTimeString()}`;
  });
  events.addEventListener("error", () => {
    if (events.readyState !== EventSource.CLOSED) {
      live.textContent = "Reconnecting…";
      return;
    }
    live.textContent = "Connection lost; trying again…";
    setTimeout(recover, 3000);
  });
}

async function recover() {
  const stop = new AbortController();
  try {
    const answer = await fetch("/board/events", { credentials: "same-origin", signal: stop.signal });
    stop.abort();
    if (answer.status === 401 || answer.status === 403 || answer.status === 429) {
      window.location.assign("/board");
      return;
    }
  } catch (error) {
    // the server is not reachable yet: try the stream again all the same
  }
  connect();
}

connect();
