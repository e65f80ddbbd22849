/**
 * The start of a target's answer, for the log line and the route's reason. A
 * target is a peer, not a friend: one that echoes the request back would put the
 * ID token or API key we sent it into our logs and dead letters, so every
 * credential value we sent is cut out of what it answered. Pure.
 */
import { isCredentialHeader } from '../../parse/credential-headers';

export const SNIPPET_BYTES = 512;
const REDACTED = '[redacted]';
/** Fewer characters of a token than this say nothing about it. */
const MIN_SECRET_PREFIX = 8;

/** Each credential header value we sent, and its token part (`Bearer T` -> `T`), longest first. */
function sentSecrets(sent: Readonly<Record<string, string>>): string[] {
  const secrets: string[] = [];
  for (const name of Object.keys(sent)) {
    if (!isCredentialHeader(name)) continue;
    const value = sent[name];
    const space = value.indexOf(' ');
    if (value.length > 0) secrets.push(value);
    if (space > 0 && value.length - space > MIN_SECRET_PREFIX) secrets.push(value.slice(space + 1).trim());
  }
  return secrets.sort((a, b) => b.length - a.length);
}

/** The first SNIPPET_BYTES of `body` (all that was read of it), with every credential we sent cut out. */
export function answerSnippet(body: Buffer, sent: Readonly<Record<string, string>>): string {
  const secrets = sentSecrets(sent);
  if (secrets.length === 0) return body.subarray(0, SNIPPET_BYTES).toString('utf8');
  // Redact in all that was read, then cut: a secret across the 512-byte edge is then gone whole.
  let text = body.toString('utf8');
  for (const secret of secrets) text = text.split(secret).join(REDACTED);
  // What was read may end inside a secret: its first characters are cut out too.
  for (const secret of secrets) {
    for (let n = Math.min(secret.length - 1, text.length); n >= MIN_SECRET_PREFIX; n--) {
      if (text.endsWith(secret.slice(0, n))) {
        text = text.slice(0, text.length - n) + REDACTED;
        break;
      }
    }
  }
  return text.length > SNIPPET_BYTES ? text.slice(0, SNIPPET_BYTES) : text;
}
