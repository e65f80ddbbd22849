/**
 * The request pipeline as an ordered list of stages, like a server's list of
 * middleware: each stage either answers itself or passes the request on with
 * `next()`, and may act on what comes back (admission waits for it, dead-lettering
 * reads it). The list is composed once, at start; per request only the chain of
 * `next` calls is made. Generic, so the stages can live in the folders they belong to.
 */

/** The rest of the pipeline after a stage. */
export type Next<Out> = () => Promise<Out>;

/** One stage: the only signature a stage has. */
export type Stage<Request, Out> = (request: Request, next: Next<Out>) => Promise<Out>;

/** Runs `stages` in order for each request. The last stage must answer: passing on from it is a bug, and rejects. */
export function pipeline<Request, Out>(stages: readonly Stage<Request, Out>[]): (request: Request) => Promise<Out> {
  const end = (): Promise<Out> => Promise.reject(new Error('the last stage of the pipeline passed the request on'));
  return stages.reduceRight<(request: Request) => Promise<Out>>((rest, stage) => (request) => stage(request, () => rest(request)), end);
}
