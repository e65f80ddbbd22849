/**
 * Every gcloud command an example's deploy.sh runs is accepted by the real Google Cloud
 * CLI: run in the example's folder, as the script runs them, with an empty configuration it parses every flag and value, then stops with exit 1
 * for the missing account (a flag or value it refuses is exit 2). The commands are the
 * script's own, captured by running it with a recording `gcloud` first on PATH.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { deployCommands, EXAMPLES, gcloudPath, readmeCommands, realGcloud } from '../../support/example-project';

const examples = fs.readdirSync(EXAMPLES).filter((name) => fs.existsSync(path.join(EXAMPLES, name, 'deploy.sh')));

test('every example has a deploy script', () => {
  expect(examples.sort()).toEqual(['copy-to-partner-bucket', 'forward-to-gke', 'log-storage-notifications', 'release-images', 'secure-the-service']);
});

test.each(examples)('%s: the README shows exactly the commands deploy.sh runs with its defaults', (name) => {
  const dir = path.join(EXAMPLES, name);
  expect(readmeCommands(dir)).toEqual(deployCommands(dir));
});

test.each(examples)(
  '%s: the real gcloud CLI accepts every command of deploy.sh',
  async (name) => {
    const gcloud = gcloudPath();
    const dir = path.join(EXAMPLES, name);
    const commands = deployCommands(dir);
    expect(commands.length).toBeGreaterThan(0);
    const config = fs.mkdtempSync(path.join(os.tmpdir(), 'gcloud-config-'));
    try {
      // Two at a time: gcloud takes a few seconds to start on a shared machine.
      const pending = [...commands];
      const results: Awaited<ReturnType<typeof realGcloud>>[] = [];
      await Promise.all(
        [0, 1].map(async () => {
          for (let c = pending.shift(); c; c = pending.shift()) results.push(await realGcloud(gcloud, c, config, dir));
        }),
      );
      for (const r of results) {
        expect({ argv: r.argv, status: r.status, stderr: r.stderr.split('\n')[0] }).toEqual({
          argv: r.argv,
          status: 1,
          stderr: expect.stringMatching(/You do not currently have an active account selected/),
        });
      }
    } finally {
      fs.rmSync(config, { recursive: true, force: true });
    }
  },
  180000,
);
