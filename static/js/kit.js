// The platform's toolkit for services' GUI modules (services/<svc>/static/services/<svc>/gui.js):
// the one module they import from the platform, so the platform's files can move freely behind it.
//
//   import { h, field, section, ... } from "../../js/kit.js";   // from static/services/<svc>/

export { fromBase64, toBase64 } from "./api.js";
export { arnTail, copyButton, formatDuration, h } from "./dom.js";
export {
  attributeTable,
  counterTiles,
  dangerZone,
  deleteNodeButton,
  field,
  header,
  identity,
  liveCounters,
  liveNote,
  parseAttributeLines,
  resultLine,
  run,
  section,
  showResult,
} from "./inspector/common.js";
export { counter, toNumber } from "./nodes.js";
