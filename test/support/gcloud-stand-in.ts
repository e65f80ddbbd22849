/**
 * A stand-in `gcloud` first on PATH, for running our bash scripts as a user would: it
 * records every argument vector it is given (one JSON line each). Either it answers nothing
 * and succeeds (to capture what a script runs), or it hands over to the project model in
 * test/ship/fixtures/gcloud-stub.js, which answers as gcloud does and changes its model.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
/** The project model (see its header): its state in GCLOUD_STUB_STATE, its record in GCLOUD_STUB_LOG. */
export const GCLOUD_STUB = path.join(ROOT, 'test', 'ship', 'fixtures', 'gcloud-stub.js');

export interface GcloudStandIn {
  /** The directory holding `gcloud`: put it first on PATH. */
  readonly bin: string;
  /** The argument vectors recorded since the last clearCalls(). */
  calls(): string[][];
  clearCalls(): void;
}

/** Writes bin/gcloud in `dir`: a recorder that answers nothing, or with `stub`, the project model of GCLOUD_STUB. */
export function standInGcloud(dir: string, options: { stub?: boolean } = {}): GcloudStandIn {
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'calls.log');
  fs.mkdirSync(bin, { recursive: true });
  const script = options.stub
    ? `#!/bin/sh\nGCLOUD_STUB_LOG=${JSON.stringify(log)} exec "${process.execPath}" "${GCLOUD_STUB}" "$@"\n`
    : `#!${process.execPath}\nrequire('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`;
  fs.writeFileSync(path.join(bin, 'gcloud'), script, { mode: 0o755 });
  return {
    bin,
    calls: () =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [],
    clearCalls: () => fs.rmSync(log, { force: true }),
  };
}

export interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The gcloud commands the run made, in order. */
  readonly calls: string[][];
}

/**
 * A project as gcloud-stub.js models it, its state in `dir`/state.json; run() runs `script`
 * (bash) in `dir` against it, with the stand-in first on PATH and `dir` as HOME and TMPDIR.
 */
export class GcloudStubProject<State> {
  readonly statePath: string;
  private readonly gcloud: GcloudStandIn;

  constructor(
    readonly dir: string,
    private readonly script: string,
    state: State,
  ) {
    this.gcloud = standInGcloud(dir, { stub: true });
    this.statePath = path.join(dir, 'state.json');
    this.setState(state);
  }

  state(): State {
    return JSON.parse(fs.readFileSync(this.statePath, 'utf8')) as State;
  }

  setState(s: State): void {
    fs.writeFileSync(this.statePath, JSON.stringify(s, null, 2));
  }

  run(...args: string[]): ScriptRun {
    this.gcloud.clearCalls();
    const r = spawnSync('bash', [this.script, ...args], {
      cwd: this.dir,
      encoding: 'utf8',
      timeout: 30000,
      env: { PATH: `${this.gcloud.bin}:/usr/local/bin:/usr/bin:/bin`, HOME: this.dir, TMPDIR: this.dir, GCLOUD_STUB_STATE: this.statePath },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: this.gcloud.calls() };
  }
}
