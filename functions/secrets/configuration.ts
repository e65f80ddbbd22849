/**
 * Finds the secret references in the whole configuration (environment values
 * and routes-file `with:` values) and resolves them once, before anything is built.
 */
import * as fs from 'fs';
import { parse } from 'yaml';
import { collectReferences, substitute, type SecretReference } from './reference';
import { readSetting, type Env } from '../config';
import { defaultSecretAccessor, resolveReferences, type SecretAccessor } from './resolve';

export interface ResolvedConfiguration {
  readonly env: Env;
  /** Reference -> value, for the routes file's option values. */
  readonly secrets: ReadonlyMap<string, string>;
}

function routesFileReferences(file: string | undefined, into: Map<string, SecretReference>): void {
  if (!file) return;
  let doc: unknown;
  try {
    const text = fs.readFileSync(file, 'utf8');
    // Every reference form contains one of these; most files have none, and parsing is start-up time.
    if (!text.includes('sm://') && !text.includes('/secrets/')) return;
    doc = parse(text);
  } catch {
    return; // The routes-file loader reports a missing or broken file with its line and column.
  }
  const entries = Array.isArray(doc) ? doc : (doc as { routes?: unknown } | null)?.routes;
  if (!Array.isArray(entries)) return;
  for (const entry of entries) collectReferences((entry as { with?: unknown } | null)?.with, into);
}

export function configurationReferences(env: Env): Map<string, SecretReference> {
  const refs = collectReferences(env);
  routesFileReferences(readSetting(env, 'routesFile'), refs);
  return refs;
}

export async function resolveConfiguration(
  env: Env,
  accessor: () => Promise<SecretAccessor> = () => defaultSecretAccessor(readSetting(env, 'secretManagerEmulatorHost')),
): Promise<ResolvedConfiguration> {
  const secrets = await resolveReferences(configurationReferences(env), accessor);
  return { env: secrets.size > 0 ? substitute({ ...env }, secrets) : env, secrets };
}
