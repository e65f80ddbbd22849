// Preloaded (--require) into a child that must reach a named TLS host on loopback:
// the names in LOOPBACK_DNS (comma-separated) resolve to 127.0.0.1; every other name
// resolves as usual. Tests speak only to loopback; this gives a host a real name.
const dns = require('dns');
const names = new Set((process.env.LOOPBACK_DNS || '').split(',').filter(Boolean));
const lookup = dns.lookup;
dns.lookup = function (host, options, callback) {
  if (typeof options === 'function') [callback, options] = [options, {}];
  if (!names.has(host)) return lookup.call(dns, host, options, callback);
  const all = typeof options === 'object' && options !== null && options.all;
  process.nextTick(() => (all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)));
  return undefined;
};
