/** The function's entry module: routes.yaml, next to package.json, says what is copied where. */
import * as path from 'path';
import * as functions from '@google-cloud/functions-framework';
import { createRouter } from 'eventarc-router';

const router = createRouter({ routesFile: path.join(__dirname, '..', 'routes.yaml') });

functions.http('copy-exports', router.handler);
