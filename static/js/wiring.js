// Wiring by drawing: an edge drawn from one node's output port to another node's input port
// performs the AWS calls that make the link real, and removing the edge undoes them. The rules
// come from the services' GUI modules (`wiring`, services.js): each first checks what AWS would
// refuse and gives the reason instead of calling.
//
// A rule: {from: "svc:type", to: "svc:type", kind, describe(source, target), refuse(source, target),
// connect(ctx, source, target) -> false when cancelled, disconnect(ctx, source, target, edge),
// repair?: {label, done(source, target), run(ctx, source, target)}}; ctx = {api, ask}.

import { kindKey } from "./nodes.js";
import { registry } from "./services.js";

/** The rule for drawing from `source` to `target`, or {refusal} saying why there is none. */
export function ruleFor(source, target) {
  const rule = registry.rules.get(`${kindKey(source)}->${kindKey(target)}`);
  if (!rule) {
    return { refusal: `Nothing connects a ${source.service} ${source.type} to a ${target.service} ${target.type}.` };
  }
  const refusal = rule.refuse?.(source, target);
  return refusal ? { refusal } : { rule };
}

/** The rule that undoes an edge of the diagram: the one that makes edges of its kind between
 * such nodes (a topic's dead-letter queue is linked to it, but not by drawing). */
export function ruleForEdge(source, target, edge) {
  const rule = registry.rules.get(`${kindKey(source)}->${kindKey(target)}`);
  return rule && (!edge || rule.kind === edge.kind) ? rule : null;
}
