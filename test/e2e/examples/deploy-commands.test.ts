/**
 * Every gcloud command an example's deploy.sh runs is accepted by the real Google Cloud
 * CLI: run in the example's folder, as the script runs them, with an empty configuration it parses every flag and value, then stops with exit 1
 * for the missing account (a flag or value it refuses is exit 2). The commands are the
 * script's own, captured by running it with a recording `gcloud` first on PATH.
 */
import * as fs from 'fs';
import * as path from 'path';
import { deployCommands, EXAMPLES, readmeCommands } from '../../support/example-project';
import { realGcloudEach } from '../../support/gcloud';

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
    const dir = path.join(EXAMPLES, name);
    const commands = deployCommands(dir);
    expect(commands.length).toBeGreaterThan(0);
    for (const r of await realGcloudEach(commands, dir)) {
      expect({ argv: r.argv, status: r.status, stderr: r.stderr.split('\n')[0] }).toEqual({
        argv: r.argv,
        status: 1,
        stderr: expect.stringMatching(/You do not currently have an active account selected/),
      });
    }
  },
  180000,
);
