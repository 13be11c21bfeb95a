// Sentinelle's offline app for case workers (issue 19, docs/offline.md): enrol the device with a PIN, take
// the caseload, work without a connection, sync through the outbox. Screens are routed by the URL's hash.
import { formatDate, h, loadTexts, t, today } from "./dom.js";
import { importDeviceKey, newDataKey, openDataKey } from "./crypto.js";
import * as forms from "./forms.js";
import * as outbox from "./outbox.js";
import * as store from "./store.js";
import * as net from "./sync.js";

const root = document.getElementById("app");
const cfg = root.dataset;
const api = { enrol: cfg.enrol, status: cfg.status, caseload: cfg.caseload, sync: cfg.sync, rules: cfg.rules };
const PIN_MIN = Number(cfg.pinMin || 6);
const MAX_WRONG_PINS = 5;
const DAY = 86400000;
const SEND = new Set(["pending", "waiting"]);
const FORM_ROUTES = { suivi: "follow_up", note: "note", evaluation: "assessment", consentement: "consent",
  coordonnees: "person_update" };
const CONTACT_FIELDS = ["phone", "address", "caregiver_name", "caregiver_phone"];

const state = { meta: null, caseload: null, entries: [], journal: [], signIn: false, busy: false, notice: null,
  wiped: null, screen: "" };

// --- Screens -------------------------------------------------------------------------------------------

function show(screen, title, ...content) {
  const changed = state.screen !== screen;
  state.screen = screen;
  const heading = h("h1", { tabindex: "-1" }, title);
  const notice = state.notice ? h("p", { class: `off-notice ${state.notice.kind}`, role: "status",
    "data-testid": "notice" }, state.notice.text) : null;
  state.notice = null;
  root.replaceChildren(...[heading, notice, ...content].filter(Boolean));
  document.title = `${title} · Sentinelle`;
  if (changed) { heading.focus(); window.scrollTo(0, 0); }
}

function say(text, kind = "ok") { state.notice = { text, kind }; }

function setNet() {
  const indicator = document.getElementById("net");
  if (indicator) {
    indicator.textContent = navigator.onLine ? t("Online") : t("Offline");
    indicator.className = "net " + (navigator.onLine ? "on" : "off");
  }
}

function route() {
  setNet();
  if (state.meta && state.meta.expires_at && Date.now() > state.meta.expires_at) { wipe("expired"); return; }
  if (!state.meta) { return state.wiped ? wipedScreen() : enrolScreen(); }
  if (!outbox.isOpen()) { return unlockScreen(); }
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "cas" && parts[1]) {
    const found = findCase(parts[1]);
    if (!found) { location.hash = "#/"; return; }
    if (parts[2] && FORM_ROUTES[parts[2]]) { return formScreen(found, FORM_ROUTES[parts[2]]); }
    return caseScreen(found);
  }
  if (parts[0] === "nouveau") { return registerScreen(); }
  if (parts[0] === "envois" && parts[1]) { return resendScreen(parts[1]); }
  if (parts[0] === "envois") { return outboxScreen(); }
  return listScreen();
}

// After a sync or a change: the screen again, except a form being typed (its text must stay).
function refresh() {
  if (state.screen === "form") { setNet(); } else { route(); }
}

function enrolScreen() {
  const label = h("input", { id: "device-label", type: "text", value: t("My phone"), maxlength: 100 });
  const pin = pinInput("pin", "new-password");
  const again = pinInput("pin-again", "new-password");
  const errors = h("div", { class: "alert", role: "alert", hidden: true, "data-testid": "enrol-errors" });
  const button = h("button", { type: "submit", disabled: !navigator.onLine, "data-testid": "enrol" },
    t("Prepare this device"));
  const form = h("form", { class: "card off-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const problem = pinProblem(pin.value) || (pin.value !== again.value ? forms.message("pin_mismatch") : "");
    if (problem) { errors.textContent = problem; errors.hidden = false; pin.focus(); return; }
    button.disabled = true;
    errors.hidden = true;
    button.textContent = t("Preparing…");
    try {
      await enrol(label.value.trim() || t("My phone"), pin.value);
    } catch (error) {
      errors.textContent = error instanceof net.SignInNeeded ? t("Sign in to Sentinelle first, then come back here.")
        : error instanceof net.Unreachable ? t("No connection: connect to the internet to prepare this device.")
          : t("The device could not be prepared. Reload the page and try again.");
      errors.hidden = false;
      button.disabled = false;
      button.textContent = t("Prepare this device");
    }
  } },
  errors,
  h("div", { class: "field" }, h("label", { for: "device-label" }, t("Name of this device")), label,
    h("p", { class: "muted small off-help" }, t("It is listed on your devices page, where you can revoke it."))),
  h("div", { class: "field" }, h("label", { for: "pin" }, t("PIN (at least {n} digits)", { n: PIN_MIN })), pin),
  h("div", { class: "field" }, h("label", { for: "pin-again" }, t("The same PIN again")), again),
  h("div", { class: "off-buttons" }, button));
  // The rules' messages (the PIN's included) when the server gives them; the device's own words otherwise.
  if (navigator.onLine) { net.rules(api).then(forms.setRules).catch(() => {}); }
  show("enrol", t("Prepare this device for offline work"),
    h("p", null, t("Your open cases are copied to this device, encrypted, so you can work without a connection. Only you can open them, with your PIN.")),
    h("ul", { class: "off-facts" },
      h("li", null, t("Choose a PIN you do not use elsewhere. After 5 wrong PINs the data on this device are erased.")),
      h("li", null, t("Synchronise at least every {n} days: after that the data on this device are erased.",
        { n: cfg.offlineDays || 7 })),
      h("li", null, t("Signing out of the offline app erases its data."))),
    navigator.onLine ? null : h("p", { class: "alert" }, t("No connection: connect to the internet to prepare this device.")),
    form);
}

