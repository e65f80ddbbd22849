/**
 * Drop-in for the nginx proxy of the known workaround: the same environment
 * variables (PROXY_PROTOCOL, default https; PROXY_HOST; PROXY_PATH) give the
 * forward options of a default route. Pure, so start-up can call it freely.
 */

export function forwardRouteFromProxyEnv(env: Record<string, string | undefined>): { url: string } | undefined {
  const host = env.PROXY_HOST?.trim();
  if (!host) return undefined;
  // Accept "https" and "https://" alike; people copy either from the nginx template.
  const protocol = (env.PROXY_PROTOCOL?.trim() || 'https').replace(/:(\/\/)?$/, '').toLowerCase();
  if (protocol !== 'http' && protocol !== 'https') {
    throw new Error(`PROXY_PROTOCOL must be http or https, not ${JSON.stringify(env.PROXY_PROTOCOL)}`);
  }
  const rawPath = env.PROXY_PATH?.trim() ?? '';
  const path = rawPath === '' ? '/' : rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  const url = `${protocol}://${host}${path}`;
  try {
    new URL(url);
  } catch {
    throw new Error(`PROXY_HOST and PROXY_PATH do not make a valid URL: ${url}`);
  }
  return { url };
}
