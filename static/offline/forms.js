// Forms built from the rules the server gives as data (/hors-ligne/regles.json): the same fields, limits and
// French messages as the web pages, checked on the device before anything is saved. A refused form is never
// rebuilt: what was typed stays in place next to its messages.
import { fill, h, t, today } from "./dom.js";

let rules = { forms: {}, messages: {}, areas: [] };
// What some rules need to know of the case a form is for: {opened_on, age, tasks, plan_actions}.
let context = {};

export function setRules(value) { rules = value || rules; }
export function setContext(value) { context = value || {}; }
export function hasForm(kind) { return Boolean(rules.forms && rules.forms[kind]); }
export function fieldsOf(kind) { return (rules.forms[kind] && rules.forms[kind].fields) || []; }
export function field(kind, name) { return fieldsOf(kind).find((item) => item.name === name); }

// The label of a coded value of a form's field (a follow-up's kind, a consent's purpose...).
export function choiceLabel(kind, name, value) {
  const spec = field(kind, name);
  const choices = spec ? choicesOf(spec) : [];
  const found = choices.find(([code]) => code === value);
  return found ? found[1] : value;
}

function choicesOf(spec) {
  const from = spec.choices_from || (spec.name === "area" ? "areas" : "");
  if (from === "areas") { return rules.areas || []; }
  if (from === "tasks") { return (context.tasks || []).map((task) => [task.id, task.title]); }
  if (from === "plan_actions") { return (context.plan_actions || []).map((action) => [action.id, action.text]); }
  return spec.choices || [];
}

// The device's own words when the rules do not give a message (the same msgids as the services').
const FALLBACK = { required: "This field is required.", date_missing: "Enter a date.",
  date_future: "This date is in the future.", date_invalid: "Enter a valid date.", choice: "Unknown value: {value}.",
  integer: "Enter a whole number.", max_length: "Write at most {limit_value} characters.",
  min_length: "Write at least {count} characters.", min_value: "Enter {limit_value} or more.",
  max_value: "Enter {limit_value} or less.", invalid: "Enter a valid value.",
  date_before_opened: "This date is before the case was opened.", pin_short: "The PIN needs at least {n} digits.",
  pin_digits: "The PIN is made of digits only.", pin_mismatch: "The two PINs differ.",
  next_follow_up: "The next follow-up must come after this one.",
  child_assent: "A child's assent is only recorded for a child." };

// A field's message: its own, else the services' message for that field (e.g. "age", "area"), else the
// rules' message for the kind of error, else the device's own words.
export function message(key, params, spec) {
  const messages = rules.messages || {};
  const own = (spec && spec.messages && spec.messages[key]) || (spec && messages[spec.name]);
  const text = own || messages[key] || t(FALLBACK[key] || key);
  return fill(text, params);
}

function input(spec, value, id) {
  const common = { id, name: spec.name };
  switch (spec.type) {
    case "textarea":
      return h("textarea", { ...common, rows: 4 }, value || "");
    case "date":
      return h("input", { ...common, type: "date", value: value || "", max: spec.not_after_today ? today() : null });
    case "integer":
      return h("input", { ...common, type: "text", inputmode: "numeric", value: value ?? "", class: "off-short" });
    case "boolean":
      return h("input", { ...common, type: "checkbox", checked: Boolean(value) });
    case "choice":
      return h("select", common, h("option", { value: "" }, "—"),
        choicesOf(spec).map(([code, label]) => h("option", { value: code, selected: code === value }, label)));
    case "multichoice": {
      const chosen = new Set(value || []);
      return h("div", { id, class: "off-checks", role: "group" }, choicesOf(spec).map(([code, label]) =>
        h("label", { class: "off-check" }, h("input", { type: "checkbox", name: spec.name, value: code,
          checked: chosen.has(code) }), " ", label)));
    }
    default:
      return h("input", { ...common, type: spec.name.includes("phone") ? "tel" : "text", value: value ?? "",
        autocomplete: "off" });
  }
}

