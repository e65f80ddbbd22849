/**
 * Runs an NFA over a string in one pass, building DFA states on demand (as
 * RE2 does): each input position costs one table lookup once its state is
 * known, and at most one NFA closure (O(pattern)) when it is new. Nothing
 * backtracks, so any input takes time linear in its length.
 *
 * A position's symbol is its character class plus the few facts picomatch's
 * assertions ask about it (start of input, a `.`/`..` segment starting here or
 * after a slash here), so assertions are decided within the closure.
 */
import { type Alphabet, DOT_CLASS, SLASH_CLASS, buildAlphabet, classOf } from './alphabet';
import { type CharSet, DOT, SLASH } from './char-set';
import { ASSERTIONS, type Nfa, OP_ASSERT, OP_CHAR, OP_MATCH, OP_SPLIT } from './nfa';

const AT_START = 1;
/** A `.` segment starts here: `.` then `/` or the end. */
const DOT_SEGMENT = 2;
/** A `..` segment starts here. */
const DOTDOT_SEGMENT = 4;
/** A slash here, and a `.` or `..` segment right after it. */
const SLASH_DOT_SEGMENT = 8;
const FLAG_COMBINATIONS = 16;

const UNKNOWN = -1;
/** Plans: >= 0 skips by exitMaps[plan]; TO_END skips to the end; <= CHAIN compares a literal run. */
const TO_END = 1 << 30;
const NO_PLAN = -2;
const CHAIN = -3;
const MATCH = -2;
const DEAD = -3;

/**
 * The literal code units every match of an anchored pattern starts with: the
 * NFA's single path from its start through `^` and one-unit sets, to the first
 * node where paths branch. Only one thread lives on that path, so no
 * assertion other than `^` (at offset 0) is skipped over.
 */
function literalPrefix(nfa: Nfa): { text: string; end: number } {
  if (!nfa.anchored) return { text: '', end: nfa.start };
  let node = nfa.start;
  let text = '';
  for (;;) {
    const op = nfa.op[node];
    if (op === OP_ASSERT && ASSERTIONS[nfa.arg[node]] === 'start' && text === '') node = nfa.out[node]!;
    else if (op === OP_CHAR && isSingle(nfa.sets[nfa.arg[node]])) {
      text += String.fromCharCode(nfa.sets[nfa.arg[node]][0][0]);
      node = nfa.out[node]!;
    } else return { text, end: text === '' ? nfa.start : node };
  }
}

/** The run of one-unit literals a lone thread at `node` must read next, and the node after it. */
function literalChain(nfa: Nfa, node: number): { text: string; end: number } {
  let text = '';
  while (nfa.op[node] === OP_CHAR && isSingle(nfa.sets[nfa.arg[node]])) {
    text += String.fromCharCode(nfa.sets[nfa.arg[node]][0][0]);
    node = nfa.out[node]!;
  }
  return { text, end: node };
}

function sameKernel(next: number[] | number, kernel: readonly number[]): boolean {
  return typeof next !== 'number' && next.length === kernel.length && next.every((v, k) => v === kernel[k]);
}

const isSingle = (set: CharSet) => set.length === 1 && set[0][0] === set[0][1];

/** Past this many cached states the cache starts over: memory stays bounded, time stays linear. */
const MAX_CACHED_STATES = 1024;

const [A_START, A_END, A_ONE_CHAR, A_NO_DOT, A_NO_DOTS_SLASH, A_NO_DOTS, A_NO_DOT_SLASH] = [
  'start',
  'end',
  'oneChar',
  'noDot',
  'noDotsSlash',
  'noDots',
  'noDotSlash',
].map((a) => ASSERTIONS.indexOf(a as (typeof ASSERTIONS)[number]));

function segmentAt(s: string, i: number, n: number): number {
  if (i >= n || s.charCodeAt(i) !== DOT) return 0;
  const next = i + 1 < n ? s.charCodeAt(i + 1) : SLASH;
  if (next === SLASH) return DOT_SEGMENT;
  if (next !== DOT) return 0;
  return i + 2 >= n || s.charCodeAt(i + 2) === SLASH ? DOTDOT_SEGMENT : 0;
}

/** The segment facts at position i (only asked where the code unit is `.` or `/`). */
function segmentFlags(s: string, i: number, n: number, c: number): number {
  if (c === DOT) return segmentAt(s, i, n);
  return segmentAt(s, i + 1, n) !== 0 ? SLASH_DOT_SEGMENT : 0;
}