function pinInput(id, autocomplete) {
  return h("input", { id, type: "password", inputmode: "numeric", autocomplete, class: "off-pin", maxlength: 32 });
}

function pinProblem(pin) {
  if (!/^\d*$/.test(pin)) { return forms.message("pin_digits"); }
  return pin.length < PIN_MIN ? forms.message("pin_short", { n: PIN_MIN, count: PIN_MIN, limit_value: PIN_MIN }) : "";
}

async function enrol(label, pin) {
  let csrf = "";
  try { csrf = (await net.status(api, "")).csrf || ""; } catch (error) { /* the page's token below */ }
  const device = await net.enrol(api, csrf || cfg.csrf, label);
  const deviceKey = await importDeviceKey(device.device_secret);
  const sealed = await newDataKey(pin, deviceKey);
  const days = device.offline_days || Number(cfg.offlineDays) || 7;
  state.meta = { device_id: device.device_id, device_key: deviceKey, salt: sealed.salt, wrapped: sealed.wrapped,
    iterations: sealed.iterations, offline_days: days, last_sync_at: null, expires_at: Date.now() + days * DAY,
    failed_pins: 0, next_seq: 1 };
  await store.putMeta(state.meta);
  outbox.setKey(sealed.key);
  state.journal = [];
  state.entries = [];
  location.hash = "#/";
  await synchronise();
}

function unlockScreen() {
  const pin = pinInput("unlock-pin", "current-password");
  const errors = h("div", { class: "alert", role: "alert", hidden: true, "data-testid": "unlock-errors" });
  const button = h("button", { type: "submit", "data-testid": "unlock" }, t("Open my cases"));
  const left = MAX_WRONG_PINS - (state.meta.failed_pins || 0);
  if (left < MAX_WRONG_PINS) {
    errors.textContent = t("Wrong PIN. {n} attempts left before the data on this device are erased.", { n: left });
    errors.hidden = false;
  }
  const form = h("form", { class: "card off-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    if (!pin.value) { return; }
    button.disabled = true;
    button.textContent = t("Opening…");
    if (await unlock(pin.value)) { route(); return; }
    if (state.meta) { unlockScreen(); }
  } }, errors,
  h("div", { class: "field" }, h("label", { for: "unlock-pin" }, t("PIN")), pin),
  h("div", { class: "off-buttons" }, button));
  show("unlock", t("Open the offline app"), h("p", null, t("Your cases on this device are locked. Enter your PIN.")),
    form, h("p", { class: "small" }, signOutButton()));
  pin.focus();
}

async function unlock(pin) {
  // Counted before trying, so that closing the page during the check does not give a free attempt.
  state.meta = await store.updateMeta((meta) => { meta.failed_pins = (meta.failed_pins || 0) + 1; });
  if (!state.meta) { return false; }
  try {
    outbox.setKey(await openDataKey(pin, state.meta, state.meta.device_key));
  } catch (error) {
    if (state.meta.failed_pins >= MAX_WRONG_PINS) { await wipe("pins"); }
    return false;
  }
  state.meta = await store.updateMeta((meta) => { meta.failed_pins = 0; });
  state.caseload = await outbox.read("caseload");
  forms.setRules(await outbox.read("rules"));
  state.journal = (await outbox.read("journal")) || [];
  state.entries = await outbox.entries();
  if (navigator.onLine && (!state.meta.last_sync_at || Date.now() - state.meta.last_sync_at > 15 * 60000)) {
    synchronise();
  } else if (navigator.onLine) {
    contact();
  }
  return true;
}

function syncPanel() {
  const attention = state.entries.filter((entry) => !SEND.has(entry.state)).length;
  const waiting = state.entries.length - attention;
  const last = state.meta.last_sync_at;
  return h("section", { class: "card off-sync", "data-testid": "sync-panel" },
    h("p", { class: "small" },
      last ? t("Last sync: {date}", { date: formatDate(new Date(last).toISOString(), true) }) : t("Never synchronised.")),
    h("p", { class: "small muted" }, t("The data on this device are erased on {date} without a sync.",
      { date: formatDate(new Date(state.meta.expires_at).toISOString()) })),
    state.signIn ? h("p", { class: "off-notice warn", "data-testid": "sign-in-needed" },
      t("Sign in to Sentinelle to synchronise: your changes stay on this device."), " ",
      h("a", { href: cfg.signIn }, t("Sign in"))) : null,
    h("div", { class: "off-buttons" },
      h("button", { type: "button", "data-testid": "sync", disabled: state.busy, onclick: () => synchronise() },
        state.busy ? t("Synchronising…") : t("Synchronise")),
      h("a", { class: "button secondary", href: "#/envois", "data-testid": "outbox-link" },
        t("Changes to send: {n}", { n: waiting }),
        attention ? h("span", { class: "badge bad off-count" }, t("{n} to check", { n: attention })) : null)));
}

