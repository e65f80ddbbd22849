/**
 * Loading the bundled service with V8's code cache. Compiling the 370 KB bundle
 * and the functions its start-up runs is most of what our cold start adds to a
 * Functions Framework no-op (measured: ~32 ms to require it, ~16 ms with the
 * cache). The build makes the cache (scripts/code-cache.js) by running the
 * bundle's start-up once and keeping what V8 compiled; Node >= 22 has this built
 * in (module.enableCompileCache), Node 20 does not.
 *
 * The cache is an optimisation only: it is named after the Node version and
 * architecture it was made by, V8 checks it again (its own version, flags, the
 * source), and without a usable one the bundle is compiled as usual.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import * as NodeModules from 'module';

/** The parts of node:module's Module class used here (not in its public types). */
interface ModuleRecord {
  exports: unknown;
  filename: string;
  paths: string[];
  loaded: boolean;
}
const Module = NodeModules.Module as unknown as {
  new (id: string, parent?: unknown): ModuleRecord;
  _cache: Record<string, ModuleRecord>;
  _nodeModulePaths(dir: string): string[];
  wrap(source: string): string;
};

/** How the bundle was loaded: with the cache, with one V8 refused, or without one. */
export type CodeCacheUse = 'used' | 'rejected' | 'none';

const USE = Symbol.for('eventarc-router.codeCache');

/** How this process loaded the bundle (read by the start-up log line). */
export function codeCacheUse(): CodeCacheUse {
  return ((globalThis as Record<symbol, unknown>)[USE] as CodeCacheUse | undefined) ?? 'none';
}

/** The cache file for `file` as this Node would make it. */
export function codeCacheFile(file: string): string {
  return `${file}.${process.version}-${process.arch}.v8cache`;
}

/** Compiles `file` as a CommonJS module (as require does, but with `cachedData`), registers it with require and runs it. */
function compileAndRun(file: string, cachedData: Buffer | undefined): { script: vm.Script; module: ModuleRecord } {
  // No import() may run from this script: Node 20 loses its dynamic-import callback when code comes
  // from a cache made by another process. The bundle has none (scripts/bundle.js turns them into require).
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, ...(cachedData && { cachedData }) });
  // Known before the bundle runs, so its start-up log line can say.
  if (cachedData) (globalThis as Record<symbol, unknown>)[USE] = script.cachedDataRejected ? 'rejected' : 'used';
  const module = new Module(file);
  module.filename = file;
  module.paths = Module._nodeModulePaths(path.dirname(file));
  // Registered first, as require does, so a require() of the same file during the run gets this module.
  Module._cache[file] = module;
  try {
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(module.exports, module.exports, NodeModules.createRequire(file), module, file, path.dirname(file));
  } catch (err) {
    delete Module._cache[file];
    throw err;
  }
  module.loaded = true;
  return { script, module };
}

/** require(file), through the code cache when the build made one for this Node. */
export function requireWithCodeCache(file: string): unknown {
  const loaded = Module._cache[file];
  if (loaded) return loaded.exports;
  let cachedData: Buffer;
  try {
    cachedData = fs.readFileSync(codeCacheFile(file));
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- no cache: the module loads as require() would
    return require(file);
  }
  return compileAndRun(file, cachedData).module.exports;
}

/**
 * Runs `file` once (its start-up, not a server: the caller sets the environment;
 * a module whose start is a function runs its `warmUp()`, which opens no port)
 * and writes what V8 compiled meanwhile to its cache file. Returns the file and its size.
 */
export function writeCodeCache(file: string): { cacheFile: string; bytes: number } {
  const { script, module } = compileAndRun(file, undefined);
  const warmUp = (module.exports as { warmUp?: unknown } | undefined)?.warmUp;
  if (typeof warmUp === 'function') (warmUp as () => void)();
  const data = script.createCachedData();
  const cacheFile = codeCacheFile(file);
  fs.writeFileSync(cacheFile, data);
  return { cacheFile, bytes: data.length };
}
