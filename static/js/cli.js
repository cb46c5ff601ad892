// The aws CLI command that makes a call, as the activity panel shows it and copies it.
//
// Command and option names come from the server (/cli/<service>/, playground/web/cli.py), which
// asks the installed aws CLI itself: they are the CLI's names with its customizations
// (`sns subscribe --notification-endpoint`), not guesses from the model's. Values are written the
// way the CLI parses them:
//
//   strings, numbers, timestamps      one shell word
//   booleans                          --flag / --no-flag
//   lists of strings or numbers       several words after the option
//   maps, structures, other lists     JSON
//   blobs (base64 here)               fileb://<(echo BASE64 | base64 -d): the same bytes for the
//                                     aws CLI v1 and v2 (v1 reads a blob argument as raw text, v2 as
//                                     base64), in bash or zsh
//   parameters the CLI has no option for   --cli-input-json '{...}'
//
// The call log keeps no payloads (a message body is '<12 chars>', a secret '***') and cuts long
// strings ("…"): such values are shown as they were recorded. On screen long values are shortened
// in the middle; Copy gives the whole command, with this page's own calls' payloads in full (the
// page remembers what it sent: api.sent). Both carry --endpoint-url: a line pasted into a terminal
// runs against this server, never against real AWS with the default profile's keys.

const tables = new Map(); // service -> Promise<names | null>

/** The CLI's names for a service's operations (fetched once per page). */
export function cliNames(service, urlTemplate) {
  if (!tables.has(service)) {
    const url = urlTemplate.replace("SERVICE", encodeURIComponent(service));
    tables.set(
      service,
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .catch(() => null),
    );
  }
  return tables.get(service);
}

const MASKED = /^(<\d+ (chars|bytes)>|\*\*\*)$/;
const SHORTEN_OVER = 64;

/** A value the call log did not keep whole. */
export function isMasked(value) {
  return typeof value === "string" && (MASKED.test(value) || value.endsWith("…"));
}

export function shellQuote(text) {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `value` shortened in the middle for the screen. */
function shorten(text) {
  return text.length > SHORTEN_OVER ? `${text.slice(0, 36)}…${text.slice(-16)}` : text;
}

/** A word of the command: {text} as copied, {shown} as on screen (shortened), both shell-ready. */
function word(text, { quote = true, shown = null } = {}) {
  const full = quote ? shellQuote(text) : text;
  return { text: full, shown: shown ?? (quote ? shellQuote(shorten(text)) : full) };
}

function scalar(value) {
  return typeof value === "string" ? value : String(value);
}

function valueWords(option, value) {
  const type = option.type;
  if (type === "boolean") {
    if (value === true || value === "true") return [word(option.option, { quote: false })];
    return option.negative ? [word(option.negative, { quote: false })] : [];
  }
  if (type === "blob") {
    if (isMasked(value) || typeof value !== "string") return [word(option.option, { quote: false }), word(scalar(value))];
    const bytes = `fileb://<(echo ${value} | base64 -d)`;
    return [word(option.option, { quote: false }), word(bytes, { quote: false, shown: `fileb://<(echo ${shorten(value)} | base64 -d)` })];
  }
  if (type === "list" && option.member !== "structure" && option.member !== "list" && option.member !== "map") {
    const items = Array.isArray(value) ? value : [value];
    if (!items.length) return [];
    return [word(option.option, { quote: false }), ...items.map((item) => word(scalar(item)))];
  }
  if (type === "structure" || type === "map" || type === "list" || (value !== null && typeof value === "object")) {
    return [word(option.option, { quote: false }), word(JSON.stringify(value))];
  }
  return [word(option.option, { quote: false }), word(scalar(value))];
}

/**
 * The words of the aws command for a call ({service, operation, region}) with `params`, or null
 * when the CLI has no command for it. `names` is cliNames()'s answer.
 */
export function commandWords(names, { service, operation, region }, params, { endpointUrl = "", defaultRegion = "" } = {}) {
  const found = names?.operations?.[operation];
  if (!found) return null;
  const words = [word("aws", { quote: false })];
  if (endpointUrl) words.push(word("--endpoint-url", { quote: false }), word(endpointUrl));
  if (region && defaultRegion && region !== defaultRegion) words.push(word("--region", { quote: false }), word(region));
  words.push(word(names.command || service, { quote: false }), word(found.command, { quote: false }));
  const leftover = {};
  for (const [member, value] of Object.entries(params || {})) {
    if (value === null || value === undefined) continue;
    const option = found.options[member];
    if (option) words.push(...valueWords(option, value));
    else leftover[member] = value;
  }
  if (Object.keys(leftover).length) words.push(word("--cli-input-json", { quote: false }), word(JSON.stringify(leftover)));
  return words;
}

export const commandText = (words) => words.map((w) => w.text).join(" ");
export const commandShown = (words) => words.map((w) => w.shown).join(" ");

/** Whether the full parameters this page sent could be the ones a call record shows. */
export function sameCall(recorded, known) {
  if (isMasked(recorded)) {
    if (typeof recorded === "string" && recorded.endsWith("…")) return typeof known === "string" && known.startsWith(recorded.slice(0, -1));
    return known !== undefined;
  }
  if (Array.isArray(recorded)) return Array.isArray(known) && recorded.every((item, index) => sameCall(item, known[index]));
  if (recorded !== null && typeof recorded === "object") {
    return known !== null && typeof known === "object" && Object.keys(recorded).every((key) => sameCall(recorded[key], known[key]));
  }
  return recorded === known || String(recorded) === String(known);
}