function listScreen() {
  const cases = [...registrations(), ...((state.caseload && state.caseload.cases) || [])];
  const search = h("input", { type: "search", id: "case-search", placeholder: t("Name, number, code"),
    autocomplete: "off" });
  const items = cases.map((item) => caseItem(item));
  const list = h("ul", { class: "off-cases", "data-testid": "case-list" }, items);
  search.addEventListener("input", () => {
    const words = search.value.toLowerCase().trim();
    items.forEach((li, i) => { li.hidden = Boolean(words) && !caseText(cases[i]).includes(words); });
  });
  show("list", t("My cases offline"), syncPanel(),
    h("div", { class: "off-buttons" },
      h("a", { class: "button", href: "#/nouveau", "data-testid": "new-registration" }, t("New registration"))),
    cases.length ? h("div", { class: "field off-search" }, h("label", { for: "case-search" }, t("Search")), search) : null,
    cases.length ? list : h("p", { class: "muted" }, t("No case on this device.")),
    h("footer", { class: "off-foot" },
      h("button", { type: "button", class: "secondary", "data-testid": "lock", onclick: lock }, t("Lock")), " ",
      signOutButton()));
}

function caseText(item) {
  const p = item.person || {};
  return [item.number, p.code, p.given_name, p.family_name, p.area_label].join(" ").toLowerCase();
}

function caseItem(item) {
  const p = item.person || {};
  const pending = state.entries.filter((entry) => entry.change.case === item.id && entry.change.kind !== "register");
  const tasks = (item.tasks || []).length;
  return h("li", null, h("a", { class: "off-case", href: `#/cas/${encodeURIComponent(item.id)}`, "data-testid": "case-item" },
    h("span", { class: "off-case-head" }, h("strong", null, fullName(p)), " ", riskBadge(item)),
    h("span", { class: "muted small" }, [item.number, personLine(p)].filter(Boolean).join(" · ")),
    h("span", { class: "small" }, item.step_label || "", tasks ? " · " + t("Open tasks: {n}", { n: tasks }) : "",
      item.pending ? " " : null, item.pending ? h("span", { class: "badge warn" }, t("not sent yet")) : null,
      pending.length ? " " : null, pending.length ? h("span", { class: "badge warn" },
        t("{n} to send", { n: pending.length })) : null)));
}

function fullName(p) { return [p.given_name, p.family_name].filter(Boolean).join(" ") || p.code || "—"; }

function personLine(p) {
  const sex = p.sex ? forms.choiceLabel("register", "sex", p.sex) : "";
  const age = p.age !== null && p.age !== undefined && p.age !== "" ? t("{n} years", { n: p.age }) : "";
  return [sex, age, p.area_label].filter(Boolean).join(", ");
}

function riskBadge(item) {
  if (!item.risk_level) { return null; }
  const kind = { high: "bad", medium: "warn", low: "ok" }[item.risk_level] || "";
  return h("span", { class: `badge ${kind}`, "data-testid": "risk" }, item.risk_label || item.risk_level);
}

// Registrations made on the device and not yet applied, shown as cases ("tmp:<change id>").
function registrations() {
  return state.entries.filter((entry) => entry.change.kind === "register").map((entry) => {
    const f = entry.change.fields;
    return { id: "tmp:" + entry.change.change_id, pending: true, number: t("New case"),
      type_label: forms.choiceLabel("register", "case_type", f.case_type), risk_level: f.risk_level,
      risk_label: forms.choiceLabel("register", "risk_level", f.risk_level), step_label: t("Registration"),
      person: { given_name: f.given_name, family_name: f.family_name, sex: f.sex, age: f.age, phone: f.phone,
        address: f.address, caregiver_name: f.caregiver_name, caregiver_phone: f.caregiver_phone,
        area_label: forms.choiceLabel("register", "area", f.area) },
      versions: {}, tasks: [], plan_actions: [], notes: [], follow_ups: [], consents: [] };
  });
}

function findCase(id) {
  return [...registrations(), ...((state.caseload && state.caseload.cases) || [])].find((item) => item.id === id);
}

function pendingOf(item, kind) {
  return state.entries.filter((entry) => entry.change.case === item.id && (!kind || entry.change.kind === kind));
}

// The contact fields as the device has them: the server's copy with the changes not sent yet on top.
function contactValues(item) {
  const values = Object.fromEntries(CONTACT_FIELDS.map((name) => [name, (item.person || {})[name] || ""]));
  const changed = new Set();
  for (const entry of pendingOf(item, "person_update")) {
    for (const [name, value] of Object.entries(entry.change.fields)) { values[name] = value; changed.add(name); }
  }
  return { values, changed };
}

