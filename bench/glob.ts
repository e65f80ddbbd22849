/**
 * Route globs: time per test of our linear matcher and of picomatch's RegExp
 * (what main ran) on typical object names, and of our matcher on 1,024-byte
 * hostile names (picomatch's RegExp is not run on those: it takes minutes).
 * Fastest of several rounds; the machine's load only ever adds time.
 * Usage: npm run bench:glob [-- --tests 1000000 --rounds 7]
 */
import { parseArgs } from 'util';
import picomatch from 'picomatch';
import { compileGlob } from '../functions/route/glob';
import { compilePathPattern, PathMiss } from '../functions/route/matcher/path-pattern';

const TYPICAL: readonly [string, string][] = [
  ['uploads/**/*.csv', 'uploads/2024/01/report-final.csv'],
  ['uploads/**/*.csv', 'incoming/2024/01/report-final.json'],
  ['in/**/*.csv', 'in/file.csv'],
  ['**/*.csv', 'uploads/2024/01/report-final.csv'],
  ['v*', 'v1.2.3'],
  ['api*', 'api-server'],
  ['projects/*/subscriptions/s-*', 'projects/my-project/subscriptions/s-orders'],
];
const HOSTILE: readonly [string, string][] = [
  ['**/*-*-*-*.csv', '-'.repeat(1024)],
  ['*a*a*a*a*a*b', 'a'.repeat(1024)],
  ['**/**/**/*.x', 'a/'.repeat(512)],
  ['uploads/**/*.csv', `uploads/${'./'.repeat(508)}`],
];

/** Path patterns (`{ pathPattern: ... }`), captures included; beside a glob that matches the same names. */
const PATH_PATTERNS: readonly [string, string, string][] = [
  ['users/{uid}/orders/{orderId}', 'users/*/orders/*', 'users/alice/orders/o-17'],
  ['users/{uid}/orders/{orderId}', 'users/*/orders/*', 'users/alice/carts/c1'],
  ['releases/{version}/{file=**}', 'releases/*/**', 'releases/v2.1.0/linux/amd64/app.tar.gz'],
  ['projects/_/buckets/**/r*.txt', 'projects/_/buckets/**/r*.txt', 'projects/_/buckets/b/objects/readme.txt'],
];
const HOSTILE_PATHS: readonly [string, string][] = [
  ['{a}/**/x/{b}', 'a/'.repeat(512)],
  ['*a*a*a*a*a*ab*', 'a'.repeat(1024)],
  ['**/*-*-*-*.csv', '-'.repeat(1024)],
];

function nsPerTest(test: (s: string) => boolean, name: string, tests: number, rounds: number): number {
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < tests; i++) if (test(name)) sink++;
    best = Math.min(best, Number(process.hrtime.bigint() - start) / tests);
  }
  if (sink < 0) console.log(sink);
  return best;
}

const { values } = parseArgs({ options: { tests: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '7' } } });
const tests = Number(values.tests);
const rounds = Number(values.rounds);
console.log('glob'.padEnd(30), 'name'.padEnd(44), 'match', 'linear ns', 'RegExp ns', 'ratio');
for (const [glob, name] of TYPICAL) {
  const linear = compileGlob(glob);
  const re = picomatch.makeRe(glob, { dot: true });
  const ours = nsPerTest(linear, name, tests, rounds);
  const theirs = nsPerTest((s) => re.test(s), name, tests, rounds);
  console.log(
    glob.padEnd(30),
    name.padEnd(44),
    String(linear(name)).padEnd(5),
    ours.toFixed(1).padStart(9),
    theirs.toFixed(1).padStart(9),
    (ours / theirs).toFixed(2).padStart(5),
  );
}
for (const [glob, name] of HOSTILE) {
  const ours = nsPerTest(compileGlob(glob), name, Math.ceil(tests / 100), rounds);
  console.log(glob.padEnd(30), `${JSON.stringify(name.slice(0, 8))}… (${name.length})`.padEnd(44), '     ', (ours / 1000).toFixed(1).padStart(6), 'µs');
}
console.log();
console.log('path pattern'.padEnd(30), 'name'.padEnd(44), 'match', 'pattern ns', 'glob ns', 'ratio');
for (const [source, glob, name] of PATH_PATTERNS) {
  const pattern = compilePathPattern(source);
  const test = (s: string) => !(pattern.match(s) instanceof PathMiss);
  const ours = nsPerTest(test, name, tests, rounds);
  const globs = nsPerTest(compileGlob(glob), name, tests, rounds);
  console.log(
    source.padEnd(30),
    name.padEnd(44),
    String(test(name)).padEnd(5),
    ours.toFixed(1).padStart(10),
    globs.toFixed(1).padStart(7),
    (ours / globs).toFixed(2).padStart(5),
  );
}
for (const [source, name] of HOSTILE_PATHS) {
  const pattern = compilePathPattern(source);
  const ours = nsPerTest((s) => !(pattern.match(s) instanceof PathMiss), name, Math.ceil(tests / 100), rounds);
  console.log(source.padEnd(30), `${JSON.stringify(name.slice(0, 8))}… (${name.length})`.padEnd(44), '     ', (ours / 1000).toFixed(1).padStart(6), 'µs');
}