// A form for `kind` with its initial values; returns {element, read(), showErrors(errors)}.
// With changedFrom, only the fields changed from those values are checked (a contact change keeps the rest).
export function buildForm(kind, values, { submitLabel, onSubmit, only, extra, changedFrom } = {}) {
  const specs = fieldsOf(kind).filter((spec) => !only || only.includes(spec.name));
  const top = h("div", { class: "alert", role: "alert", hidden: true, "data-testid": "form-errors" });
  const rows = specs.map((spec) => {
    const id = `f-${kind}-${spec.name}`;
    const control = input(spec, values && values[spec.name] !== undefined ? values[spec.name] : spec.initial, id);
    const errors = h("ul", { class: "errorlist", id: id + "-errors", hidden: true });
    const help = spec.help ? h("p", { class: "muted small off-help" }, spec.help) : null;
    if (spec.type === "boolean") {
      return h("div", { class: "field off-bool", "data-field": spec.name },
        h("label", { for: id }, control, " ", spec.label), help, errors);
    }
    const label = spec.type === "multichoice" ? h("p", { class: "off-label" }, spec.label, spec.required ? " *" : "")
      : h("label", { for: id }, spec.label, spec.required ? " *" : "");
    return h("div", { class: "field", "data-field": spec.name }, label, help, control, errors);
  });
  const button = h("button", { type: "submit", "data-testid": "form-save" }, submitLabel || t("Save on this device"));
  const form = h("form", { class: "off-form", novalidate: true, "data-form": kind }, top, rows, extra || null,
    h("div", { class: "off-buttons" }, button));

  function read() {
    const data = {};
    for (const spec of specs) {
      if (spec.type === "multichoice") {
        data[spec.name] = [...form.querySelectorAll(`input[name="${spec.name}"]:checked`)].map((box) => box.value);
      } else if (spec.type === "boolean") {
        data[spec.name] = form.elements[spec.name].checked;
      } else {
        data[spec.name] = form.elements[spec.name].value.trim();
      }
    }
    return data;
  }

  function showErrors(errors) {
    const general = [];
    form.querySelectorAll("[data-field]").forEach((row) => {
      const list = row.querySelector(".errorlist");
      const messages = errors[row.dataset.field] || [];
      list.replaceChildren(...messages.map((text) => h("li", null, text)));
      list.hidden = messages.length === 0;
      const control = row.querySelector("input, select, textarea");
      if (messages.length) {
        control.setAttribute("aria-invalid", "true");
        control.setAttribute("aria-describedby", list.id);
      } else {
        control.removeAttribute("aria-invalid");
      }
    });
    for (const [name, messages] of Object.entries(errors)) {
      if (!specs.some((spec) => spec.name === name)) { general.push(...messages); }
    }
    top.replaceChildren(...general.map((text) => h("p", null, text)));
    top.hidden = general.length === 0;
    const first = form.querySelector("[aria-invalid=true]");
    if (first) { first.focus(); } else if (general.length) { top.scrollIntoView({ block: "center" }); }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) { return; }
    const data = read();
    const checked = changedFrom ? specs.filter((spec) => data[spec.name] !== (changedFrom[spec.name] ?? "")) : specs;
    const errors = validate(kind, data, checked);
    showErrors(errors);
    if (Object.keys(errors).length) { return; }
    button.disabled = true;
    try {
      const refused = await onSubmit(clean(data, specs), data);
      if (refused) { showErrors(refused); }
    } finally {
      button.disabled = false;
    }
  });
  return { element: form, read, showErrors };
}

// The errors of `data` by field name, with the server's messages ({} when valid).
export function validate(kind, data, specs = fieldsOf(kind)) {
  const errors = {};
  const add = (spec, key, params) => { (errors[spec.name] = errors[spec.name] || []).push(message(key, params, spec)); };
  for (const spec of specs) {
    const value = data[spec.name];
    const empty = value === "" || value === null || value === undefined || (Array.isArray(value) && !value.length);
    if (empty) {
      if (spec.required) { add(spec, spec.type === "date" ? "date_missing" : "required"); }
      continue;
    }
    if (spec.type === "text" || spec.type === "textarea") {
      if (spec.max_length && value.length > spec.max_length) {
        add(spec, "max_length", { limit_value: spec.max_length, max: spec.max_length, show_value: value.length,
          count: spec.max_length });
      }
      if (spec.min_length && value.length < spec.min_length) {
        add(spec, "min_length", { limit_value: spec.min_length, min: spec.min_length, count: spec.min_length });
      }
      if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`).test(value)) { add(spec, spec.pattern_message || "invalid"); }
    } else if (spec.type === "date") {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) { add(spec, "date_invalid"); }
      else if (spec.not_after_today && value > today()) { add(spec, "date_future"); }
      else if (spec.not_before_opened && context.opened_on && value < context.opened_on) { add(spec, "date_before_opened"); }
      else if (spec.after && data[spec.after] && value <= data[spec.after]) { add(spec, "next_follow_up"); }
    } else if (spec.type === "integer") {
      if (!/^-?\d+$/.test(value)) { add(spec, "integer"); continue; }
      const number = Number(value);
      if (spec.min_value !== undefined && spec.min_value !== null && number < spec.min_value) {
        add(spec, "min_value", { limit_value: spec.min_value, min: spec.min_value });
      }
      if (spec.max_value !== undefined && spec.max_value !== null && number > spec.max_value) {
        add(spec, "max_value", { limit_value: spec.max_value, max: spec.max_value });
      }
    } else if (spec.type === "choice" || spec.type === "multichoice") {
      const codes = new Set(choicesOf(spec).map(([code]) => code));
      for (const item of [].concat(value)) {
        if (!codes.has(item)) { add(spec, "choice", { value: item }); }
      }
      const adult = context.age !== null && context.age !== undefined && context.age !== "" && Number(context.age) >= 18;
      if (spec.child_only && adult && [].concat(value).some((item) => spec.child_only.includes(item))) {
        add(spec, "child_assent");
      }
    }
  }
  return errors;
}

// What the service receives: integers as numbers, empty optional values left out.
function clean(data, specs) {
  const out = {};
  for (const spec of specs) {
    const value = data[spec.name];
    if (spec.type === "boolean") { out[spec.name] = Boolean(value); continue; }
    if (value === "" || (Array.isArray(value) && !value.length && !spec.required)) {
      if (spec.send_empty) { out[spec.name] = value; }
      continue;
    }
    out[spec.name] = spec.type === "integer" ? Number(value) : value;
  }
  return out;
}
