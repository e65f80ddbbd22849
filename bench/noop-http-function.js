// The second baseline of bench/serving: a Functions Framework http handler that does nothing
// but answer 204 (the router is an http function too, so this one pays the same framework path).
const functions = require('@google-cloud/functions-framework');
functions.http('noop', (req, res) => {
  res.status(204).end();
});