function caseScreen(item) {
  const p = item.person || {};
  const base = `#/cas/${encodeURIComponent(item.id)}/`;
  const { values, changed } = contactValues(item);
  const toSend = h("span", { class: "badge warn" }, t("to send"));
  const doneTasks = new Set(pendingOf(item, "task_done").map((entry) => entry.change.fields.task));
  const doneActions = new Set(pendingOf(item, "plan_action_done").map((entry) => entry.change.fields.action));
  const contactRow = (name, label) => h("div", null, h("dt", null, label),
    h("dd", { "data-testid": `person-${name}` }, values[name] || "—", changed.has(name) ? [" ", toSend.cloneNode(true)] : null));
  const actions = [["suivi", "follow_up", t("Follow-up")], ["note", "note", t("Note")],
    ["evaluation", "assessment", t("Assessment")], ["consentement", "consent", t("Consent")],
    ["coordonnees", "person_update", t("Contact details")]]
    .filter(([, kind]) => forms.hasForm(kind) && (!item.pending || kind === "follow_up" || kind === "note"));
  const pending = pendingOf(item).filter((entry) => entry.change.kind !== "register");
  show("case", item.number,
    h("p", { class: "breadcrumbs" }, h("a", { href: "#/" }, "‹ " + t("My cases offline"))),
    h("p", { class: "off-case-title" }, h("strong", null, fullName(p)), " ", riskBadge(item),
      item.pending ? h("span", { class: "badge warn" }, t("not sent yet")) : null),
    h("p", { class: "muted small" }, [item.type_label, item.opened_on ? t("opened on {date}", { date: formatDate(item.opened_on) })
      : "", item.step_label ? t("Step: {step}", { step: item.step_label }) : ""].filter(Boolean).join(" · ")),
    h("nav", { class: "off-actions", "aria-label": t("Record") },
      actions.map(([slug, kind, label]) => h("a", { class: "button", href: base + slug, "data-testid": `action-${kind}` }, label))),
    pending.length ? h("section", { class: "card off-pending", "data-testid": "case-pending" },
      h("h2", null, t("Not sent yet")),
      h("ul", null, pending.map((entry) => h("li", null, entry.summary.title, " ", stateBadge(entry.state)))),
      h("p", { class: "small" }, h("a", { href: "#/envois" }, t("See the changes to send")))) : null,
    h("div", { class: "cards" },
      h("section", { class: "card" }, h("h2", null, t("Person")),
        h("dl", { class: "off-dl" },
          h("div", null, h("dt", null, t("Code")), h("dd", null, p.code || "—")),
          h("div", null, h("dt", null, t("Sex, age, area")), h("dd", null, personLine(p) || "—")),
          contactRow("phone", t("Phone")), contactRow("address", t("Address")),
          contactRow("caregiver_name", t("Caregiver")), contactRow("caregiver_phone", t("Caregiver's phone")))),
      item.pending ? null : h("section", { class: "card", "data-testid": "tasks" }, h("h2", null, t("Open tasks")),
        listOrNone(item.tasks, (task) => h("li", null, task.title, task.due_on ? h("span", { class: "muted small" },
          " · " + formatDate(task.due_on)) : null, " ", doneTasks.has(task.id)
          ? h("span", { class: "badge warn" }, t("done, to send"))
          : h("button", { type: "button", class: "linklike", "data-testid": "task-done",
            onclick: () => markDone(item, "task_done", { task: task.id }, t("Task done: {title}", { title: task.title })) },
          t("Done"))), t("No open task."))),
      item.pending ? null : h("section", { class: "card", "data-testid": "plan-actions" }, h("h2", null, t("Case plan actions")),
        listOrNone(item.plan_actions, (action) => h("li", null, action.done_on ? h("s", null, action.text) : action.text,
          action.due_on ? h("span", { class: "muted small" }, " · " + formatDate(action.due_on)) : null, " ",
          action.done_on ? h("span", { class: "badge ok" }, t("done")) : doneActions.has(action.id)
            ? h("span", { class: "badge warn" }, t("done, to send"))
            : h("button", { type: "button", class: "linklike", "data-testid": "action-done",
              onclick: () => markDone(item, "plan_action_done", { action: action.id },
                t("Plan action done: {title}", { title: action.text })) }, t("Done"))), t("No action in the case plan."))),
      h("section", { class: "card", "data-testid": "follow-ups" }, h("h2", null, t("Last follow-ups")),
        listOrNone(item.follow_ups, (row) => h("li", null, h("strong", null, formatDate(row.date)), " · ",
          row.kind_label || row.kind, row.notes ? h("br") : null, row.notes ? h("span", { class: "small" }, row.notes) : null),
        t("No follow-up yet."))),
      h("section", { class: "card", "data-testid": "notes" }, h("h2", null, t("Last notes")),
        listOrNone(item.notes, (note) => h("li", null, h("span", { class: "muted small" },
          [formatDate(note.at, true), note.by].filter(Boolean).join(" · ")), h("br"), note.text), t("No note yet."))),
      item.pending ? null : h("section", { class: "card", "data-testid": "consents" }, h("h2", null, t("Consents")),
        listOrNone(item.consents, (row) => h("li", null, row.purpose_label || row.purpose, " · ", formatDate(row.given_on),
          row.withdrawn_on ? [" ", h("span", { class: "badge bad" }, t("withdrawn {date}", { date: formatDate(row.withdrawn_on) }))]
            : null), t("No consent recorded.")))));
}

function listOrNone(rows, item, none) {
  return rows && rows.length ? h("ul", { class: "off-list" }, rows.map(item)) : h("p", { class: "muted" }, none);
}

async function markDone(item, kind, fields, title) {
  await record(item, kind, { ...fields, done_on: today() }, {}, title);
  refresh();
}

// Appends a change to the outbox (sealed, stored) and only then says it is saved.
async function record(item, kind, fields, baseVersions, title) {
  const entry = await outbox.append(outbox.newChange(kind, item.id, fields, baseVersions),
    { title, case: item.pending ? fullName(item.person) : `${item.number} · ${fullName(item.person)}` });
  state.entries.push(entry);
  say(t("Saved on this device. It will be sent at the next sync."));
  if (navigator.onLine && !state.busy) { synchronise(); }
  return entry;
}

const FORM_TITLES = { follow_up: "Record a follow-up", note: "Add a note", assessment: "Record an assessment",
  consent: "Record a consent", person_update: "Change the contact details", register: "New registration" };

function formTitle(kind) { return t(FORM_TITLES[kind] || kind); }

