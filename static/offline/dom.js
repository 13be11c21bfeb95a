// Small DOM helpers for the offline app. Every text comes from the page (translated by Django in
// offline/app.html); elements are built in code because the CSP forbids inline scripts and styles.
const texts = {};

export function loadTexts(root) {
  if (!root) { return; }
  root.querySelectorAll("[data-k]").forEach((el) => { texts[el.dataset.k] = el.textContent.trim(); });
}

// A message with its placeholders filled: {name} (the page's texts) and %(name)s / %(name)d (Django's).
export function fill(text, params) {
  return String(text).replace(/\{(\w+)\}|%\((\w+)\)[sd]/g, (whole, brace, percent) => {
    const value = params ? params[brace || percent] : undefined;
    return value === undefined || value === null ? whole : String(value);
  });
}

export function t(key, params) {
  return fill(key in texts ? texts[key] : key, params);
}

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) { continue; }
    if (name.startsWith("on")) { el.addEventListener(name.slice(2), value); }
    else if (name === "class") { el.className = value; }
    else { el.setAttribute(name, value === true ? "" : value); }
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false && child !== "") {
      el.append(child instanceof Node ? child : String(child));
    }
  }
  return el;
}

const lang = () => document.documentElement.lang || "fr";

// "2026-03-12" or an ISO date-time, shown as the reader's short date (and time).
export function formatDate(value, withTime = false) {
  if (!value) { return ""; }
  const text = String(value);
  const date = text.length <= 10 ? new Date(...text.split("-").map((part, i) => Number(part) - (i === 1 ? 1 : 0)))
    : new Date(text);
  if (Number.isNaN(date.getTime())) { return text; }
  const options = withTime ? { dateStyle: "short", timeStyle: "short" } : { dateStyle: "short" };
  return new Intl.DateTimeFormat(lang(), options).format(date);
}

// Today on the device, as the forms and the services write dates (YYYY-MM-DD, local time).
export function today() {
  const now = new Date();
  return [now.getFullYear(), now.getMonth() + 1, now.getDate()].map((n) => String(n).padStart(2, "0")).join("-");
}
