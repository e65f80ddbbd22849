#!/usr/bin/env node
/** `eventarc-router`: the command-line companion of the service. */
import type { Io } from './routes';

const USAGE = `usage: eventarc-router <command>
  emit SHAPE --url URL [flags]      send a delivery of shape A to H (see: emit --help)
  routes check FILE                 validate a routes file
  routes explain FILE EVENT         which routes an event (fixture or JSON body) takes, and why not
  copy-image SRC DST [flags]        copy one image between registries (see: copy-image --help)
  sync-images SRC_REPO DST_REPO     copy every tag of a repository, resumable (see: sync-images --help)`;

const io: Io = { out: (l) => void process.stdout.write(`${l}\n`), err: (l) => void process.stderr.write(`${l}\n`) };

/** One line per command: the table the usage text describes. Each loads its own modules: copy-image needs neither zod nor yaml. */
const COMMANDS: Record<string, (args: string[]) => Promise<number> | number> = {
  emit: async (args) => (await import('./emit')).emitCommand(args, io),
  routes: async (args) => {
    const { routesCheck, routesExplain } = await import('./routes');
    const [sub, file, event] = args;
    if (sub === 'check' && file) return routesCheck(file, io);
    if (sub === 'explain' && file && event) return routesExplain(file, event, io);
    io.err(USAGE);
    return 2;
  },
  // Loaded on demand: the registry client is not needed by other commands.
  'copy-image': async (args) => (await import('./copy-image')).copyImageCommand(args),
  'sync-images': async (args) => (await import('./sync-images')).syncImagesCommand(args),
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    io.err(USAGE);
    return command === '--help' || command === 'help' ? 0 : 2;
  }
  try {
    return await run(rest);
  } catch (err) {
    io.err(`eventarc-router ${command}: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
