/** Path patterns (Eventarc's and Firebase's syntax): what matches, what is captured, why a value misses, what is refused. */
import fc from 'fast-check';
import { compilePathPattern, PathMiss, PathPatternError } from '../../../functions/route/matcher/path-pattern';

const run = (pattern: string, value: string) => compilePathPattern(pattern).match(value);

describe('matching and captures', () => {
  const matches: [string, string, Record<string, string>][] = [
    ['users/{uid}', 'users/alice', { uid: 'alice' }],
    ['users/{uid}/orders/{orderId}', 'users/alice/orders/o1', { uid: 'alice', orderId: 'o1' }],
    ['users/{uid=*}', 'users/alice', { uid: 'alice' }],
    ['users/{rest=**}', 'users/alice/orders/o1', { rest: 'alice/orders/o1' }],
    ['users/{rest=**}', 'users', { rest: '' }],
    ['releases/{version}/{file=**}', 'releases/v1.2/linux/app.tar.gz', { version: 'v1.2', file: 'linux/app.tar.gz' }],
    ['{first}/{middle=**}/{last}', 'a/b', { first: 'a', middle: '', last: 'b' }],
    ['{first}/{middle=**}/{last}', 'a/1/2/3/b', { first: 'a', middle: '1/2/3', last: 'b' }],
    ['projects/_/buckets/**/r*.txt', 'projects/_/buckets/b/objects/readme.txt', {}],
    ['/projects/_/buckets/*/objects/*', 'projects/_/buckets/b/objects/o', {}],
    ['projects/{project}/datasets/{dataset}', '/projects/p1/datasets/d1', { project: 'p1', dataset: 'd1' }],
    ['**', '', {}],
    ['**', 'a/b/c', {}],
    ['users/alice', 'users/alice', {}],
    ['a/[b]/c?', 'a/[b]/c?', {}], // glob characters are literals here
    ['*.csv', '.csv', {}],
    ['a*b*c', 'aXbYbZc', {}],
    ['photos/{name}', 'photos/r é #.jpg', { name: 'r é #.jpg' }],
    ['docs/{id}', 'docs/a%2Fb', { id: 'a%2Fb' }], // nothing is URL-decoded
  ];
  it.each(matches)('%s matches %s', (pattern, value, params) => {
    expect(run(pattern, value)).toEqual(params);
  });

  const misses: [string, string, string][] = [
    ['users/{uid}/orders/{orderId}', 'users/alice/items/o1', 'segment 3 is "items", want "orders"'],
    ['users/{uid}/orders/{orderId}', 'users/alice/orders', 'has 3 segments, want 4'],
    ['users/{uid}/orders/{orderId}', 'users/alice/orders/o1/lines/l1', 'has 6 segments, want 4'],
    ['users/{uid}', 'users/', 'segment 2 is empty, want {uid}'],
    ['users/*', 'users/', 'segment 2 is empty, want *'],
    ['users/{uid}', 'people/alice', 'segment 1 is "people", want "users"'],
    ['{a}/**/x/{b}', 'p/q', 'has 2 segments, want at least 3'],
    ['{a}/**/x/{b}', 'p/q/y/r', 'segment 3 is "y", want "x"'],
    ['projects/_/buckets/**/r*.txt', 'projects/_/buckets/b/objects/notes.txt', 'segment 6 is "notes.txt", want "r*.txt"'],
    ['*', '', 'has 0 segments, want 1'],
    ['a*b*c', 'aXbY', 'segment 1 is "aXbY", want "a*b*c"'],
    ['ab*ba', 'aba', 'segment 1 is "aba", want "ab*ba"'], // prefix and suffix may not overlap
    ['users/alice', 'users/Alice', 'segment 2 is "Alice", want "alice"'],
  ];
  it.each(misses)('%s does not match %s: %s', (pattern, value, why) => {
    const r = run(pattern, value);
    expect(r).toBeInstanceOf(PathMiss);
    expect((r as PathMiss).why).toBe(why);
  });

  it('lists the names it captures, in order', () => {
    expect(compilePathPattern('users/{uid}/orders/{orderId}/{rest=**}').names).toEqual(['uid', 'orderId', 'rest']);
    expect(compilePathPattern('projects/*/buckets/**').names).toEqual([]);
  });
});