function changeTitle(kind, fields) {
  switch (kind) {
    case "follow_up": return t("Follow-up of {date}", { date: formatDate(fields.date) }) + " · " +
      forms.choiceLabel(kind, "kind", fields.kind);
    case "note": return t("Note") + " · " + String(fields.text || "").slice(0, 60);
    case "assessment": return t("Assessment") + " · " + forms.choiceLabel(kind, "risk_level", fields.risk_level);
    case "consent": return t("Consent") + " · " + forms.choiceLabel(kind, "purpose", fields.purpose);
    case "person_update": return t("Contact details") + " · " + Object.keys(fields)
      .map((name) => (forms.field(kind, name) || { label: name }).label).join(", ");
    case "register": return t("New registration") + " · " + fullName(fields);
    default: return kind;
  }
}

function initialValues(item, kind) {
  const day = today();
  if (kind === "follow_up") { return { date: day }; }
  if (kind === "assessment") { return { assessed_on: day, risk_level: item.risk_level }; }
  if (kind === "consent") { return { given_on: day }; }
  if (kind === "person_update") { return contactValues(item).values; }
  return {};
}

function formScreen(item, kind) {
  const back = `#/cas/${encodeURIComponent(item.id)}`;
  if (!forms.hasForm(kind)) { return missingRules(back); }
  useCase(item);
  const initial = initialValues(item, kind);
  const form = forms.buildForm(kind, initial, { changedFrom: kind === "person_update" ? initial : null,
    onSubmit: async (data, typed) => {
    let fields = data;
    let base = {};
    if (kind === "person_update") {
      fields = Object.fromEntries(Object.entries(typed).filter(([name, value]) => value !== (initial[name] || "")));
      if (!Object.keys(fields).length) { return { __all__: [t("Nothing was changed.")] }; }
      base = Object.fromEntries(Object.keys(fields).map((name) => [`person.${name}`, versionOf(item, `person.${name}`)]));
    } else if (kind === "assessment") {
      base = { "case.risk_level": versionOf(item, "case.risk_level") };
    }
    await record(item, kind, fields, base, changeTitle(kind, fields));
    location.hash = back;
    return null;
  } });
  show("form", formTitle(kind), h("p", { class: "breadcrumbs" }, h("a", { href: back }, "‹ " + item.number + " · " +
    fullName(item.person))), form.element, h("p", null, h("a", { href: back }, t("Cancel"))));
}

function useCase(item) {
  forms.setContext(item ? { opened_on: item.opened_on, age: (item.person || {}).age, tasks: item.tasks,
    plan_actions: item.plan_actions } : {});
}

function versionOf(item, key) { return (item.versions && item.versions[key]) || 0; }

function missingRules(back) {
  show("missing", t("Form not available"), h("p", null, t("Synchronise once with a connection to get the forms.")),
    h("p", null, h("a", { href: back }, t("Back"))));
}

function registerScreen() {
  if (!forms.hasForm("register")) { return missingRules("#/"); }
  useCase(null);
  const form = forms.buildForm("register", { }, { submitLabel: t("Save on this device"), onSubmit: async (data) => {
    const change = outbox.newChange("register", "", data, {});
    const entry = await outbox.append(change, { title: changeTitle("register", data), case: fullName(data) });
    state.entries.push(entry);
    say(t("Registration saved on this device. At the sync, Sentinelle looks for the same person before creating it."));
    location.hash = `#/cas/${encodeURIComponent("tmp:" + change.change_id)}`;
    if (navigator.onLine && !state.busy) { synchronise(); }
    return null;
  } });
  show("form", formTitle("register"), h("p", { class: "breadcrumbs" }, h("a", { href: "#/" }, "‹ " + t("My cases offline"))),
    h("p", { class: "muted small" }, t("The person and the case are created at the next sync, after a search for the same person.")),
    form.element, h("p", null, h("a", { href: "#/" }, t("Cancel"))));
}

// --- The outbox screen ---------------------------------------------------------------------------------

const STATES = { pending: ["Waiting to be sent", "warn"], waiting: ["Waiting for the registration", "warn"],
  refused: ["Refused", "bad"], conflict: ["Conflict", "bad"], review: ["To review", "bad"], applied: ["Sent", "ok"] };

function stateBadge(name) {
  const [label, kind] = STATES[name] || [name, ""];
  return h("span", { class: `badge ${kind}`, "data-testid": "change-state", "data-state": name }, t(label));
}

function outboxScreen() {
  show("outbox", t("Changes to send"), syncPanel(),
    state.entries.length ? h("ol", { class: "off-changes", "data-testid": "changes" }, state.entries.map(changeItem))
      : h("p", { class: "muted", "data-testid": "outbox-empty" }, t("Nothing to send: everything is on the server.")),
    state.journal.length ? h("section", null, h("h2", null, t("Sent recently")),
      h("ol", { class: "off-changes", "data-testid": "journal" }, state.journal.map((row) => h("li", { class: "card off-change" },
        h("p", null, h("strong", null, row.title), " ", stateBadge("applied")),
        h("p", { class: "muted small" }, [row.case, formatDate(row.at, true)].filter(Boolean).join(" · ")),
        row.message ? h("p", { class: "small" }, row.message) : null)))) : null,
    h("p", null, h("a", { href: "#/" }, "‹ " + t("My cases offline"))));
}

