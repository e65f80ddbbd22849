/**
 * The real Firestore emulator (Debian package google-cloud-cli-firestore-emulator).
 * Its launcher is a shell script that does not exec java, so we start java on the
 * jar ourselves: the PID we hold is then the one to stop.
 */
import * as path from 'path';
import { freePort, requireExecutable, startPeer, type Peer } from './peer';

export const FIRESTORE_EMULATOR = '/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator';

export interface FirestoreEmulator {
  /** host:port, what FIRESTORE_EMULATOR_HOST takes. */
  readonly host: string;
  readonly peer: Peer;
  stop(): Promise<void>;
}

export async function startFirestoreEmulator(): Promise<FirestoreEmulator> {
  requireExecutable(FIRESTORE_EMULATOR, 'google-cloud-cli-firestore-emulator');
  const jar = path.join(path.dirname(FIRESTORE_EMULATOR), 'cloud-firestore-emulator.jar');
  const port = await freePort();
  const peer = await startPeer(
    'firestore-emulator',
    process.env['JAVA'] ?? 'java',
    ['-Duser.language=en', '-cp', jar, 'com.google.cloud.datastore.emulator.firestore.CloudFirestore', 'start', '--host=127.0.0.1', `--port=${port}`],
    { readyPort: port, readyTimeoutMs: 60000 },
  );
  return { host: `127.0.0.1:${port}`, peer, stop: () => peer.stop() };
}