export class LazyDfa {
  private readonly alphabet: Alphabet;
  private readonly symbols: number;
  /**
   * A row per state: `symbols` transitions, then whether the state accepts at
   * the end of the input, its plan (see `plan`) and a literal run's next state.
   */
  private readonly stride: number;
  private table: Int32Array;
  private readonly kernels: number[][] = [];
  private readonly ids = new Map<string, number>();
  private readonly seen: Uint32Array;
  private readonly queued: Uint32Array;
  private stamp = 0;
  private readonly matchesEmpty: boolean;
  /** The literal runs plans compare. */
  private readonly plannedText: string[] = [];
  /** Per skip plan, which ASCII code units leave the state. */
  private readonly exitMaps: Uint8Array[] = [];
  /**
   * What every match starts with, compared natively (an anchored pattern's
   * forced literal start, `uploads/` in `uploads/**`), and the state after it.
   */
  private readonly prefix: string;
  private readonly prefixEnd: number;
  private afterPrefix = 0;

  constructor(private readonly nfa: Nfa) {
    this.alphabet = buildAlphabet(nfa.sets);
    this.symbols = this.alphabet.size * FLAG_COMBINATIONS;
    this.stride = this.symbols + 3;
    this.seen = new Uint32Array(nfa.op.length);
    this.queued = new Uint32Array(nfa.op.length);
    this.table = new Int32Array(this.stride * 16).fill(UNKNOWN);
    this.matchesEmpty = this.closure([nfa.start], AT_START, -1) === MATCH;
    const { text, end } = literalPrefix(nfa);
    this.prefix = text;
    this.prefixEnd = end;
    this.afterPrefix = this.intern([end]);
  }

  test(s: string): boolean {
    const n = s.length;
    if (n === 0) return this.matchesEmpty;
    let i = this.prefix.length;
    if (i > 0 && !s.startsWith(this.prefix)) return false;
    const { ascii, size } = this.alphabet;
    const segments = this.nfa.seesDotSegments;
    const plans = this.symbols + 1;
    let table = this.table;
    let state = this.afterPrefix;
    while (i < n) {
      if (i > 0) {
        // A state just entered may let us move ahead with native string search.
        let plan = table[state + plans];
        if (plan === UNKNOWN) {
          plan = this.plan(state);
          table = this.table;
        }
        if (plan >= 0) {
          if (plan === TO_END) break;
          // Skip what keeps the state: cheaper per code unit than a step (no table, no flags).
          const exits = this.exitMaps[plan];
          let c: number;
          while (i < n && (c = s.charCodeAt(i)) < 128 && exits[c] === 0) i++;
          if (i >= n) break;
        } else if (plan <= CHAIN) {
          const text = this.plannedText[CHAIN - plan];
          const end = i + text.length;
          if (end > n) return false;
          for (let k = 0; i < end; i++, k++) if (s.charCodeAt(i) !== text.charCodeAt(k)) return false;
          state = table[state + plans + 1]!;
          continue;
        }
      }
      // Step one code unit at a time while the state stays the same.
      for (;;) {
        const c = s.charCodeAt(i);
        const cls = c < 128 ? ascii[c] : classOf(this.alphabet, c);
        let symbol = cls;
        // Flags are rare: offset 0, and `.`/`/` (classes 0 and 1) when the pattern looks at segments.
        if (i === 0) symbol += AT_START * size;
        if (cls <= SLASH_CLASS && segments) symbol += segmentFlags(s, i, n, c) * size;
        let next = table[state + symbol];
        if (next < 0) {
          if (next !== UNKNOWN) return next === MATCH;
          next = this.fill(state, symbol, (symbol - cls) / size, cls);
          if (next < 0) return next === MATCH;
          table = this.table;
        }
        i++;
        if (next !== state) {
          state = next;
          break;
        }
        if (i >= n) break;
      }
    }
    let accepts = table[state + this.symbols];
    if (accepts === UNKNOWN) {
      accepts = this.closure(this.kernels[state / this.stride], 0, -1) === MATCH ? 1 : 0;
      this.table[state + this.symbols] = accepts;
    }
    return accepts === 1;
  }

  /**
   * How to move through a state faster than a step at a time: skip the ASCII
   * code units that keep it whatever the segment facts (`[^/]*` keeps all but
   * `/`); if none leaves it, go to the end; if the state is one thread on a run
   * of literals, compare the run. Planned once per state.
   */
  private plan(state: number): number {
    const plans = this.symbols + 1;
    const kernel = this.kernels[state / this.stride];
    const { size } = this.alphabet;
    const chain = this.nfa.anchored && kernel.length === 1 ? literalChain(this.nfa, kernel[0]) : undefined;
    let plan = NO_PLAN;
    if (chain && chain.text.length >= 2) {
      const target = this.intern([chain.end]);
      // intern may have grown the table; `state` is still valid (nothing was reset).
      this.table[state + plans + 1] = target;
      this.plannedText.push(chain.text);
      plan = CHAIN - (this.plannedText.length - 1);
    } else {
      const exits = new Uint8Array(size);
      let any = false;
      for (let cls = 0; cls < size; cls++) {
        const flagSets = !this.nfa.seesDotSegments
          ? [0]
          : cls === DOT_CLASS
            ? [0, DOT_SEGMENT, DOTDOT_SEGMENT]
            : cls === SLASH_CLASS
              ? [0, SLASH_DOT_SEGMENT]
              : [0];
        if (flagSets.some((f) => !sameKernel(this.closure(kernel, f, cls), kernel))) {
          exits[cls] = 1;
          any = true;
        }
      }
      if (!any) plan = TO_END;
      else if (exits.some((e, cls) => e === 0 && this.alphabet.ascii.includes(cls))) {
        // Worth it only if some ASCII code unit keeps the state.
        this.exitMaps.push(Uint8Array.from(this.alphabet.ascii, (cls) => exits[cls]));
        plan = this.exitMaps.length - 1;
      }
    }
    this.table[state + plans] = plan;
    return plan;
  }

