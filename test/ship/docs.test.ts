/**
 * The deploy guide's eventarc-trigger.sh commands, pasted as a user would (with the guide's own
 * variables), pass the script's input checks: run with --dry-run, each one plans and exits 0.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const guide = fs.readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');

/** Shell lines of the guide's ```bash blocks, with backslash continuations joined. */
function bashLines(md: string): string[] {
  const lines: string[] = [];
  for (const block of md.matchAll(/```bash\n([\s\S]*?)```/g)) {
    let cur = '';
    for (const raw of block[1].split('\n')) {
      const l = raw.replace(/\s+#.*$/, '').trimEnd();
      if (l.endsWith('\\')) {
        cur += l.slice(0, -1) + ' ';
        continue;
      }
      if ((cur + l).trim()) lines.push((cur + l).trim().replace(/\s+/g, ' '));
      cur = '';
    }
  }
  return lines;
}

const lines = bashLines(guide);
const vars: Record<string, string> = {};
for (const l of lines) {
  const m = /^export ([A-Z_]+)=(\S+)/.exec(l);
  if (m) vars[m[1]] = m[2].replace(/\$([A-Z_]+)/g, (_x, v: string) => vars[v] ?? '');
}
const invocations = lines.filter((l) => l.startsWith('./eventarc-trigger.sh '));

test('the guide sets the variables its commands use', () => {
  expect(vars).toMatchObject({ PROJECT: expect.any(String), REGION: expect.any(String), SERVICE: expect.any(String) });
});

test('the guide shows eventarc-trigger.sh for storage, pubsub, artifact-registry, list and delete', () => {
  const kinds = invocations.map((l) => l.split(' ').slice(1, 3).join(' '));
  for (const k of ['create storage', 'create pubsub', 'create artifact-registry']) expect(kinds).toContain(k);
  expect(invocations.some((l) => l.startsWith('./eventarc-trigger.sh list'))).toBe(true);
  expect(invocations.some((l) => l.startsWith('./eventarc-trigger.sh delete'))).toBe(true);
});

test.each(invocations.filter((l) => !l.includes('...')))('%s', (line) => {
  const argv = line
    .split(' ')
    .slice(1)
    .map((a) => a.replace(/\$([A-Z_]+)/g, (_x, v: string) => vars[v] ?? `UNSET_${v}`));
  expect(argv.join(' ')).not.toMatch(/UNSET_/);
  const r = spawnSync('bash', [path.join(ROOT, 'eventarc-trigger.sh'), ...argv, '--dry-run'], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin' },
  });
  expect(r.stderr).not.toMatch(/invalid|unknown|required/);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/\[dry-run\] \$ gcloud /);
});
