// Reverse-mode autodiff over the IR, micrograd-sized (style.md): topological order pruned to the paths between the
// requested values and the loss, seed with 1, walk backwards calling each op's rule (ops/*.ts), sum contributions.
// The backward pass is ordinary IR, so it is emitted as ordinary ONNX ops and runs on every ORT backend.
import { BugError, ModelError } from '../errors.ts';
import { formatShape } from '../tensor.ts';
import type { Graph, Node, Value } from './graph.ts';
import { OPS } from './ops/index.ts';
import type { GradRule, NoGradient } from './ops/op-def.ts';

/** Name of the output holding d loss / d `value`. */
export function gradName(value: Value | string): string {
  return `grad:${typeof value === 'string' ? value : value.name}`;
}

/**
 * A copy of `graph` that also outputs `loss` (as "loss", unless already an output) and d loss / d each `wrt` value as
 * `grad:<name>`. Only nodes on a path from a `wrt` value to the loss get backward work; constants get none.
 * @param loss a single-element float value
 * @param wrt graph inputs or params (params must be trainable to be fed; constant ones are differentiated too)
 * @throws ModelError when a node on the path has no gradient rule (the op and why)
 */
export function grad(graph: Graph, loss: Value, wrt: readonly Value[]): Graph {
  if (loss.shape.reduce((p, d) => p * d, 1) !== 1) throw new ModelError({ what: `loss must have one element, got shape ${formatShape(loss.shape)}`, where: loss.name, fix: 'reduce it with g.reduceSum or g.reduceMean' });
  const g = graph.clone();
  g.differentiated = true;
  const dependent = dependsOn(graph.nodes, wrt);
  const onPath = ancestorsOf(graph.nodes, loss);
  const grads = new Map<number, Value>();
  const recomputed = new Map<Node, Node>();
  grads.set(loss.id, g.withNodePrefix(`${loss.name}/grad`, () => g.expand(g.scalar(1, loss.dtype), loss.shape)));
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!onPath.has(node) || !node.outputs.some((o) => dependent.has(o.id))) continue;
    const dOutputs = node.outputs.map((o) => grads.get(o.id));
    if (dOutputs.every((d) => d === undefined)) continue;
    const segment = graph.checkpointed.get(node);
    if (segment !== undefined && !recomputed.has(node)) recompute(g, graph, segment, dOutputs.find((d) => d !== undefined)!, recomputed);
    const forward = recomputed.get(node) ?? node;
    const dInputs = g.withNodePrefix(`${node.name}/grad`, () => ruleOf(node)(g, forward, dOutputs));
    if (dInputs.length !== node.inputs.length) throw new BugError(`${node.op} gradient rule returned ${dInputs.length} gradients for ${node.inputs.length} inputs (node ${node.name})`);
    node.inputs.forEach((input, k) => {
      const d = dInputs[k];
      if (!d || !dependent.has(input.id)) return;
      if (formatShape(d.shape) !== formatShape(input.shape)) throw new BugError(`${node.op} rule gave gradient ${formatShape(d.shape)} for input ${input.name} ${formatShape(input.shape)}`);
      const sum = grads.get(input.id);
      // Accumulate, never assign: a value used twice gets both contributions (micrograd's +=).
      grads.set(input.id, sum ? g.withNodePrefix(`${node.name}/grad`, () => g.add(sum, d)) : d);
    });
  }
  if (![...g.outputs.values()].some((v) => v.id === loss.id)) g.output('loss', loss);
  for (const w of wrt) {
    const d = grads.get(w.id) ?? g.expand(g.scalar(0, w.dtype), w.shape);
    g.output(gradName(w), d);
  }
  return g;
}

/**
 * Replays a checkpointed segment in the backward pass. Its inputs get `+ 0·trigger`, a scalar of the incoming
 * gradient: that makes the copies depend on the backward pass (so ORT runs them late and frees the forward
 * activations early) and keeps ORT's common-subexpression pass from merging them back into the forward.
 */
function recompute(g: Graph, graph: Graph, segment: number, trigger: Value, recomputed: Map<Node, Node>): void {
  const nodes = graph.nodes.filter((n) => graph.checkpointed.get(n) === segment);
  const produced = new Set(nodes.flatMap((n) => n.outputs.map((o) => o.id)));
  const remap = new Map<number, Value>();
  g.withNodePrefix(`checkpoint_${segment}/recompute`, () => {
    const zero = g.mul(g.reshape(g.slice(g.reshape(trigger, [-1]), [0], [0], [1]), []), 0);
    for (const n of nodes) {
      for (const v of n.inputs) {
        if (produced.has(v.id) || remap.has(v.id) || v.kind === 'param' || v.kind === 'constant') continue;
        if (v.dtype === 'float32' || v.dtype === 'float64') remap.set(v.id, g.add(v, g.cast(zero, v.dtype)));
      }
    }
  });
  for (const n of nodes) {
    const inputs = n.inputs.map((v) => remap.get(v.id) ?? v);
    const outputs = g.apply(n.op, inputs, n.attrs, { nodeName: `${n.name}/recompute` });
    n.outputs.forEach((o, i) => remap.set(o.id, outputs[i]!));
    recomputed.set(n, { ...n, inputs, outputs });
  }
}

function ruleOf(node: Node): GradRule<Node['op']> {
  const rule = OPS[node.op].grad as GradRule<Node['op']> | NoGradient;
  if (typeof rule === 'function') return rule;
  throw new ModelError({ what: `${node.op} has no gradient (${rule.why})`, where: `node ${node.name}`, fix: 'differentiate with respect to values that do not flow through this op' });
}

/** Ids of values that depend on any of `roots`. */
function dependsOn(nodes: readonly Node[], roots: readonly Value[]): Set<number> {
  const ids = new Set(roots.map((r) => r.id));
  for (const n of nodes) if (n.inputs.some((v) => ids.has(v.id))) for (const o of n.outputs) ids.add(o.id);
  return ids;
}

/** Nodes the value is computed from. */
function ancestorsOf(nodes: readonly Node[], value: Value): Set<Node> {
  const producer = new Map<number, Node>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o.id, n);
  const seen = new Set<Node>();
  const stack = [value];
  while (stack.length > 0) {
    const n = producer.get(stack.pop()!.id);
    if (!n || seen.has(n)) continue;
    seen.add(n);
    stack.push(...n.inputs);
  }
  return seen;
}