function changeItem(entry) {
  const result = entry.result || {};
  const errors = Object.entries(result.errors || {}).flatMap(([name, messages]) =>
    messages.map((text) => (forms.field(entry.change.kind, name)
      ? t("{label}: {message}", { label: forms.field(entry.change.kind, name).label, message: text }) : text)));
  return h("li", { class: "card off-change", "data-testid": "change", "data-kind": entry.change.kind },
    h("p", null, h("strong", null, entry.summary.title), " ", stateBadge(entry.state)),
    h("p", { class: "muted small" }, [entry.summary.case, formatDate(entry.change.recorded_at, true)].filter(Boolean).join(" · ")),
    result.message && entry.state !== "pending" ? h("p", { class: "small", "data-testid": "change-message" }, result.message) : null,
    errors.length && entry.state === "refused" ? h("ul", { class: "errorlist" }, errors.map((text) => h("li", null, text))) : null,
    entry.state === "conflict" ? conflictView(entry) : null,
    entry.state === "review" ? reviewView(entry) : null,
    entry.state === "refused" ? h("div", { class: "off-buttons" },
      forms.hasForm(entry.change.kind) ? h("a", { class: "button", href: `#/envois/${encodeURIComponent(entry.id)}`,
        "data-testid": "resend" }, t("Edit and send again")) : null,
      h("button", { type: "button", class: "secondary", "data-testid": "discard", onclick: () => discard(entry) },
        t("Discard"))) : null);
}

function conflictView(entry) {
  const chosen = entry.resolution || {};
  return h("div", { class: "off-conflicts" },
    entry.result.message ? null : h("p", { class: "small" },
      t("Changed on the server and on this phone since the last sync. Nothing was overwritten: choose the value to keep.")),
    (entry.result.conflicts || []).map((conflict) => h("div", { class: "off-conflict", "data-testid": "conflict",
      "data-field": conflict.field },
    h("p", { class: "off-conflict-label" }, conflict.label || conflict.field),
    h("div", { class: "off-sides" },
      h("div", { class: "off-side" }, h("span", { class: "muted small" }, t("On the server")),
        h("strong", { "data-testid": "conflict-server" }, display(conflict.server))),
      h("div", { class: "off-side" }, h("span", { class: "muted small" }, t("On this phone")),
        h("strong", { "data-testid": "conflict-device" }, display(conflict.device)))),
    h("div", { class: "off-buttons" },
      h("button", { type: "button", "data-testid": "keep-device", "aria-pressed": String(chosen[conflict.field] === "device"),
        onclick: () => resolve(entry, conflict.field, "device") }, t("Keep the phone's value")),
      h("button", { type: "button", class: "secondary", "data-testid": "keep-server",
        "aria-pressed": String(chosen[conflict.field] === "server"),
        onclick: () => resolve(entry, conflict.field, "server") }, t("Keep the server's value"))))));
}

function display(value) {
  if (value === null || value === undefined || value === "") { return "—"; }
  return Array.isArray(value) ? value.join(", ") : String(value);
}

// The worker's choice for one conflicting field; once every field is chosen, the change is replaced in its
// place in the outbox by a new change (new id) based on the server's version, or dropped (server kept).
async function resolve(entry, field, side) {
  entry.resolution = { ...(entry.resolution || {}), [field]: side };
  const conflicts = entry.result.conflicts || [];
  if (conflicts.some((conflict) => !entry.resolution[conflict.field])) {
    await outbox.save(entry);
    return refresh();
  }
  const kept = conflicts.filter((conflict) => entry.resolution[conflict.field] === "device");
  if (!kept.length) {
    await outbox.discard(entry.id);
    await journalAdd(entry, t("The server's value was kept."));
    say(t("The server's value was kept."));
  } else {
    const base = Object.fromEntries(kept.map((conflict) => [conflict.field, conflict.server_version]));
    const fields = entry.change.kind === "person_update"
      ? Object.fromEntries(kept.map((conflict) => {
        const name = conflict.field.split(".").pop();
        return [name, name in entry.change.fields ? entry.change.fields[name] : conflict.device];
      }))
      : entry.change.fields;
    await replace(entry, outbox.newChange(entry.change.kind, entry.change.case, fields, base));
    say(t("The phone's value will be sent at the next sync."));
  }
  state.entries = await outbox.entries();
  refresh();
  if (kept.length && navigator.onLine) { synchronise(); }
}

// A change replaced in its place (the order of the outbox is the order of the work).
async function replace(entry, change) {
  const old = entry.change.change_id;
  const next = { id: entry.id, change, state: "pending", summary: { ...entry.summary,
    title: changeTitle(change.kind, change.fields) } };
  await outbox.save(next);
  if (change.kind === "register") { await retarget("tmp:" + old, "tmp:" + change.change_id); }
}

async function retarget(from, to) {
  for (const other of state.entries) {
    if (other.change.case === from) {
      other.change.case = to;
      await outbox.save(other);
    }
  }
}

function reviewView(entry) {
  const fields = entry.change.fields;
  return h("div", { class: "off-review" },
    entry.result.message ? null : h("p", { class: "small" },
      t("Sentinelle found people who may be the same person. Nothing was created. Is it one of them?")),
    h("ul", { class: "off-candidates" }, (entry.result.candidates || []).map((candidate) => h("li", { "data-testid": "candidate" },
      h("span", null, h("strong", null, candidate.label), " ", h("span", { class: "muted small" }, candidate.code)),
      h("button", { type: "button", class: "secondary", onclick: () => decide(entry, { ...fields, person: candidate.id }) },
        t("It is this person"))))),
    h("div", { class: "off-buttons" }, h("button", { type: "button", "data-testid": "new-person",
      onclick: () => decide(entry, { ...fields, decision: "new" }) }, t("New person"))));
}

async function decide(entry, fields) {
  const clean = { ...fields };
  if (clean.person) { delete clean.decision; } else { delete clean.person; }
  const change = outbox.newChange("register", "", clean, {});
  change.replaces = entry.change.replaces || entry.change.change_id;  // the register that went to review
  await replace(entry, change);
  state.entries = await outbox.entries();
  say(t("Your choice will be sent at the next sync."));
  refresh();
  if (navigator.onLine) { synchronise(); }
}

