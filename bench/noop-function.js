// The baseline of bench/serving: a Functions Framework cloudEvent handler that does nothing.
const functions = require('@google-cloud/functions-framework');
functions.cloudEvent('noop', () => undefined);
