// The lean server's ceiling in bench/serving: bare node:http, reading the body and answering 204.
require('http')
  .createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(204);
      res.end();
    });
  })
  .listen(Number(process.env.PORT));
