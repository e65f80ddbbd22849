// The floor of any relay written in Node, for bench:forward: a bare node:http server that sends
// each body on to the target through one undici Pool (as `forward` does) with the CloudEvent's
// headers, and answers with the target's status. No parsing, routing, logging, token or deadline:
// what Node's HTTP server and client cost per relayed event on this machine.
const http = require('http');
const { Pool } = require('undici');

const target = new URL(process.env.TARGET_URL);
const pool = new Pool(target.origin, { connections: 64, pipelining: 1 });
http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const headers = {};
      for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('ce-') || k === 'content-type') headers[k] = v;
      pool.request({ path: target.pathname, method: 'POST', headers, body: Buffer.concat(chunks) }).then(
        (r) => {
          r.body.dump();
          res.writeHead(r.statusCode);
          res.end();
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
