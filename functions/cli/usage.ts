/** How a command line's parse ends: with its arguments, or with the exit code after help (0) or a usage error (2). */

/** Thrown by a command's argument parser for --help. */
export class HelpRequested extends Error {}

export function argsOrExit<Args>(argv: string[], parse: (argv: string[]) => Args, usage: string, stderr: { write(text: string): unknown }): Args | number {
  try {
    return parse(argv);
  } catch (err) {
    if (err instanceof HelpRequested) {
      stderr.write(`${usage}\n`);
      return 0;
    }
    stderr.write(`${(err as Error).message}\n${usage}\n`);
    return 2;
  }
}
