#!/usr/bin/env node
/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and prints where the busy time went, per
 * request: self time by file (or by function with --by function), and with --inside RE
 * the time spent under any frame whose file matches RE (that file and what it calls).
 * Used to compare two builds serving the same load (docs/benchmarks.md, issue 11).
 *
 *   node scripts/cpuprofile-summary.js PROFILE --requests N [--by file|function] [--top 25] [--inside RE]
 */
const fs = require('fs');
const { parseArgs } = require('util');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string' }, by: { type: 'string', default: 'file' }, top: { type: 'string', default: '25' }, inside: { type: 'string' } },
});
if (positionals.length !== 1 || !values.requests) {
  process.stderr.write('usage: cpuprofile-summary.js PROFILE --requests N [--by file|function] [--top 25] [--inside RE]\n');
  process.exit(2);
}
const requests = Number(values.requests);
const profile = JSON.parse(fs.readFileSync(positionals[0], 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);

const short = (url) => url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/');
const keyOf = (frame) => {
  if (!frame.url) return frame.functionName;
  return values.by === 'function' ? `${frame.functionName || '(anonymous)'} ${short(frame.url)}:${frame.lineNumber + 1}` : short(frame.url);
};

const self = new Map();
let busy = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const key = keyOf(nodes.get(id).callFrame);
  if (key !== '(idle)') busy += dt;
  self.set(key, (self.get(key) ?? 0) + dt);
});
const perRequest = (us) => (us / requests).toFixed(1).padStart(8);
console.log(`busy ${perRequest(busy)} µs/request`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${perRequest(us)}  ${key}`);

if (values.inside) {
  const re = new RegExp(values.inside);
  const memo = new Map();
  const under = (id) => {
    if (memo.has(id)) return memo.get(id);
    const inside = re.test(nodes.get(id).callFrame.url ?? '') || (parentOf.has(id) && under(parentOf.get(id)));
    memo.set(id, inside);
    return inside;
  };
  let time = 0;
  profile.samples.forEach((id, i) => (time += under(id) ? (profile.timeDeltas[i] ?? 0) : 0));
  console.log(`under ${values.inside}: ${perRequest(time)} µs/request (${((100 * time) / busy).toFixed(1)}% of busy)`);
}