describe('what is refused when the pattern is compiled', () => {
  const refused: [string, RegExp][] = [
    ['', /is empty/],
    ['/', /is empty/],
    ['a//b', /segment 2 is empty/],
    ['a/', /segment 2 is empty/],
    ['**/x/**', /only one "\*\*" or "\{name=\*\*\}" per pattern \(segments 1 and 3\)/],
    ['{rest=**}/{more=**}', /only one/],
    ['{a}/{a}', /the name "a" is captured twice/],
    ['{1a}', /"1a" is not a parameter name/],
    ['{}', /"" is not a parameter name/],
    ['{a-b}', /"a-b" is not a parameter name/],
    ['{__proto__}', /"__proto__" cannot be a parameter name/],
    ['a{b}', /a capture is a whole segment/],
    ['{a}b', /a capture is a whole segment/],
    ['{a=x}', /\{a=x\} is not supported/],
    ['a**b', /"\*\*" stands alone as a segment/],
    ['x'.repeat(1025), /longer than 1024 characters/],
  ];
  it.each(refused.map(([p, m]) => [p.length > 40 ? `${p.slice(0, 10)}… (${p.length} characters)` : JSON.stringify(p), p, m] as const))(
    '%s',
    (_label, pattern, message) => {
      expect(() => compilePathPattern(pattern)).toThrow(PathPatternError);
      expect(() => compilePathPattern(pattern)).toThrow(message);
    },
  );
});

// ---------------------------------------------------------------- properties

/** Characters of a segment: some that mean something elsewhere (globs, URLs), never `/`, `*` or braces. */
const segmentText = fc
  .array(fc.constantFrom('a', 'b', 'z', '0', '-', '.', '_', '~', '%', '?', '[', ']', 'é', ' ', '#'), { minLength: 1, maxLength: 5 })
  .map((cs) => cs.join(''));
const paramName = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,6}$/);

type Part =
  | { kind: 'literal'; text: string }
  | { kind: 'star' }
  | { kind: 'wild'; pieces: string[] }
  | { kind: 'capture'; name: string }
  | { kind: 'rest'; name?: string };

const single: fc.Arbitrary<Part> = fc.oneof(
  { arbitrary: segmentText.map((text): Part => ({ kind: 'literal', text })), weight: 4 },
  { arbitrary: fc.constant<Part>({ kind: 'star' }), weight: 1 },
  {
    // Text around one to three `*`: only the ends may be empty (an empty middle piece would make `**`), and not both when alone (`*`).
    arbitrary: fc
      .tuple(fc.oneof(fc.constant(''), segmentText), fc.array(segmentText, { maxLength: 2 }), fc.oneof(fc.constant(''), segmentText))
      .filter(([first, middle, last]) => middle.length > 0 || first !== '' || last !== '')
      .map(([first, middle, last]): Part => ({ kind: 'wild', pieces: [first, ...middle, last] })),
    weight: 1,
  },
  { arbitrary: paramName.map((name): Part => ({ kind: 'capture', name })), weight: 2 },
);

/** A pattern's parts: single-segment ones, with at most one multi-segment part somewhere; names unique. */
const patternParts: fc.Arbitrary<Part[]> = fc
  .tuple(
    fc.array(single, { minLength: 0, maxLength: 5 }),
    fc.option(
      fc.oneof(
        fc.constant<Part>({ kind: 'rest' }),
        paramName.map((name): Part => ({ kind: 'rest', name })),
      ),
    ),
    fc.nat(),
  )
  .map(([parts, rest, at]) => (rest ? [...parts.slice(0, at % (parts.length + 1)), rest, ...parts.slice(at % (parts.length + 1))] : parts))
  .filter((parts) => parts.length > 0)
  .map((parts) => {
    // Keep the first use of each name; later ones become plain wildcards.
    const seen = new Set<string>();
    return parts.map((p): Part => {
      if ((p.kind === 'capture' || p.kind === 'rest') && p.name !== undefined) {
        if (seen.has(p.name)) return p.kind === 'capture' ? { kind: 'star' } : { kind: 'rest' };
        seen.add(p.name);
      }
      return p;
    });
  });

const source = (parts: Part[]) =>
  parts
    .map((p) => {
      switch (p.kind) {
        case 'literal':
          return p.text;
        case 'star':
          return '*';
        case 'wild':
          return p.pieces.join('*');
        case 'capture':
          return `{${p.name}}`;
        case 'rest':
          return p.name === undefined ? '**' : `{${p.name}=**}`;
      }
    })
    .join('/');

