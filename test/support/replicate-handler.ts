/** The replicate-image action's handler for one route, called as the router calls it, with what it logged. */
import { replicateImageAction } from '../../functions/act/replicate-image';
import type { HandlerContext } from '../../functions/act/action';
import { createLogger, memorySink } from '../../functions/support/logger';
import { parse } from '../../functions/support/schema';

type ReplicateHandler = ReturnType<typeof replicateImageAction.create>;

/** `withBlock`: the route's `with` (parsed as the routes file's is); `variables`: what ${VAR} in it reads. */
export function replicateHandler(withBlock: Record<string, unknown>, variables: Record<string, string> = {}) {
  const sink = memorySink();
  const log = createLogger(sink);
  const handler = replicateImageAction.create(parse(replicateImageAction.options, withBlock), { variables, log });
  const ctx: HandlerContext = { log, signal: new AbortController().signal, route: 'release', params: {} };
  return { run: (event: Parameters<ReplicateHandler>[0]) => Promise.resolve(handler(event, ctx)), sink };
}
