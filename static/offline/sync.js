// The server's offline API (docs/offline.md). The status comes first at every contact: 410 means the device
// was revoked (or its user deactivated) and the caller wipes the store at once.
export class Gone extends Error {}
export class SignInNeeded extends Error {}
export class Unreachable extends Error {}
export class Refused extends Error {
  constructor(status, body) { super(`HTTP ${status}`); this.status = status; this.body = body; }
}

async function call(url, { method = "GET", body, csrf } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) { headers["Content-Type"] = "application/json"; }
  if (csrf) { headers["X-CSRFToken"] = csrf; }
  let response;
  try {
    response = await fetch(url, { method, headers, credentials: "same-origin", cache: "no-store", redirect: "manual",
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new Unreachable(error.message);
  }
  const text = response.type === "opaqueredirect" ? "" : await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (error) { json = null; }
  if (response.status === 410) { throw new Gone(); }
  // A login page (redirect) or {"error": "sign_in"}: the session is missing or belongs to someone else.
  if (response.type === "opaqueredirect" || response.status === 401 || (json && json.error === "sign_in")) {
    throw new SignInNeeded();
  }
  if (!response.ok || json === null) { throw new Refused(response.status, json); }
  return { json, bytes: text.length };
}

const withDevice = (url, device) => `${url}${url.includes("?") ? "&" : "?"}device=${encodeURIComponent(device || "")}`;

export const status = (api, device) => call(withDevice(api.status, device)).then((answer) => answer.json);
export const enrol = (api, csrf, label) => call(api.enrol, { method: "POST", csrf, body: { label } })
  .then((answer) => answer.json);
export const caseload = (api, device) => call(withDevice(api.caseload, device));
export const rules = (api) => call(api.rules).then((answer) => answer.json);
export const send = (api, csrf, device, changes) => call(api.sync, { method: "POST", csrf, body: { device, changes } });