async function discard(entry) {
  const dependents = entry.change.kind === "register"
    ? state.entries.filter((other) => other.change.case === "tmp:" + entry.change.change_id) : [];
  const question = dependents.length ? t("Discard this registration and the {n} changes recorded on its case?",
    { n: dependents.length }) : t("Discard this change? It will not be sent.");
  if (!window.confirm(question)) { return; }
  await outbox.discard(entry.id, ...dependents.map((other) => other.id));
  state.entries = await outbox.entries();
  refresh();
}

function resendScreen(id) {
  const entry = state.entries.find((item) => item.id === id);
  if (!entry || !forms.hasForm(entry.change.kind)) { location.hash = "#/envois"; return; }
  const kind = entry.change.kind;
  useCase(findCase(entry.change.case));
  const only = kind === "person_update" ? Object.keys(entry.change.fields) : null;
  const form = forms.buildForm(kind, entry.change.fields, { only, submitLabel: t("Save on this device"),
    onSubmit: async (data, typed) => {
      const fields = kind === "person_update" ? Object.fromEntries(only.map((name) => [name, typed[name]])) : data;
      await replace(entry, outbox.newChange(kind, entry.change.case, fields, entry.change.base_versions));
      state.entries = await outbox.entries();
      say(t("Saved on this device. It will be sent at the next sync."));
      location.hash = "#/envois";
      if (navigator.onLine && !state.busy) { synchronise(); }
      return null;
    } });
  show("form", formTitle(kind), h("p", { class: "breadcrumbs" }, h("a", { href: "#/envois" }, "‹ " + t("Changes to send"))),
    h("p", { class: "muted small" }, entry.summary.case));
  root.append(form.element, h("p", null, h("a", { href: "#/envois" }, t("Cancel"))));
  form.showErrors({ ...(entry.result && entry.result.errors),
    ...(entry.result && entry.result.message && !Object.keys(entry.result.errors || {}).length
      ? { __all__: [entry.result.message] } : {}) });
}

// --- Sync, wipe, sign-out ------------------------------------------------------------------------------

// The status alone (at opening and at reconnection while locked): a revoked device is wiped at once.
async function contact() {
  if (!state.meta) { return; }
  try {
    const answer = await net.status(api, state.meta.device_id);
    state.signIn = !answer.signed_in;
  } catch (error) {
    if (error instanceof net.Gone) { await wipe("revoked"); }
  }
}

// Which changes go in this round: a change waits while an earlier one of the outbox changes the same
// versioned field (it is sent once the earlier one is applied, based on the version that one made).
function plan(entries) {
  const touched = new Set();
  const go = [];
  const held = [];
  for (const entry of entries) {
    const keys = Object.keys(entry.change.base_versions || {}).map((key) => `${entry.change.case}|${key}`);
    if (SEND.has(entry.state)) { (keys.some((key) => touched.has(key)) ? held : go).push(entry); }
    keys.forEach((key) => touched.add(key));
  }
  return { go, held };
}

async function synchronise() {
  if (state.busy || !state.meta || !outbox.isOpen()) { return; }
  state.busy = true;
  refresh();
  let counts = null;
  try {
    const answer = await net.status(api, state.meta.device_id);
    state.signIn = !answer.signed_in;
    if (state.signIn) {
      say(t("Sign in to Sentinelle to synchronise: your changes stay on this device."), "warn");
      return;
    }
    counts = { applied: 0, other: 0 };
    let waited = null;  // after the first round, only the changes held back by an earlier one go
    for (let round = 0; round < 4; round += 1) {
      const { go: ready, held } = plan(state.entries);
      const go = waited ? ready.filter((entry) => waited.has(entry.id)) : ready;
      if (waited && !go.length) { break; }
      let caseload;
      if (go.length) {
        const sent = await net.send(api, answer.csrf, state.meta.device_id, go.map((entry) => entry.change));
        await settle(sent.json.results || [], counts);
        caseload = sent.json.caseload;
      } else {
        caseload = (await net.caseload(api, state.meta.device_id)).json;
      }
      await keepCaseload(caseload);
      if (!held.length) { break; }
      await rebase(held);
      waited = new Set(held.map((entry) => entry.id));
    }
    try {
      const rules = await net.rules(api);
      await outbox.write("rules", rules);
      forms.setRules(rules);
    } catch (error) {
      // The rules already on the device stay in use.
    }
    say(counts.other ? t("Synchronised: {applied} sent, {other} to check.", counts)
      : t("Synchronised: {applied} sent.", counts), counts.other ? "warn" : "ok");
  } catch (error) {
    if (error instanceof net.Gone) { await wipe("revoked"); return; }
    if (error instanceof net.SignInNeeded) {
      state.signIn = true;
      say(t("Sign in to Sentinelle to synchronise: your changes stay on this device."), "warn");
    } else if (error instanceof net.Unreachable) {
      say(t("No connection: your changes stay on this device and will be sent at the next sync."), "warn");
    } else {
      say(t("The server did not take the changes now ({status}); they stay on this device.",
        { status: error.status || error.message }), "bad");
    }
  } finally {
    state.busy = false;
    if (state.meta) { refresh(); }
  }
}

