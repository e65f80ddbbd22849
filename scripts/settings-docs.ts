/**
 * `npm run docs:settings`: writes the README's configuration tables from the
 * settings table (functions/config.ts), each between `<!-- settings:SECTION -->`
 * and `<!-- /settings -->`; the prose around them is the README's own.
 * test/config/settings-table.test.ts fails when the README differs from this output.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROW_LIST, type Row, type Section } from '../functions/config';

const BLOCK = /<!-- settings:([a-z-]+) -->\n[\s\S]*?<!-- \/settings -->/g;

/** A pipe would end the cell, even inside backticks. */
const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(', ');

function line(row: Row<unknown>): string {
  const [name, ...others] = row.names;
  const names = others.length > 0 ? `\`${name}\` (or ${code(others)})` : `\`${name}\``;
  const shown = row.default === undefined ? '' : row.kind.show(row.default);
  const about = row.readBy === 'client library' ? `${row.about} (read by the Google client library itself)` : row.about;
  return `| ${names} | ${cell(shown)} | ${cell(about)} |`;
}

/** The generated block of one section: its table, and what its rows' flags mean. */
export function settingsBlock(section: Section): string {
  const rows = ROW_LIST.filter((r) => r.section === section);
  if (rows.length === 0) throw new Error(`no setting in section ${section}`);
  const out = ['| Variable | Default | Meaning |', '|---|---|---|', ...rows.map(line)];
  const security = rows.filter((r) => r.security).map((r) => r.names[0]);
  const early = rows.filter((r) => r.beforeSecrets).map((r) => r.names[0]);
  if (security.length > 0) out.push('', `Present but empty or blank, ${code(security)} stop start-up (never "off"); a refused value is never quoted.`);
  if (early.length > 0) out.push('', `Read from the environment as given, before secret references are resolved (so never a reference): ${code(early)}.`);
  return `<!-- settings:${section} -->\n${out.join('\n')}\n<!-- /settings -->`;
}

/** The README with every settings block regenerated; each section must have exactly one block. */
export function withSettingsTables(readme: string): string {
  const seen = new Set<string>();
  const sections = new Set<string>(ROW_LIST.map((r) => r.section));
  const written = readme.replace(BLOCK, (_block, section: string) => {
    const known = ROW_LIST.find((r) => r.section === section)?.section;
    if (known === undefined) throw new Error(`README block settings:${section} names no section of the settings table`);
    if (seen.has(section)) throw new Error(`README has two blocks for settings:${section}`);
    seen.add(section);
    return settingsBlock(known);
  });
  const missing = [...sections].filter((s) => !seen.has(s));
  if (missing.length > 0) throw new Error(`README has no block for settings section(s) ${missing.join(', ')}`);
  return written;
}

if (require.main === module) {
  const file = path.resolve(process.argv[2] ?? 'README.md');
  const before = fs.readFileSync(file, 'utf8');
  const after = withSettingsTables(before);
  if (after !== before) fs.writeFileSync(file, after);
  process.stdout.write(`${file}: settings tables ${after === before ? 'already up to date' : 'written'}\n`);
}
