// The GUI's calls to the server: the REST API under /api/sandboxes/<id>/ (session cookie, CSRF
// header on writes) and the GUI's own small endpoints. AWS operations go through the API's
// /aws/<service>/<Operation>/ door, exactly as the AWS console calls AWS.

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

export async function request(method, url, body, { keepalive = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = cookie("csrftoken");
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      keepalive,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (problem) {
    throw new ApiError("NetworkError", `The server did not answer (${problem.message}).`, 0);
  }
  const text = await response.text();
  let document = null;
  try {
    document = text ? JSON.parse(text) : {};
  } catch {
    document = null;
  }
  if (!response.ok) {
    // AWS errors come as {"code", "message"}; Django REST framework's as {"detail"}.
    const code = document?.code || document?.Code || `HTTP${response.status}`;
    const message =
      document?.message || document?.Message || document?.detail || `${response.status} ${response.statusText} from ${url}`;
    throw new ApiError(code, message, response.status);
  }
  if (document === null) throw new ApiError("BadResponse", "The server answered something that is not JSON.", 0);
  return document;
}

/** A list out of a list endpoint, paginated (DRF: {"results": [...]}) or not. */
export function listOf(document, ...keys) {
  if (Array.isArray(document)) return document;
  for (const key of ["results", ...keys]) if (Array.isArray(document?.[key])) return document[key];
  return [];
}

const SENT_KEPT = 200;

export function makeApi(config) {
  const base = config.urls.api; // "/api/sandboxes/<id>/"
  // The AWS calls this page made, with their parameters in full, oldest first: the call log keeps
  // payloads only as their size, and the activity panel's Copy gives this page's own calls whole.
  const sent = [];
  const query = (params) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null) search.set(name, value);
    const text = search.toString();
    return text ? `?${text}` : "";
  };
  return {
    graph: () => request("GET", `${base}graph/`),
    // One resource's details as the server reads them (no AWS call): what a read-only look uses.
    resource: (arn) => request("GET", `${base}resources/${query({ arn })}`),
    clock: () => request("GET", `${base}clock/`),
    // action: "pause" | "resume" | "speed" ({speed}) | "advance" ({seconds})
    clockAction: (action, body = {}) => request("POST", `${base}clock/${action}/`, body),
    calls: (after, limit) => request("GET", `${base}calls/${query({ after, limit })}`),
    events: (after) => request("GET", `${base}events/${query({ after })}`),
    // Access keys: only createKey's answer holds a secret (the new key's), as with IAM.
    credentials: () => request("GET", `${base}credentials/`),
    createKey: () => request("POST", `${base}credentials/`),
    setKeyStatus: (id, status) => request("PATCH", `${base}credentials/${encodeURIComponent(id)}/`, { status }),
    deleteKey: (id) => request("DELETE", `${base}credentials/${encodeURIComponent(id)}/`),
    /** Run an AWS operation: params and result as boto3 has them (blobs as base64 text). The
     * last argument may be a node: its region picks the Region the operation runs in. */
    aws: (service, operation, params = {}, { region } = {}) => {
      sent.push({ service, operation, params, region: region || config.sandbox.region });
      if (sent.length > SENT_KEPT) sent.shift();
      return request(
        "POST",
        `${base}aws/${service}/${operation}/${region && region !== config.sandbox.region ? query({ region }) : ""}`,
        params,
      );
    },
    sent,
    /** GET one of the GUI's own JSON endpoints (a service's, from its gui_config()). */
    get: (url, params = {}) => request("GET", `${url}${query(params)}`),
    // keepalive: a save started as the page goes away (a reload right after a drag) still arrives.
    saveLayout: (positions) => request("POST", config.urls.layout, { positions }, { keepalive: true }),
    forgetLayout: () => request("DELETE", config.urls.layout),
  };
}

/** base64 of a string's UTF-8 bytes, and back (KMS blobs travel as base64 in JSON). */
export function toBase64(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function fromBase64(encoded) {
  const binary = atob(encoded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}