// The server's answers on the changes: applied ones leave the outbox (into the journal), the others keep
// their answer to show (refused, conflict, review) or wait for their registration.
async function settle(results, counts) {
  const byId = new Map(results.map((result) => [result.change_id, result]));
  const applied = [];
  for (const entry of state.entries) {
    const result = byId.get(entry.change.change_id);
    if (!result) { continue; }
    if (result.status === "applied") {
      applied.push({ entry, result });
      if (entry.change.kind === "register" && result.case) { await retarget("tmp:" + entry.change.change_id, result.case); }
    } else {
      entry.state = result.status;
      entry.result = result;
      delete entry.resolution;
      await outbox.save(entry);
      if (result.status !== "waiting") { counts.other += 1; }
    }
  }
  counts.applied += applied.length;
  await outbox.discard(...applied.map(({ entry }) => entry.id));
  for (const { entry, result } of applied) { await journalAdd(entry, result.message); }
  state.entries = await outbox.entries();
}

// Held changes whose earlier changes to the same field were all applied now: based on the version those made.
async function rebase(held) {
  const cases = new Map(((state.caseload && state.caseload.cases) || []).map((item) => [item.id, item]));
  for (const stale of held) {
    const entry = state.entries.find((item) => item.id === stale.id);
    const item = entry && cases.get(entry.change.case);
    if (!item) { continue; }
    const keys = Object.keys(entry.change.base_versions);
    const earlier = state.entries.filter((other) => other.id < entry.id && keys.some((key) =>
      other.change.case === entry.change.case && key in (other.change.base_versions || {})));
    if (earlier.length) { continue; }
    entry.change.base_versions = Object.fromEntries(keys.map((key) => [key, versionOf(item, key)]));
    await outbox.save(entry);
  }
}

async function journalAdd(entry, message) {
  state.journal = [{ title: entry.summary.title, case: entry.summary.case, at: new Date().toISOString(),
    message: message || "" }, ...state.journal].slice(0, 30);
  await outbox.write("journal", state.journal);
}

async function keepCaseload(caseload) {
  if (!caseload || !Array.isArray(caseload.cases)) { return; }
  state.caseload = caseload;
  await outbox.write("caseload", caseload);
  const days = caseload.offline_days || state.meta.offline_days || 7;
  state.meta = await store.updateMeta((meta) => {
    meta.last_sync_at = Date.now();
    meta.offline_days = days;
    meta.expires_at = Date.now() + days * DAY;
  });
}

async function wipe(reason) {
  await store.wipe();
  outbox.setKey(null);
  Object.assign(state, { meta: null, caseload: null, entries: [], journal: [], signIn: false, wiped: reason });
  if (location.hash) { history.replaceState(null, "", location.pathname + location.search); }
  wipedScreen();
}

const WIPED = {
  revoked: "This device was revoked (or your account deactivated): the offline data on it were erased.",
  expired: "No sync for too long: the offline data on this device were erased.",
  pins: "Too many wrong PINs: the offline data on this device were erased.",
  signout: "You signed out: the offline data on this device were erased.",
};

function wipedScreen() {
  show("wiped", t("Offline data erased"), h("p", { class: "off-notice warn", "data-testid": "wiped" }, t(WIPED[state.wiped] || WIPED.signout)),
    h("p", null, h("button", { type: "button", onclick: () => { state.wiped = null; route(); } }, t("Prepare this device again"))),
    h("p", null, h("a", { href: "/" }, t("Back to Sentinelle"))));
}

function lock() {
  outbox.setKey(null);
  state.caseload = null;
  state.entries = [];
  state.journal = [];
  history.replaceState(null, "", location.pathname + location.search);
  route();
}

function signOutButton() {
  return h("button", { type: "button", class: "danger", "data-testid": "sign-out", onclick: signOut },
    t("Sign out and erase this device"));
}

async function signOut() {
  const waiting = state.entries.length;
  const question = waiting ? t("Sign out and erase the offline data? {n} changes not sent will be lost.", { n: waiting })
    : t("Sign out and erase the offline data of this device?");
  if (!window.confirm(question)) { return; }
  let csrf = "";
  if (state.meta && navigator.onLine) {
    try { csrf = (await net.status(api, state.meta.device_id)).csrf || ""; } catch (error) { csrf = ""; }
  }
  await wipe("signout");
  if (csrf) {
    const form = h("form", { method: "post", action: cfg.signOut },
      h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf }));
    document.body.append(form);
    form.submit();
  }
}

// --- Service worker and start --------------------------------------------------------------------------

function registerWorker() {
  if (!("serviceWorker" in navigator) || !cfg.sw) { return; }
  const url = `${cfg.sw}?static=${encodeURIComponent(cfg.static || "/static/")}`;
  navigator.serviceWorker.register(url, { scope: cfg.scope }).catch((error) => console.warn("service worker", error));
  navigator.serviceWorker.ready.then((registration) => {
    // The files this page loaded (module imports included, whatever names the static storage gives).
    const loaded = performance.getEntriesByType("resource").map((entry) => entry.name)
      .filter((name) => new URL(name).origin === location.origin && new URL(name).pathname.startsWith(cfg.static));
    const urls = [...(cfg.precache || "").split(/\s+/).filter(Boolean), ...loaded];
    if (registration.active) { registration.active.postMessage({ precache: urls }); }
  });
}

async function start() {
  loadTexts(document.getElementById("offline-text"));
  registerWorker();
  window.addEventListener("hashchange", route);
  window.addEventListener("offline", setNet);
  window.addEventListener("online", () => {
    setNet();
    if (outbox.isOpen()) { synchronise(); } else { contact(); }
  });
  state.meta = (await store.getMeta()) || null;
  route();
  if (state.meta && navigator.onLine) { await contact(); }
}

start();
