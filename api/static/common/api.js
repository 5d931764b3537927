// Shared by the web pages (/board, /m): the bearer token, a fetch wrapper for /api/v1 and
// error display. Plain ES module, no dependencies, so the pages need no build step.

const TOKEN_KEY = "dispatch.token";
const API_ROOT = "/api/v1";

/** The stored bearer token, or "" when the user has not logged in on this browser. */
export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

/** Store (or, with a falsy value, forget) the bearer token. */
export function setToken(t) {
  if (t) localStorage.setItem(TOKEN_KEY, t.trim());
  else localStorage.removeItem(TOKEN_KEY);
}

/** An error answered by the API: `.status` is the HTTP status (0 when the network failed),
 * `.detail` FastAPI's detail (a list of {loc, msg, type} or a string). */
export class ApiError extends Error {
  constructor(status, detail, message, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.body = body; // the whole response, for callers that read more than `detail`
  }
}

/** Human text for a FastAPI `detail`: "field.path: reason; …" (the first loc item, "body" /
 * "query" / "path", is left out since it names where, not what). */
export function describeDetail(detail) {
  if (typeof detail === "string") return detail;
  if (!Array.isArray(detail)) return detail == null ? "" : JSON.stringify(detail);
  return detail
    .map((d) => {
      const loc = Array.isArray(d.loc) ? d.loc.slice() : [];
      if (loc.length > 1 && ["body", "query", "path", "header"].includes(loc[0])) loc.shift();
      const field = loc.join(".");
      return field ? `${field}: ${d.msg}` : String(d.msg);
    })
    .join("; ");
}

/** Call the API: `path` is relative to /api/v1 (a path already starting with /api/ is kept).
 * Returns the parsed JSON (null for an empty body); throws an ApiError otherwise. A 401 forgets
 * the token so the next `requireLogin` asks again. */
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const url = path.startsWith("/api/") ? path : API_ROOT + (path.startsWith("/") ? path : "/" + path);
  const h = { Accept: "application/json", ...headers };
  const token = getToken();
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, { method, headers: h, body: payload });
  } catch (e) {
    throw new ApiError(0, String(e), `network error: ${e.message || e}`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    if (response.status === 401) setToken("");
    const detail = data && typeof data === "object" && "detail" in data ? data.detail : data;
    const text = describeDetail(detail) || response.statusText;
    throw new ApiError(response.status, detail, `${response.status}: ${text}`, data);
  }
  return data;
}

/** Show `err` (an ApiError or any Error) in `el`, an element with role="alert"; a falsy `err`
 * clears it. */
export function showError(el, err) {
  if (!el) return;
  if (!err) {
    el.textContent = "";
    el.hidden = true;
    return;
  }
  const text = err instanceof ApiError ? describeDetail(err.detail) || err.message : err.message || String(err);
  el.textContent = err.status ? `Error ${err.status}: ${text}` : `Error: ${text}`;
  el.hidden = false;
}

/** Run `onReady()` once a token is stored; without one, first show a login form asking for the
 * bearer token from `dispatch users create`. The token is not checked here (there is no
 * who-am-I route): the page's first API call tells, and a 401 forgets it (see `api`). */
export function requireLogin(onReady) {
  if (getToken()) {
    onReady();
    return;
  }
  const dialog = document.createElement("div");
  dialog.className = "login-overlay";
  dialog.innerHTML = `
    <form class="login-form" role="dialog" aria-modal="true" aria-labelledby="login-title">
      <h2 id="login-title">Log in</h2>
      <p>Paste the bearer token printed by <code>dispatch users create</code>.</p>
      <label for="login-token">Token</label>
      <input id="login-token" name="token" type="password" autocomplete="current-password" required>
      <p class="login-error" role="alert" hidden></p>
      <button type="submit">Log in</button>
    </form>`;
  const style = document.createElement("style");
  style.textContent = `
    .login-overlay { position: fixed; inset: 0; display: flex; align-items: center; justify-content: center;
      background: rgba(20, 30, 40, .55); z-index: 1000; padding: 1rem; box-sizing: border-box; }
    .login-form { background: #fff; color: #111; border-radius: 8px; padding: 1.25rem; width: 100%; max-width: 24rem;
      box-sizing: border-box; font: 16px/1.4 system-ui, sans-serif; box-shadow: 0 4px 24px rgba(0,0,0,.3); }
    .login-form h2 { margin: 0 0 .5rem; font-size: 1.25rem; }
    .login-form label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
    .login-form input { width: 100%; box-sizing: border-box; font-size: 1rem; padding: .5rem; }
    .login-form button { margin-top: .75rem; font-size: 1rem; padding: .5rem 1.25rem; }
    .login-error { color: #a00; }`;
  dialog.prepend(style);
  document.body.append(dialog);
  const form = dialog.querySelector("form");
  const input = dialog.querySelector("input");
  input.focus();
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const t = input.value.trim();
    if (!t) {
      showError(dialog.querySelector(".login-error"), new Error("a token is required"));
      return;
    }
    setToken(t);
    dialog.remove();
    onReady();
  });
}

/** Forget the token and reload (a "Log out" button). */
export function logout() {
  setToken("");
  location.reload();
}
