/**
 * Drop-in for the nginx proxy of the known workaround: the same environment
 * variables (PROXY_PROTOCOL, default https; PROXY_HOST; PROXY_PATH, read in
 * config.ts) give the forward options of a default route. Pure, so start-up can call it freely.
 */
import type { Settings } from '../../config';

export function forwardRouteFromProxyEnv(settings: Pick<Settings, 'proxyHost' | 'proxyProtocol' | 'proxyPath'>): { url: string } | undefined {
  if (!settings.proxyHost) return undefined;
  const url = `${settings.proxyProtocol}://${settings.proxyHost}${settings.proxyPath}`;
  try {
    new URL(url);
  } catch {
    throw new Error(`PROXY_HOST and PROXY_PATH do not make a valid URL: ${url}`);
  }
  return { url };
}
