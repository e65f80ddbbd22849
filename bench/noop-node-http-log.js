// bench/serving's floor for logging to stdout: bare node:http that parses the Pub/Sub push body and
// writes two JSON lines per request (an event line and a route line, the shapes the lean server's `log`
// route writes), gathered per event-loop turn into one write as the service does. Nothing else: no
// validation, no routing. What any Node service that logs each event as the router does cannot go below.
const lines = [];
const flush = () => {
  process.stdout.write(lines.join(''));
  lines.length = 0;
};
require('http')
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const push = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const labels = { eventId: req.headers['ce-id'], eventType: req.headers['ce-type'] };
      const data = Buffer.from(push.message.data, 'base64');
      const event = {
        severity: 'INFO',
        message: `Pub/Sub message ${push.message.messageId} (${data.length} bytes)`,
        event: { id: req.headers['ce-id'], type: req.headers['ce-type'], subscription: push.subscription, attributes: push.message.attributes },
        'logging.googleapis.com/labels': labels,
      };
      const route = {
        severity: 'INFO',
        message: 'route log-everything: handled',
        route: 'log-everything',
        outcome: 'handled',
        'logging.googleapis.com/labels': labels,
      };
      if (lines.length === 0) setImmediate(flush);
      lines.push(JSON.stringify(event) + '\n', JSON.stringify(route) + '\n');
      res.writeHead(204);
      res.end();
    });
  })
  .listen(Number(process.env.PORT));