/** A value for each part, and what the pattern must capture from it. */
function pathFor(parts: Part[]): fc.Arbitrary<{ segments: string[][]; params: Record<string, string> }> {
  return fc
    .tuple(
      ...parts.map((p): fc.Arbitrary<string[]> => {
        switch (p.kind) {
          case 'literal':
            return fc.constant([p.text]);
          case 'star':
          case 'capture':
            return segmentText.map((t) => [t]);
          case 'wild':
            return fc
              .array(fc.oneof(fc.constant(''), segmentText), { minLength: p.pieces.length - 1, maxLength: p.pieces.length - 1 })
              .map((fill) => [p.pieces.map((piece, i) => piece + (fill[i] ?? '')).join('')]);
          case 'rest':
            return fc.array(segmentText, { maxLength: 3 });
        }
      }),
    )
    .map((segments) => {
      const params: Record<string, string> = {};
      parts.forEach((p, i) => {
        if (p.kind === 'capture') params[p.name] = segments[i][0]!;
        if (p.kind === 'rest' && p.name !== undefined) params[p.name] = segments[i].join('/');
      });
      return { segments, params };
    });
}

describe('properties', () => {
  it('a path generated from a pattern matches it, and the captured parameters round-trip', () => {
    fc.assert(
      fc.property(
        patternParts.chain((parts) => fc.tuple(fc.constant(parts), pathFor(parts))),
        ([parts, { segments, params }]) => {
          const pattern = compilePathPattern(source(parts));
          const value = segments.flat().join('/');
          expect([source(parts), value, pattern.match(value)]).toEqual([source(parts), value, params]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a path differing in one literal segment does not match, and the miss names that segment', () => {
    const withLiteral = patternParts.filter((parts) => parts.some((p) => p.kind === 'literal'));
    fc.assert(
      fc.property(
        withLiteral.chain((parts) => fc.tuple(fc.constant(parts), pathFor(parts), fc.nat(), segmentText)),
        ([parts, { segments }, pick, other]) => {
          const literals = parts.flatMap((p, i) => (p.kind === 'literal' ? [i] : []));
          const i = literals[pick % literals.length];
          const original = segments[i][0];
          const changed = other === original ? `${other}x` : other;
          const altered = segments.map((s, k) => (k === i ? [changed] : s));
          const position = altered.slice(0, i).flat().length + 1;
          const r = compilePathPattern(source(parts)).match(altered.flat().join('/'));
          expect(r).toBeInstanceOf(PathMiss);
          // Another literal may fail first only if it comes earlier in the path, and none does.
          expect((r as PathMiss).why).toBe(`segment ${position} is ${JSON.stringify(changed)}, want ${JSON.stringify(original)}`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  /** A backtracking reference: tries every split for the multi-segment part. */
  function reference(parts: Part[], value: string): Record<string, string> | undefined {
    const v = value.startsWith('/') ? value.slice(1) : value;
    const segs = v === '' ? [] : v.split('/');
    const go = (pi: number, si: number, params: Record<string, string>): Record<string, string> | undefined => {
      if (pi === parts.length) return si === segs.length ? params : undefined;
      const p = parts[pi];
      if (p.kind === 'rest') {
        for (let end = si; end <= segs.length; end++) {
          const next = p.name === undefined ? params : { ...params, [p.name]: segs.slice(si, end).join('/') };
          const r = go(pi + 1, end, next);
          if (r) return r;
        }
        return undefined;
      }
      if (si >= segs.length) return undefined;
      const s = segs[si];
      if (p.kind === 'literal' && s !== p.text) return undefined;
      if ((p.kind === 'star' || p.kind === 'capture') && s === '') return undefined;
      if (p.kind === 'wild') {
        const re = new RegExp(`^${p.pieces.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
        if (!re.test(s)) return undefined;
      }
      return go(pi + 1, si + 1, p.kind === 'capture' ? { ...params, [p.name]: s } : params);
    };
    return go(0, 0, {});
  }

  it('agrees with a backtracking reference on arbitrary paths, near misses included', () => {
    const near = (parts: Part[]) =>
      fc.oneof(
        pathFor(parts).map(({ segments }) => segments.flat().join('/')),
        // Paths from the pattern's own literals and random segments, so near misses are common.
        fc
          .array(fc.oneof(segmentText, fc.constantFrom('', ...parts.flatMap((p) => (p.kind === 'literal' ? [p.text] : [])))), { maxLength: 7 })
          .map((s) => s.join('/')),
      );
    fc.assert(
      fc.property(
        patternParts.chain((parts) => fc.tuple(fc.constant(parts), fc.array(near(parts), { minLength: 1, maxLength: 6 }))),
        ([parts, values]) => {
          const pattern = compilePathPattern(source(parts));
          for (const value of values) {
            const got = pattern.match(value);
            expect([source(parts), value, got instanceof PathMiss ? undefined : got]).toEqual([source(parts), value, reference(parts, value)]);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
