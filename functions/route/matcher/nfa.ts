/**
 * A Thompson NFA for a parsed pattern: one node per literal set, split or
 * assertion. Its size is linear in the pattern (counted repetition is copied,
 * and bounded), which is what makes matching O(input x pattern) at worst.
 */
import type { CharSet } from './char-set';
import type { Assertion, RegexNode } from './regex-syntax';
import { UnsupportedRegex } from './regex-syntax';

export const OP_CHAR = 0;
export const OP_SPLIT = 1;
export const OP_ASSERT = 2;
export const OP_MATCH = 3;

export const ASSERTIONS: readonly Assertion[] = ['start', 'end', 'oneChar', 'noDot', 'noDotsSlash', 'noDots', 'noDotSlash'];

export interface Nfa {
  readonly op: Uint8Array;
  /** For a char node, its index in `sets`; for an assertion, its index in ASSERTIONS. */
  readonly arg: Int32Array;
  readonly out: Int32Array;
  /** A split's second branch. */
  readonly out2: Int32Array;
  readonly sets: readonly CharSet[];
  readonly start: number;
  /** Every match begins at offset 0 (the pattern starts with `^`), so a search need not restart. */
  readonly anchored: boolean;
  /** Whether any assertion looks at `.`/`..` segments (the matcher then computes them per position). */
  readonly seesDotSegments: boolean;
}

export function buildNfa(tree: RegexNode, maxNodes: number): Nfa {
  const op: number[] = [];
  const arg: number[] = [];
  const out: number[] = [];
  const out2: number[] = [];
  const sets: CharSet[] = [];
  const add = (o: number, a: number, next: number, next2 = -1): number => {
    if (op.length >= maxNodes) throw new UnsupportedRegex(`pattern too complex (over ${maxNodes} automaton states)`);
    op.push(o);
    arg.push(a);
    out.push(next);
    out2.push(next2);
    return op.length - 1;
  };

  // Built back to front: each node is compiled knowing where it continues.
  const compile = (node: RegexNode, next: number): number => {
    switch (node.type) {
      case 'set':
        sets.push(node.set);
        return add(OP_CHAR, sets.length - 1, next);
      case 'assert':
        return add(OP_ASSERT, ASSERTIONS.indexOf(node.assertion), next);
      case 'concat': {
        let at = next;
        for (let k = node.items.length - 1; k >= 0; k--) at = compile(node.items[k], at);
        return at;
      }
      case 'alternate': {
        const starts = node.items.map((item) => compile(item, next));
        let at = starts[starts.length - 1];
        for (let k = starts.length - 2; k >= 0; k--) at = add(OP_SPLIT, 0, starts[k], at);
        return at;
      }
      case 'repeat': {
        let at: number;
        if (node.max === Infinity) {
          at = add(OP_SPLIT, 0, -1, next);
          out[at] = compile(node.item, at);
        } else {
          at = next;
          for (let k = node.min; k < node.max; k++) at = add(OP_SPLIT, 0, compile(node.item, at), next);
        }
        for (let k = 0; k < node.min; k++) at = compile(node.item, at);
        return at;
      }
    }
  };

  const match = add(OP_MATCH, 0, -1);
  const start = compile(tree, match);
  const first = tree.type === 'concat' ? tree.items[0] : tree;
  const dotAssertions = new Set(['noDotsSlash', 'noDots', 'noDotSlash'].map((a) => ASSERTIONS.indexOf(a as Assertion)));
  return {
    op: Uint8Array.from(op),
    arg: Int32Array.from(arg),
    out: Int32Array.from(out),
    out2: Int32Array.from(out2),
    sets,
    start,
    anchored: first?.type === 'assert' && first.assertion === 'start',
    seesDotSegments: op.some((o, k) => o === OP_ASSERT && dotAssertions.has(arg[k])),
  };
}