  private fill(state: number, symbol: number, flags: number, cls: number): number {
    const kernel = this.kernels[state / this.stride];
    const next = this.closure(kernel, flags, cls);
    if (next === MATCH || next === DEAD) {
      this.table[state + symbol] = next;
      return next;
    }
    if (this.kernels.length >= MAX_CACHED_STATES) this.reset();
    const target = this.intern(next);
    // After a reset `state` is gone; the new state is cached, its incoming edge is not.
    if (this.kernels[state / this.stride] === kernel) this.table[state + symbol] = target;
    return target;
  }

  private reset(): void {
    this.kernels.length = 0;
    this.ids.clear();
    this.plannedText.length = 0;
    this.exitMaps.length = 0;
    this.table.fill(UNKNOWN);
    this.afterPrefix = this.intern([this.prefixEnd]);
  }

  /** The state for a kernel, added if new: its row's offset in the table. */
  private intern(kernel: number[]): number {
    const key = kernel.join(',');
    let index = this.ids.get(key);
    if (index === undefined) {
      index = this.kernels.length;
      this.ids.set(key, index);
      this.kernels.push(kernel);
      const needed = (index + 1) * this.stride;
      if (needed > this.table.length) {
        const grown = new Int32Array(Math.max(needed, this.table.length * 2)).fill(UNKNOWN);
        grown.set(this.table);
        this.table = grown;
      }
    }
    return index * this.stride;
  }

  /**
   * Follows splits and the assertions that hold at this position, then steps
   * over the code unit of class `cls` (-1: the end of the input). Answers
   * MATCH as soon as the pattern has matched, else the sorted next kernel.
   */
  private closure(kernel: readonly number[], flags: number, cls: number): number[] | typeof MATCH | typeof DEAD {
    const { op, arg, out, out2 } = this.nfa;
    const { member, size } = this.alphabet;
    const stamp = ++this.stamp;
    const stack = kernel.slice();
    const next: number[] = [];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (this.seen[node] === stamp) continue;
      this.seen[node] = stamp;
      switch (op[node]) {
        case OP_MATCH:
          return MATCH;
        case OP_SPLIT:
          stack.push(out2[node], out[node]);
          break;
        case OP_ASSERT:
          if (this.holds(arg[node], flags, cls)) stack.push(out[node]);
          break;
        case OP_CHAR: {
          const target = out[node];
          if (cls >= 0 && member[arg[node] * size + cls] === 1 && this.queued[target] !== stamp) {
            this.queued[target] = stamp;
            next.push(target);
          }
          break;
        }
      }
    }
    if (!this.nfa.anchored && this.queued[this.nfa.start] !== stamp) next.push(this.nfa.start);
    if (next.length === 0) return DEAD;
    return next.sort((a, b) => a - b);
  }

  private holds(assertion: number, flags: number, cls: number): boolean {
    const atEnd = cls < 0;
    const { isDot, isSlash, isLineTerminator } = this.alphabet;
    switch (assertion) {
      case A_START:
        return (flags & AT_START) !== 0;
      case A_END:
        return atEnd;
      case A_ONE_CHAR:
        return !atEnd && isLineTerminator[cls] === 0;
      case A_NO_DOT:
        return atEnd || isDot[cls] === 0;
      case A_NO_DOTS_SLASH:
        return (flags & (DOT_SEGMENT | DOTDOT_SEGMENT)) === 0;
      case A_NO_DOTS:
        return !((flags & AT_START) !== 0 && (flags & (DOT_SEGMENT | DOTDOT_SEGMENT)) !== 0) && (flags & SLASH_DOT_SEGMENT) === 0;
      case A_NO_DOT_SLASH:
        return !(atEnd || isSlash[cls] === 1 || (flags & DOT_SEGMENT) !== 0);
      default:
        throw new Error(`unknown assertion ${assertion}`);
    }
  }
}
