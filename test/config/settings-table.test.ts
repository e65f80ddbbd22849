/**
 * The settings table (functions/config.ts) is the only reader of the environment,
 * and the README's configuration tables are what it generates.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROW_LIST, SETTINGS, readSetting, readSettings, readSettingsBeforeSecrets } from '../../functions/config';
import { withSettingsTables } from '../../scripts/settings-docs';

const ROOT = path.resolve(__dirname, '..', '..');
const FUNCTIONS = path.join(ROOT, 'functions');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

test('the README configuration tables are the generated ones (run npm run docs:settings)', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(withSettingsTables(readme)).toBe(readme);
});

test('every variable is documented in the README with its default', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const row of ROW_LIST) {
    const shown = row.default === undefined ? '' : row.kind.show(row.default);
    expect(readme).toContain(`| \`${row.names[0]}\``);
    expect(readme).toMatch(new RegExp(`\\| \`${row.names[0]}\`[^|]*\\| ${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\|`));
  }
});

test('no module but config.ts reads process.env or picks a variable out of an env map', () => {
  const offenders = sources(FUNCTIONS)
    .filter((file) => path.relative(FUNCTIONS, file) !== 'config.ts')
    .filter((file) => /process\.env|\benv(\.|\[\s*['"`])[A-Z][A-Z0-9_]*/.test(fs.readFileSync(file, 'utf8')))
    .map((file) => path.relative(ROOT, file));
  expect(offenders).toEqual([]);
});

test('each variable name belongs to one row', () => {
  const names = ROW_LIST.flatMap((r) => r.names);
  expect(new Set(names).size).toBe(names.length);
});

test('defaults are the values read when nothing is set', () => {
  const settings = readSettings({});
  expect(settings.routeTimeoutMs).toBe(SETTINGS.routeTimeoutMs.default);
  expect(settings.authCertsUrl).toBe(SETTINGS.authCertsUrl.default);
  expect(settings.authOidc).toBe(false);
  expect(readSettingsBeforeSecrets({})).toEqual({
    port: 8080,
    maxBodyBytes: 16 * 1024 * 1024,
    maxBodyBytesInFlight: 24 * 1024 * 1024,
    maxHeaderBytes: 160 * 1024,
    receiveTimeoutMs: 30_000,
    secretManagerEmulatorHost: undefined,
  });
});

test('a security row present but blank stops start-up; its refused value is never quoted', () => {
  for (const row of ROW_LIST.filter((r) => r.security)) {
    expect(() => readSettings({ [row.names[0]]: ' ' })).toThrow(`${row.names[0]} is set but empty`);
  }
  expect(() => readSettings({ AUTH_CLOCK_SKEW_SECONDS: 'hunter2' })).toThrow(/^AUTH_CLOCK_SKEW_SECONDS is not a positive integer$/);
  expect(() => readSettings({ ROUTE_TIMEOUT_SECONDS: 'soon' })).toThrow('ROUTE_TIMEOUT_SECONDS="soon" is not a positive number of seconds');
});

test('the port and the receive limits, read before secrets, refuse a secret reference', () => {
  for (const name of ['PORT', 'MAX_BODY_BYTES', 'MAX_BODY_BYTES_IN_FLIGHT', 'MAX_HEADER_BYTES', 'RECEIVE_TIMEOUT_SECONDS']) {
    expect(ROW_LIST.find((r) => r.names[0] === name)?.beforeSecrets).toBe(true);
    expect(() => readSettingsBeforeSecrets({ [name]: 'sm://test-project/value' })).toThrow(`${name}="sm://test-project/value" is not a`);
  }
});

test('the first name set wins; an empty one counts as unset', () => {
  expect(readSetting({ GOOGLE_CLOUD_PROJECT: '', GCLOUD_PROJECT: 'b', GCP_PROJECT: 'c' }, 'project')).toBe('b');
});

test('PROXY_PROTOCOL and PROXY_PATH are read as the nginx template writes them', () => {
  expect(readSettings({ PROXY_PROTOCOL: 'HTTP://', PROXY_PATH: 'in' })).toMatchObject({ proxyProtocol: 'http', proxyPath: '/in' });
  expect(() => readSettings({ PROXY_PROTOCOL: 'ftp' })).toThrow('PROXY_PROTOCOL="ftp" is not http or https');
});
