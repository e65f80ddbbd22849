/**
 * The forward handler: one outbound request per event, within the route's time
 * budget and in-flight bound, following same-origin redirects only, and turning
 * the target's answer into acknowledge / redeliver / give up.
 */
import type { ActionResult, Handler } from '../action';
import { PermanentError, RetryableError } from '../errors';
import type { ForwardOptions } from './options';
import { buildOutboundRequest } from './outbound-request';
import { createHttpClient, type HttpClient, type TargetAnswer } from './http-client';
import { createInFlightLimit } from './in-flight';
import { startDeadline, type Deadline } from './deadline';
import { createIdTokenCache, type IdTokenCache, type IdTokenSource } from './id-token';
import { raiseForStatus, failedRequestError } from './outcome';
import { MAX_REDIRECTS, redirectDecision } from './redirect';

export interface ForwardDependencies {
  /** Where ID tokens come from (google-auth-library in production; tests inject one). */
  readonly idTokenSource: IdTokenSource;
  /** PEM text of `caFile`, read at start-up. */
  readonly extraCa?: string;
}

export interface ForwardHandler extends Handler {
  /** Closes the route's idle connections (tests, shutdown). */
  close(): void;
}

/** Logs show where events went, never the credentials in it. */
function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

export function createForwardHandler(options: ForwardOptions, deps: ForwardDependencies): ForwardHandler {
  const target = new URL(options.url);
  const client: HttpClient = createHttpClient({
    origin: target.origin,
    maxConnections: options.maxInFlight,
    extraCa: deps.extraCa,
    connectTimeoutMs: Math.min(options.timeoutMs, 10_000),
  });
  const limit = createInFlightLimit(options.maxInFlight);
  const tokens = options.idToken ? createIdTokenCache({ source: deps.idTokenSource }) : undefined;
  const audience = options.idToken?.audience ?? target.origin;
  const targetDisplay = displayUrl(target);
  const shown = (url: URL) => (url === target ? targetDisplay : displayUrl(url));

  const withAuthorization = async (headers: Record<string, string>, idTokens: IdTokenCache): Promise<Record<string, string>> => {
    try {
      return { ...headers, authorization: `Bearer ${await idTokens.get(audience)}` };
    } catch (err) {
      // The metadata server is a dependency like the target: a failure there is worth a retry.
      throw new RetryableError(`could not get an ID token for ${audience}`, { cause: err });
    }
  };

  // The common case (no redirect) costs one await: every promise is tracked when the
  // framework's per-request domain is active, so the hot path keeps them few.
  const postFollowingRedirects = async (headers: Record<string, string>, body: Buffer, deadline: Deadline) => {
    let url = target;
    let answer: TargetAnswer = await client.post(url, headers, body, deadline);
    for (let hop = 1; ; hop++) {
      const decision = redirectDecision(url, answer.status, answer.location);
      if (!decision) return { answer, url };
      if ('refuse' in decision) throw new PermanentError(`${displayUrl(url)} answered ${answer.status}: ${decision.refuse}`);
      if (hop >= MAX_REDIRECTS) throw new PermanentError(`${targetDisplay}: more than ${MAX_REDIRECTS} redirects`);
      url = decision.follow;
      answer = await client.post(url, headers, body, deadline);
    }
  };

  const handler = async (event: Parameters<Handler>[0], ctx: Parameters<Handler>[1]): Promise<ActionResult> => {
    const outbound = buildOutboundRequest(event, options.format, options.headers);
    // One timer and one listener on the core's aborts per event, and no AbortController unless a slot must be waited for.
    const deadline = startDeadline(options.timeoutMs, ctx.aborts ?? ctx.signal);
    let release: (() => void) | undefined;
    try {
      release = limit.tryAcquire() ?? (await limit.acquire(deadline.signal()));
      // A slot freed as the deadline passes can be taken before the (late) timer fires: the clock decides.
      if (deadline.reason === undefined && deadline.elapsedMs() >= options.timeoutMs) {
        throw new TimeoutReached(`timeout after ${options.timeoutMs} ms`);
      }
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the abort reason as the signal gave it (an Error from us or the caller)
      if (deadline.reason !== undefined) throw deadline.reason;
      const headers = tokens ? await withAuthorization(outbound.headers, tokens) : outbound.headers;
      const { answer, url } = await postFollowingRedirects(headers, outbound.body, deadline);
      const where = shown(url);
      raiseForStatus(answer.status, options.retryStatuses, where, answer.bodySnippet);
      const ms = Math.round(deadline.elapsedMs() * 10) / 10;
      return {
        summary: `forwarded to ${where}: ${answer.status} in ${ms} ms`,
        details: { target: where, status: answer.status, bytes: outbound.body.length, ms },
      };
    } catch (err) {
      if (err instanceof PermanentError || err instanceof RetryableError) throw err;
      throw failedRequestError(err, targetDisplay, deadline.timedOut || err instanceof TimeoutReached, options.timeoutMs);
    } finally {
      deadline.clear();
      release?.();
    }
  };
  return Object.assign(handler, { close: () => client.close() });
}

/** The budget was spent waiting for a slot, whose release beat the timer. */
class TimeoutReached extends Error {}
